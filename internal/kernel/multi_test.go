package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A sample whose difference from the mean overflows (1e308 from -1e308) meets the zeros
// of an uncorrelated factor as Inf x 0: beyond the component's reach, log-joint -Inf, not
// NaN, so that the scores are -Inf and the labels component 0.
func TestMultiLogJointOverflowIsMinusInf(t *testing.T) {
	c := NewMultiCoeffs(1, 2, false)
	copy(c.Prec, []float64{1, 0, 0, 1})
	copy(c.Mean, []float64{-1e308, 0})
	x := []float64{1e308, 0}
	p := make([]float64, 1)
	if m, top := logJointOne(p, goScratch(nil, c), x, c); !math.IsInf(m, -1) || !math.IsInf(p[0], -1) || top != -1 {
		t.Errorf("log-joint %v (max %v, top %d), want -Inf", p[0], m, top)
	}
	score := make([]float64, 1)
	MultiScores(score, nil, x, c)
	s := NewMultiStats(1, 2)
	MultiEStep(x, nil, c, s)
	if !math.IsInf(score[0], -1) || !math.IsInf(s.LogLik, -1) {
		t.Errorf("score %v, log-likelihood %v, want -Inf", score[0], s.LogLik)
	}
}

// logJointOne is multiLogJoints of one sample x, in every lane: its log-joints in p, its
// maximum and top.
func logJointOne(p []float64, sc *multiScratch, x []float64, c *MultiCoeffs) (float64, int) {
	m, top := multiLogJoints(&[goLanes][]float64{p, p, p, p}, 1, sc, &[goLanes][]float64{x, x, x, x}, c)
	return m[0], top[0]
}

// The multichannel moments are about the coefficients' centres when they are set: the
// Go twin's sums are the plain sums of r (x - c) and r (x - c)(x - c)^T over the
// responsibilities that MultiScores gives.
func TestMultiEStepMomentsAboutCentres(t *testing.T) {
	const n, d, k = 500, 3, 3
	rng := rand.New(rand.NewPCG(7, 8))
	x := uniform(rng, n*d, -1, 2)
	for _, diag := range []bool{false, true} {
		c := randomMultiCoeffs(rng, k, d, diag)
		c.Centre = uniform(rng, k*d, -5, 5)
		resp, score := make([]float64, n*k), make([]float64, n)
		MultiScores(score, resp, x, c)
		want := NewMultiStats(k, d)
		for i := range n {
			want.LogLik += score[i]
			for q := range k {
				r := resp[i*k+q]
				want.N[q] += r
				for a := range d {
					da := x[i*d+a] - c.Centre[q*d+a]
					want.S[q*d+a] += r * da
					for b := a; b < d; b++ {
						if !diag || a == b {
							want.Q[(q*d+a)*d+b] += r * da * (x[i*d+b] - c.Centre[q*d+b])
						}
					}
				}
			}
		}
		got := NewMultiStats(k, d)
		MultiEStep(x, nil, c, got)
		for i, g := range multiStatsBits(got) {
			gv, wv := math.Float64frombits(g), math.Float64frombits(multiStatsBits(want)[i])
			if math.Abs(gv-wv) > 1e-11*(math.Abs(wv)+1) {
				t.Fatalf("diag=%v: statistic %d = %.17g, want %.17g", diag, i, gv, wv)
			}
		}
	}
}

// The Go transpose puts feature j of sample i at planes[j*n+i], for every d (the sweeps'
// 3, four planes at a time and the planes left over) and every n, writing nothing past
// the planes and reading nothing past the rows.
func TestTransposeIsPlanes(t *testing.T) {
	for d := 1; d <= 19; d++ {
		for n := range 38 {
			x, planes := newGuarded[float64](d*n, 1), newGuarded[float64](d*n, 3)
			for i := range x.s() {
				x.s()[i] = float64(i)
			}
			transpose(planes.s(), x.s(), d, n)
			x.check(t, "x")
			planes.check(t, "planes")
			for i := range n {
				for j := range d {
					if got := planes.s()[j*n+i]; got != x.s()[i*d+j] {
						t.Fatalf("d = %d, n = %d: feature %d of sample %d is %v, want %v", d, n, j, i, got, x.s()[i*d+j])
					}
				}
			}
		}
	}
}
