package bigmem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of an x86-64 and arm64 transparent huge page.
const hugePage = 2 << 20

// adviseHuge marks the whole huge pages inside s's memory MADV_HUGEPAGE. The advice is
// only advice: where the kernel refuses or has huge pages off, nothing changes.
func adviseHuge[E any](s []E) {
	var e E
	size := uintptr(len(s)) * unsafe.Sizeof(e)
	if size < 2*hugePage {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	start := uintptr(base)
	lo := (start + hugePage - 1) &^ (hugePage - 1)
	hi := (start + size) &^ (hugePage - 1)
	if hi <= lo {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, lo-start)), hi-lo), unix.MADV_HUGEPAGE)
}
