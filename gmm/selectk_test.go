package gmm

import (
	"errors"
	"testing"
)

func TestSelectComponentsFindsTheMixture(t *testing.T) {
	x := sample(t, 60, 20000, truth)
	sel, err := SelectComponents(t.Context(), x, 1, 6, Options{MaxIter: 200, Tol: 1e-7, Init: InitKMeansPP, Seed: 1, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Candidates) != 6 || sel.Candidates[sel.Best].K != 3 {
		t.Fatalf("best K %d of %d candidates, want 3", sel.Candidates[sel.Best].K, len(sel.Candidates))
	}
	for i, c := range sel.Candidates {
		if c.K != i+1 || c.Result.Model.K() != c.K {
			t.Fatalf("candidate %d: K %d, model of %d", i, c.K, c.Result.Model.K())
		}
		// The BIC is Model.BIC's on the data, and the best is the lowest.
		want, err := BIC(t.Context(), &c.Result.Model, x, Exec{})
		if err != nil {
			t.Fatal(err)
		}
		if relErr(c.BIC, want) > 1e-12 {
			t.Errorf("K=%d: BIC %v, Model.BIC %v", c.K, c.BIC, want)
		}
		if c.BIC < sel.Candidates[sel.Best].BIC {
			t.Errorf("K=%d has a lower BIC (%v) than the best", c.K, c.BIC)
		}
	}
}

func TestSelectComponentsBadRanges(t *testing.T) {
	x := []float64{0.1, 0.2, 0.3, 0.4}
	for _, r := range [][2]int{{0, 3}, {3, 2}, {2, 5}} {
		if _, err := SelectComponents(t.Context(), x, r[0], r[1], Options{MaxIter: 3, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("components %d to %d: %v", r[0], r[1], err)
		}
	}
	if _, err := SelectComponents(t.Context(), x, 1, 2, Options{MaxIter: -2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("MaxIter -2: %v", err)
	}
}
