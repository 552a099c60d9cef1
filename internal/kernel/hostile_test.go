package kernel

import (
	"math"
	"testing"
)

// LogWeight is the natural log of subnormal weights too, which math.Log on amd64 is not:
// held to the log of the mantissa plus the exponent times ln 2.
func TestLogWeightOfSubnormals(t *testing.T) {
	for _, w := range []float64{5e-324, 1e-320, 1.2158e-313, 0x1p-1022 * 0.99, 0x1p-1022, 1e-300, 0.5, 1} {
		frac, exp := math.Frexp(w) // frac in [1/2, 1): normal
		want := math.Log(frac) + float64(exp)*math.Ln2
		if got := LogWeight(w); math.Abs(got-want) > 2e-16*math.Abs(want) {
			t.Errorf("LogWeight(%v) = %v, want %v", w, got, want)
		}
	}
}

// A mixture far from 0, narrow enough that 0 underflows under every component: the
// E-step of a tail shorter than a register (padded) keeps finite statistics and the
// log-likelihood of its samples, on every kernel.
func TestEStepTailFarFromZero(t *testing.T) {
	c := &Coeffs{Const: []float64{352.58, 350}, Mean: []float64{1.0609e6, 1.0609e6 + 1e-9}, HalfPrec: []float64{5.55e306, 1e300}}
	for _, name := range Available() {
		k, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 17; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = c.Mean[0]
			}
			for _, w := range [][]float64{nil, ones(n)} {
				s := NewStats(2)
				k.F64.EStep(x, w, c, s, nil)
				if math.IsNaN(s.LogLik) || math.IsNaN(s.N[0]) || math.Abs(s.LogLik-float64(n)*352.58) > 1e-9*float64(n)*352.58 {
					t.Errorf("%s, %d samples at the mean (weights %v): %+v", name, n, w != nil, s)
				}
			}
		}
	}
}

func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}
