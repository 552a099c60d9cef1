package kernel

import (
	"math"
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
	if m := multiLogJoint(p, make([]float64, 2), x, c); !math.IsInf(m, -1) || !math.IsInf(p[0], -1) {
		t.Errorf("log-joint %v (max %v), want -Inf", p[0], m)
	}
	score := make([]float64, 1)
	MultiScores(score, nil, x, c)
	s := NewMultiStats(1, 2)
	MultiEStep(x, nil, c, s)
	if !math.IsInf(score[0], -1) || !math.IsInf(s.LogLik, -1) {
		t.Errorf("score %v, log-likelihood %v, want -Inf", score[0], s.LogLik)
	}
}
