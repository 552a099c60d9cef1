//go:build unix

package fileid

import (
	"fmt"
	"os"
	"syscall"
)

// inode returns the key of the existing file fi: its device and inode.
func inode(fi os.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("inode %d:%d", uint64(st.Dev), uint64(st.Ino)), true
}
