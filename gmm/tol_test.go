package gmm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// tolGoldens are scikit-learn's fits with tol > 0 in testdata/tol (see make.py there).
type tolGoldens struct {
	Sets []struct {
		Name  string      `json:"name"`
		X     [][]float64 `json:"X"`
		Means [][]float64 `json:"means_init"`
		Types map[string]struct {
			Tol         float64         `json:"tol"`
			Covariances json.RawMessage `json:"start_covariances"`
			NIter       int             `json:"n_iter_"`
			Converged   bool            `json:"converged_"`
			LowerBound  float64         `json:"lower_bound_"`
			Weights     []float64       `json:"weights_"`
			MeansOut    [][]float64     `json:"means_"`
			CovOut      json.RawMessage `json:"covariances_"`
		} `json:"types"`
	} `json:"sets"`
}

// Tol stops a fit where scikit-learn's stops, from the same start: as many M-steps, the
// same parameters to 1e-8, converged alike, and its lower bound (the mean log-likelihood
// of the E-step that met Tol) the second-last step's; every covariance type, every kernel.
func TestTolIsScikitLearns(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "tol", "tol.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g tolGoldens
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	for _, set := range g.Sets {
		d := len(set.X[0])
		var x []float64
		for _, row := range set.X {
			x = append(x, row...)
		}
		for kind, want := range set.Types {
			cov, err := ParseCovariance(kind)
			if err != nil {
				t.Fatal(err)
			}
			k := len(set.Means)
			weights := make([]float64, k)
			for j := range weights {
				weights[j] = 1 / float64(k)
			}
			start := goldenModel(t, d, cov, weights, set.Means, want.Covariances)
			end := goldenModel(t, d, cov, want.Weights, want.MeansOut, want.CovOut)
			for _, name := range kernels() {
				what := fmt.Sprintf("%s %s %s", set.Name, kind, name)
				res, err := Fit(t.Context(), x, Options{Exec: Exec{Kernel: name}, Components: k, Dims: d, Covariance: cov,
					MaxIter: 500, Tol: want.Tol, AddedVariance: 1e-6, InitModel: &start, Init: InitEvenlySpaced})
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(res.History) != want.NIter || res.Converged != want.Converged {
					t.Fatalf("%s: %d M-steps (converged %v), scikit-learn %d (%v)", what, len(res.History), res.Converged, want.NIter, want.Converged)
				}
				closeModels(t, what, &res.Model, &end, sklearnTol)
				n := float64(len(set.X))
				if lb := res.History[len(res.History)-2] / n; !(relErr(lb, want.LowerBound) <= sklearnTol) || res.LowerBound != lb {
					t.Errorf("%s: lower bound %.17g (Result.LowerBound %.17g), scikit-learn %.17g", what, lb, res.LowerBound, want.LowerBound)
				}
			}
		}
	}
}
