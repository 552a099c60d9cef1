package gmm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The starts along the principal axis of more than startSampleSize samples are the starts
// of the samples that startSample picks, evenly spread, with their weights; of fewer, the
// starts of them all. (The two fits' frames differ, so the starts agree to rounding.)
func TestAxisStartsReadABoundedSample(t *testing.T) {
	const d = 3
	rng := rand.New(rand.NewPCG(29, 10))
	for _, n := range []int{startSampleSize - 1, startSampleSize, 3*startSampleSize + 7} {
		x, w := make([]float64, n*d), make([]float64, n)
		for i := range n {
			c := float64(rng.IntN(3))
			for a := range d {
				x[i*d+a] = 10*c + float64(a) + rng.NormFloat64()
			}
			w[i] = 0.5 + rng.Float64()
		}
		m := min(n, startSampleSize)
		sx, sw := make([]float64, 0, m*d), make([]float64, 0, m)
		for j := range m {
			i := j
			if n > startSampleSize {
				i = (2*j + 1) * n / (2 * m)
			}
			sx, sw = append(sx, x[i*d:(i+1)*d]...), append(sw, w[i])
		}
		for _, init := range []Init{InitEvenlySpaced, InitQuantiles} {
			for _, weighted := range []bool{false, true} {
				opt := Options{Components: 4, Dims: d, Covariance: Full, Init: init, MaxIter: 1, Tol: Off, AddedVariance: Off}
				data, sampled := any(x), any(sx)
				if weighted {
					data, sampled = Weighted{x, w}, Weighted{sx, sw}
				}
				got, err := Fit(t.Context(), data, opt)
				if err != nil {
					t.Fatal(err)
				}
				want, err := Fit(t.Context(), sampled, opt)
				if err != nil {
					t.Fatal(err)
				}
				closeModels(t, fmt.Sprintf("n=%d %v weighted=%v", n, init, weighted), &got.Initial, &want.Initial, 1e-9)
			}
		}
	}
}
