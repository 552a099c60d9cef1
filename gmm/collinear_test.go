package gmm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// With AddedVariance 0 a fit of nearly collinear data, whose covariances are positive
// definite in float64, is the maximum-likelihood EM, scikit-learn's with reg_covar = 0
// (testdata/collinear, made by make.py there): every iteration to 1e-8 with no safety
// rule acting, and with Tol as many M-steps to the same parameters, converged alike.
func TestCollinearFitsAreMaximumLikelihood(t *testing.T) {
	for _, name := range []string{"line1", "lines2"} {
		path := filepath.Join("testdata", "collinear", name+".json")
		checkGoldenFits(t, path, kernels(), true)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			illcond
			Tol struct {
				Tol         float64         `json:"tol"`
				NIter       int             `json:"n_iter_"`
				Converged   bool            `json:"converged_"`
				LowerBound  float64         `json:"lower_bound_"`
				Score       float64         `json:"score"`
				Weights     []float64       `json:"weights_"`
				Means       [][]float64     `json:"means_"`
				Covariances json.RawMessage `json:"covariances_"`
			} `json:"tol"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		d, n := len(g.X[0]), float64(len(g.X))
		var x []float64
		for _, row := range g.X {
			x = append(x, row...)
		}
		start := goldenModel(t, d, Full, g.Weights, g.Means, g.Types["full"].Covariances)
		want := goldenModel(t, d, Full, g.Tol.Weights, g.Tol.Means, g.Tol.Covariances)
		for _, k := range kernels() {
			what := fmt.Sprintf("%s, tol %g, %s", name, g.Tol.Tol, k)
			res, err := Fit(t.Context(), x, Options{Exec: Exec{Kernel: k}, Dims: d, Components: start.K(), MaxIter: 100,
				Tol: g.Tol.Tol, InitModel: &start, Init: InitEvenlySpaced, AddedVariance: Off})
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if len(res.History) != g.Tol.NIter || res.Converged != g.Tol.Converged || len(res.Floored) > 0 {
				t.Fatalf("%s: %d M-steps (converged %v, floored %v), scikit-learn %d (%v)", what, len(res.History), res.Converged, res.Floored, g.Tol.NIter, g.Tol.Converged)
			}
			closeModels(t, what, &res.Model, &want, sklearnTol)
			// One M-step fewer allowed: the E-step that met Tol is the last, and
			// scikit-learn, with no M-step left to run, has not converged.
			short, err := Fit(t.Context(), x, Options{Exec: Exec{Kernel: k}, Dims: d, Components: start.K(), MaxIter: g.Tol.NIter - 1,
				Tol: g.Tol.Tol, InitModel: &start, Init: InitEvenlySpaced, AddedVariance: Off})
			if err != nil || short.Converged || len(short.History) != g.Tol.NIter-1 {
				t.Errorf("%s, MaxIter %d: %d M-steps, converged %v (%v)", what, g.Tol.NIter-1, len(short.History), short.Converged, err)
			}
			for _, ll := range [][2]float64{{res.LowerBound, g.Tol.LowerBound}, {res.LogLikelihood / n, g.Tol.Score}} {
				if e := relErr(ll[0], ll[1]); !(e <= sklearnTol) {
					t.Errorf("%s: mean log-likelihood %.17g, scikit-learn %.17g (rel %.2g)", what, ll[0], ll[1], e)
				}
			}
		}
	}
}
