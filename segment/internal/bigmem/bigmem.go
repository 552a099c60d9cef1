// Package bigmem allocates the large pixel buffers of an image.
package bigmem

// Make returns a zeroed slice of n elements. On Linux, when it spans several 2 MiB pages,
// it asks the kernel to back it with transparent huge pages: on a virtual machine, touching
// fresh memory for the first time can cost more than all the arithmetic done on it, and
// huge pages take one fault per 2 MiB instead of one per 4 KiB.
func Make[E any](n int) []E {
	s := make([]E, n)
	adviseHuge(s)
	return s
}
