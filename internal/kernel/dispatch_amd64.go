//go:build amd64 && gc && !purego && !noasm

package kernel

import "github.com/klauspost/cpuid/v2"

// The features that the generated functions' "Requires:" lines name, per kernel set.
// SSE stands for the prefetch instructions' "MMX+" (see TestDispatchChecksEveryRequiredFeature).
var (
	avx2Features   = []cpuid.FeatureID{cpuid.CMOV, cpuid.SSE, cpuid.AVX, cpuid.AVX2, cpuid.FMA3}
	avx512Features = append([]cpuid.FeatureID{cpuid.AVX512F}, avx2Features...)
)

// accelerated lists the CPU-specific kernels this CPU runs, best first.
func accelerated() []*Kernels {
	var out []*Kernels
	if cpuid.CPU.Supports(avx512Features...) {
		out = append(out, AVX512)
	}
	if cpuid.CPU.Supports(avx2Features...) {
		out = append(out, AVX2)
	}
	return out
}
