package gmm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Every kernel follows scikit-learn's fits over many features to 1e-8 at every iteration,
// for every covariance type: weights, means, covariances and the log-likelihoods before and
// after each M-step, judged as on the ill-conditioned goldens. The data (testdata/wide, see
// make.py there): synthetic mixtures of 4, 5, 3 and 2 clusters of correlated features at
// d = 8, 16, 39 and 64, and Fisher's iris with K = 3. Under -short (an emulator) the
// fastest kernel only.
func TestWideFitsMatchScikitLearn(t *testing.T) {
	kernels := kernel.Available()
	if testing.Short() {
		kernels = kernels[:1]
	}
	for _, name := range []string{"iris4", "synth8", "synth16", "synth39", "synth64"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "wide", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var ref illcond // the same layout as the ill-conditioned goldens
		if err := json.Unmarshal(raw, &ref); err != nil {
			t.Fatal(err)
		}
		d := len(ref.X[0])
		var x []float64
		for _, row := range ref.X {
			x = append(x, row...)
		}
		n := float64(len(ref.X))
		if len(ref.Types) != 4 {
			t.Fatalf("%s: %d covariance types, want 4", name, len(ref.Types))
		}
		for kind, fit := range ref.Types {
			cov, err := ParseCovariance(kind)
			if err != nil {
				t.Fatal(err)
			}
			start := Model{Dims: d, Covariance: cov, Weights: ref.Weights, Covariances: flat(t, fit.Covariances)}
			for _, mu := range ref.Means {
				start.Means = append(start.Means, mu...)
			}
			want := make([]Model, len(fit.History))
			for i, h := range fit.History {
				want[i] = Model{Dims: d, Covariance: cov, Weights: h.Weights, Covariances: flat(t, h.Covariances)}
				for _, mu := range h.Means {
					want[i].Means = append(want[i].Means, mu...)
				}
			}
			for _, k := range kernels {
				what := fmt.Sprintf("%s %s %s", name, kind, k)
				var first float64
				res, err := Fit(t.Context(), x, Options{Exec: Exec{Kernel: k}, Dims: d, Covariance: cov, Components: start.K(),
					MaxIter: len(want), MinVariance: ref.Reg, InitModel: &start, Progress: func(s Step) {
						if s.Iter == -1 {
							first = s.LogLikelihood
						}
					}})
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(res.Floored) > 0 || len(res.Reseeded) > 0 {
					t.Errorf("%s: floored %v, reseeded %v: the safety rules acted", what, res.Floored, res.Reseeded)
				}
				for i, h := range fit.History {
					closeModels(t, fmt.Sprintf("%s: iteration %d", what, i), &res.History[i].Model, &want[i], sklearnTol)
					before := first
					if i > 0 {
						before = res.History[i-1].LogLikelihood
					}
					for _, ll := range [][2]float64{{before / n, h.LowerBound}, {res.History[i].LogLikelihood / n, h.ScoreAfter}} {
						if e := relErr(ll[0], ll[1]); !(e <= sklearnTol) {
							t.Errorf("%s: iteration %d: mean log-likelihood %.17g, scikit-learn %.17g (rel %.2g)", what, i, ll[0], ll[1], e)
						}
					}
				}
			}
		}
	}
}
