//go:build amd64 && gc && !purego && !noasm

package kernel

import "github.com/klauspost/cpuid/v2"

// avx2Features are the features every generated function's "Requires:" line names.
var avx2Features = []cpuid.FeatureID{cpuid.CMOV, cpuid.AVX, cpuid.AVX2, cpuid.FMA3}

// accelerated lists the CPU-specific kernels this CPU runs, best first.
func accelerated() []*Kernels {
	if cpuid.CPU.Supports(avx2Features...) {
		return []*Kernels{AVX2}
	}
	return nil
}
