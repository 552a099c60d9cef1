//go:build amd64 && gc && !purego && !noasm

package kernel

import "github.com/klauspost/cpuid/v2"

// avx2Features are the features every generated function's "Requires:" line names.
var avx2Features = []cpuid.FeatureID{cpuid.AVX, cpuid.AVX2, cpuid.FMA3}

// accelerated lists the CPU-specific kernels this CPU runs, best first.
func accelerated() []*Kernels {
	if cpuid.CPU.Supports(avx2Features...) {
		return []*Kernels{AVX2}
	}
	return nil
}

// cpuFeatures lists the CPU features the dispatch looks at, as seen.
func cpuFeatures() []string {
	var out []string
	for _, f := range []cpuid.FeatureID{cpuid.SSE42, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL} {
		if cpuid.CPU.Supports(f) {
			out = append(out, f.String())
		}
	}
	return out
}
