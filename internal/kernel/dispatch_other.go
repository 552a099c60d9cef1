//go:build !amd64 || !gc || purego || noasm

package kernel

// accelerated lists the CPU-specific kernels this CPU runs, best first: none in a build
// without assembly.
func accelerated() []*Kernels { return nil }
