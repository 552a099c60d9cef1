package drive

import (
	"math/rand/v2"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// everyKernel returns the kernels this machine runs: its SIMD ones, then the Go twins.
func everyKernel(t testing.TB) []*kernel.Kernels {
	t.Helper()
	var out []*kernel.Kernels
	for _, name := range kernel.Available() {
		k, err := kernel.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// uniform returns n samples in [lo, hi).
func uniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

// threeClasses are the coefficients of a mixture of three overlapping components over
// [0, 1], one of them narrow.
func threeClasses() *kernel.Coeffs {
	return kernel.NewCoeffs([]float64{0.3, 0.45, 0.25}, []float64{0.1, 0.6, 0.8}, []float64{0.05 * 0.05, 0.12 * 0.12, 0.03 * 0.03})
}

// twoClasses are the coefficients of two unit components at 0 and 1, equally weighted.
func twoClasses() *kernel.Coeffs {
	return kernel.NewCoeffs([]float64{1, 1}, []float64{0, 1}, []float64{1, 1})
}

// randomCoeffs returns k components of d features (diagonal ones if diag) with means in
// [0, 1) and the precision factor's diagonal in [4, 12).
func randomCoeffs(rng *rand.Rand, k, d int, diag bool) *kernel.MultiCoeffs {
	c := kernel.NewMultiCoeffs(k, d, diag)
	for q := range k {
		c.Const[q] = 2*rng.Float64() - 1
		for j := range d {
			c.Mean[q*d+j] = rng.Float64()
			c.Prec[(q*d+j)*d+j] = 4 + 8*rng.Float64()
			for l := j + 1; l < d && !diag; l++ {
				c.Prec[(q*d+j)*d+l] = 4*rng.Float64() - 2
			}
		}
	}
	return c
}

// planes returns a reader of the samples x (row-major, d features each) as planes: dst
// set to the len(dst)/d samples from lo on, feature j of sample lo+i at dst[j*n+i].
func planes(x []float64, d int) func(dst []float64, lo int) {
	return func(dst []float64, lo int) {
		n := len(dst) / d
		for i := range n {
			for j := range d {
				dst[j*n+i] = x[(lo+i)*d+j]
			}
		}
	}
}
