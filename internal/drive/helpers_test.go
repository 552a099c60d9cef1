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

// spreadCoeffs returns k components of d features (diagonal ones if diag), component q's
// means in [q, q + 1/4), its precision factor's diagonal in [1, 2) and the rest of its
// upper triangle in [0, 1/4).
func spreadCoeffs(rng *rand.Rand, k, d int, diag bool) *kernel.MultiCoeffs {
	c := kernel.NewMultiCoeffs(k, d, diag)
	for q := range k {
		c.Const[q] = -float64(q) / 3
		for j := range d {
			c.Mean[q*d+j] = float64(q) + rng.Float64()/4
			for l := j; l < d; l++ {
				c.Prec[(q*d+j)*d+l] = rng.Float64() / 4
			}
			c.Prec[(q*d+j)*d+j] = 1 + rng.Float64()
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
