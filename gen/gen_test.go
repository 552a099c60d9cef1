package gen

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestMixtureIsDeterministicAndHasItsMoments(t *testing.T) {
	w, mu, sd := []float64{1, 3}, []float64{-2, 5}, []float64{0.5, 1}
	a, err := Mixture(42, 200000, w, mu, sd)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Mixture(42, 200000, w, mu, sd)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different samples")
	}
	c, _ := Mixture(43, 200000, w, mu, sd)
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same samples")
	}
	// Mean 0.25*-2 + 0.75*5 = 3.25; variance = E[var] + var of means.
	wantMean := 3.25
	wantVar := 0.25*0.25 + 0.75*1 + 0.25*(-2-wantMean)*(-2-wantMean) + 0.75*(5-wantMean)*(5-wantMean)
	mean, variance := stat.MeanVariance(a, nil)
	if math.Abs(mean-wantMean) > 0.03 || math.Abs(variance-wantVar)/wantVar > 0.01 {
		t.Fatalf("mean %v variance %v, want %v and %v", mean, variance, wantMean, wantVar)
	}
}

func TestMixtureRejectsBadParameters(t *testing.T) {
	for _, c := range []struct{ w, mu, sd []float64 }{
		{nil, nil, nil},
		{[]float64{1}, []float64{0, 1}, []float64{1}},
		{[]float64{-1}, []float64{0}, []float64{1}},
		{[]float64{0, 0}, []float64{0, 1}, []float64{1, 1}},
	} {
		if _, err := Mixture(1, 10, c.w, c.mu, c.sd); err == nil {
			t.Errorf("Mixture(%v, %v, %v) gave no error", c.w, c.mu, c.sd)
		}
	}
}
