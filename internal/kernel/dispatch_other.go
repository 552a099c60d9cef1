//go:build !amd64 || !gc || purego || noasm

package kernel

// accelerated lists the CPU-specific kernels this CPU runs, best first: none in a build
// without assembly.
func accelerated() []*Kernels { return nil }

// cpuFeatures lists the CPU features the dispatch looks at, as seen: none in a build
// without assembly.
func cpuFeatures() []string { return nil }
