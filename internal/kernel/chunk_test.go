package kernel

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// The Go E-step's chunks, their packed exps and the skipped largest term give the same
// bits as one sample at a time with every exp computed (the unweighted log-likelihood,
// whose logs are taken of products of exp-sums, to 1e-12 of its terms' magnitude): for K = 1 to 5, 40 and 600 (one
// sample a chunk), ties between components, weighted or not, over lengths that end chunks
// and blocks anywhere, and a last sample beyond every component, infinite or NaN.
func TestGoEStepIsOneSampleAtATime(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sc := new(Scratch)
	for _, k := range []int{1, 2, 3, 4, 5, 40, 600} {
		means, stdevs, weights := uniform(rng, k, -3, 3), uniform(rng, k, 0.2, 2), uniform(rng, k, 0.5, 1)
		if k > 1 { // a tie: the same component twice
			means[1], stdevs[1], weights[1] = means[0], stdevs[0], weights[0]
		}
		c := byStdev(weights, means, stdevs)
		for _, n := range []int{0, 1, 169, 171, 700, 701} {
			x := uniform(rng, n, -5, 5)
			if n == 701 { // each makes its block's sums NaN: only in the last block
				x[700] = []float64{1e300, math.Inf(-1), math.NaN()}[k%3] // beyond every component, or no number
			}
			for _, w := range [][]float64{nil, uniform(rng, n, 0, 3)} {
				got, want := NewStats(k), NewStats(k)
				eStep(x, w, c, got, sc)
				magnitude := oneAtATime(x, w, c, want)
				if w == nil { // log S summed as logs of products: to rounding
					if d := math.Abs(got.LogLik - want.LogLik); !(d <= 1e-12*magnitude) && got.LogLik != want.LogLik {
						t.Fatalf("K=%d n=%d: log-likelihood %v, one at a time %v", k, n, got.LogLik, want.LogLik)
					}
					got.LogLik = want.LogLik
				}
				if !reflect.DeepEqual(statsBits(got), statsBits(want)) {
					t.Fatalf("K=%d n=%d weighted %v: chunks %+v, one at a time %+v", k, n, w != nil, got, want)
				}
			}
		}
	}
}

// oneAtATime is the Go E-step sample by sample, every exp computed, in blocks of
// eStepBlock as eStep sums them, and a log per sample. It returns the magnitude of the
// log-likelihood's terms, sum_n w_n (|max_n| + log K).
func oneAtATime(x, w []float64, c *Coeffs, s *Stats) (magnitude float64) {
	k := c.K()
	p := make([]float64, k)
	for lo := 0; lo < len(x); lo += eStepBlock {
		block, ll := NewStats(k), 0.0
		for i := lo; i < min(lo+eStepBlock, len(x)); i++ {
			m := math.Inf(-1)
			for j := range p {
				p[j] = quad(x[i], c.Const[j], c.Mean[j], c.HalfPrec[j])
				if p[j] > m {
					m = p[j]
				}
			}
			sum := 0.0
			for j := range p {
				p[j] = 0
				if m > math.Inf(-1) {
					p[j] = vmath.ExpFlushed64(quad(x[i], c.Const[j], c.Mean[j], c.HalfPrec[j]) - m)
				}
				sum += p[j]
			}
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			ll += float64(wi * (m + vmath.Log64(sum)))
			magnitude += wi * (math.Abs(m) + math.Log(float64(k)))
			for j, e := range p {
				r := float64(e * (wi / sum))
				d := x[i] - c.Mean[j]
				block.N[j] += r
				block.D[j] += float64(r * d)
				block.B[j] = math.FMA(float64(r*d), d, block.B[j])
			}
		}
		block.LogLik = ll
		s.Add(block)
	}
	return magnitude
}

// statsBits returns the statistics as bits, every NaN as one, whatever its payload.
func statsBits(s *Stats) [][]uint64 {
	var out [][]uint64
	for _, v := range [][]float64{s.N, s.D, s.B, {s.LogLik}} {
		b := make([]uint64, len(v))
		for i, f := range v {
			b[i] = bitsOf(f)
			if f != f {
				b[i] = bitsOf(math.NaN())
			}
		}
		out = append(out, b)
	}
	return out
}
