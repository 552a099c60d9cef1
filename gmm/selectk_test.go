package gmm

import (
	"errors"
	"math"
	"testing"
)

func TestSelectComponentsFindsTheMixture(t *testing.T) {
	x := sample(t, 60, 20000, truth)
	sel, err := SelectComponents(t.Context(), x, 1, 6, Options{MaxIter: 200, Tol: 1e-7, Init: InitKMeansPP, Seed: 1})
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
		want, err := c.Result.Model.BIC(x)
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

func TestSelectComponentsLevelsIsSelectComponents(t *testing.T) {
	x := sample(t, 61, 50000, truth)
	levels := make([]uint16, len(x))
	values := LevelValues[float64](255)
	for i, v := range x {
		levels[i] = uint16(math.Round(min(max(v, 0), 1) * 255))
		x[i] = values[levels[i]]
	}
	opt := Options{MaxIter: 30}
	want, err := SelectComponents(t.Context(), x, 2, 5, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := SelectComponentsLevels[float64](t.Context(), levels, 255, 2, 5, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Best != want.Best || len(got.Candidates) != len(want.Candidates) {
		t.Fatalf("best %d of %d, pixels: %d of %d", got.Best, len(got.Candidates), want.Best, len(want.Candidates))
	}
	for i := range got.Candidates {
		if e := math.Abs(got.Candidates[i].BIC-want.Candidates[i].BIC) / float64(len(x)); e > 1e-12 {
			t.Errorf("K=%d: BIC %v, pixels %v", got.Candidates[i].K, got.Candidates[i].BIC, want.Candidates[i].BIC)
		}
	}
}

func TestSelectComponentsBadRanges(t *testing.T) {
	x := []float64{0.1, 0.2, 0.3, 0.4}
	for _, r := range [][2]int{{0, 3}, {3, 2}, {2, 5}} {
		if _, err := SelectComponents(t.Context(), x, r[0], r[1], Options{MaxIter: 3}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("components %d to %d: %v", r[0], r[1], err)
		}
	}
	if _, err := SelectComponentsLevels[float64](t.Context(), []uint16{1, 2}, 255, 1, 2, Options{MaxIter: 0}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("MaxIter 0: %v", err)
	}
}
