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

func TestSpreadCoversTheUnitInterval(t *testing.T) {
	for _, k := range []int{1, 3, 8} {
		p := Spread(k)
		if len(p.Weights) != k || len(p.Means) != k || len(p.Stdevs) != k {
			t.Fatalf("k=%d: %+v", k, p)
		}
		total := 0.0
		for j := range k {
			total += p.Weights[j]
			lo, hi := p.Means[j]-p.Stdevs[j], p.Means[j]+p.Stdevs[j]
			if want := float64(j) / float64(k); math.Abs(lo-want) > 1e-15 {
				t.Errorf("k=%d component %d starts its bin at %v, want %v", k, j, lo, want)
			}
			if want := float64(j+1) / float64(k); math.Abs(hi-want) > 1e-15 {
				t.Errorf("k=%d component %d ends its bin at %v, want %v", k, j, hi, want)
			}
		}
		if math.Abs(total-1) > 1e-15 {
			t.Errorf("k=%d: weights sum to %v", k, total)
		}
	}
}

func TestFloat32sRoundsEachElement(t *testing.T) {
	x := []float64{0, 1, 0.1, -3.5e38, 1e-46, math.Inf(-1)}
	got := Float32s(x)
	if len(got) != len(x) {
		t.Fatalf("%d elements for %d", len(got), len(x))
	}
	for i, v := range x {
		if got[i] != float32(v) {
			t.Errorf("element %d: %v, want %v", i, got[i], float32(v))
		}
	}
}
