//go:build !linux

package bigmem

// adviseHuge does nothing: the advice is implemented for Linux only.
func adviseHuge[E any](s []E) {}
