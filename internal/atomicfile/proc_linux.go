package atomicfile

import (
	"os"
	"syscall"
)

// procDevice is the device of /proc, where the links to processes' open files are
// (/proc/self/fd/1, which /dev/stdout names); 0 if there is none.
var procDevice = func() uint64 {
	fi, err := os.Stat("/proc/self")
	if err != nil {
		return 0
	}
	return uint64(fi.Sys().(*syscall.Stat_t).Dev)
}()

// openFileLink reports whether the symbolic link li is one of /proc's to a process's
// open file: what it reads as may be no path at all (pipe:[1234]), and the file it leads
// to is written in place.
func openFileLink(li os.FileInfo) bool {
	st, ok := li.Sys().(*syscall.Stat_t)
	return ok && procDevice != 0 && uint64(st.Dev) == procDevice
}
