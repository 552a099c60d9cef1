package gmm

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// startsGolden is scikit-learn's starts in testdata/starts (see make.py there).
type startsGolden struct {
	Reg  float64 `json:"reg_covar"`
	Sets []struct {
		X         [][]float64 `json:"X"`
		Labels    []int       `json:"kmeans_labels_"`
		Centres   [][]float64 `json:"kmeans_centers_"`
		PPIndices []int       `json:"kmeans_plusplus_indices"`
		Resp      [][]float64 `json:"random_resp"`
		Types     map[string]struct {
			KMeans  goldenStart `json:"kmeans"`
			PP      goldenStart `json:"k-means++"`
			Random  goldenStart `json:"random"`
			Partial struct {
				MeansInit [][]float64     `json:"means_init"`
				PrecInit  json.RawMessage `json:"precisions_init"`
				Weights   []float64       `json:"weights_"`
				Means     [][]float64     `json:"means_"`
			} `json:"kmeans_partial"`
			Fit struct {
				NIter      int     `json:"n_iter_"`
				Converged  bool    `json:"converged_"`
				LowerBound float64 `json:"lower_bound_"`
				goldenStart
			} `json:"fit"`
		} `json:"types"`
		Lloyd []struct {
			Init    [][]float64 `json:"init"`
			Labels  []int       `json:"labels_"`
			Centres [][]float64 `json:"cluster_centers_"`
			NIter   int         `json:"n_iter_"`
			X       [][]float64 `json:"X"`
		} `json:"lloyd"`
	} `json:"sets"`
}

// goldenStart is a model scikit-learn made, with its precisions.
type goldenStart struct {
	Weights     []float64       `json:"weights_"`
	Means       [][]float64     `json:"means_"`
	Covariances json.RawMessage `json:"covariances_"`
	Precisions  json.RawMessage `json:"precisions_"`
	Cholesky    json.RawMessage `json:"precisions_cholesky_"`
}

func readStarts(t *testing.T) startsGolden {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "starts", "starts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g startsGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// rows returns the rows of x flat, and their number of features.
func rows(x [][]float64) ([]float64, int) {
	var out []float64
	for _, r := range x {
		out = append(out, r...)
	}
	return out, len(x[0])
}

// onGeneric calls f with the samples x (d features) on the generic kernel's driver.
func onGeneric(t *testing.T, x []float64, d int, f func(s *tiled[float64])) {
	t.Helper()
	dr, err := drive.New(kernel.Generic, drive.Config{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Close()
	f(rowSamples(x, d).onDriver(dr))
}

// Lloyd's iterations are scikit-learn's KMeans from the same centres: as many iterations,
// the same clusters and centres to 1e-12, where a cluster is left empty (relocated) and
// where the centres settle slowly too.
func TestLloydIsScikitLearns(t *testing.T) {
	g := readStarts(t)
	for si, set := range g.Sets {
		for ci, c := range set.Lloyd {
			what := fmt.Sprintf("set %d, Lloyd %d", si, ci)
			xs := set.X
			if c.X != nil {
				xs = c.X
			}
			x, d := rows(xs)
			centres, _ := rows(c.Init)
			onGeneric(t, x, d, func(s *tiled[float64]) {
				_, cov, err := moments(t.Context(), s, nil)
				if err != nil {
					t.Fatal(err)
				}
				it, err := lloyd(t.Context(), s, nil, centres, cov)
				if err != nil || it != c.NIter {
					t.Errorf("%s: %d iterations (%v), scikit-learn %d", what, it, err, c.NIter)
				}
			})
			want, _ := rows(c.Centres)
			for i, v := range want {
				if math.Abs(centres[i]-v) > 1e-12*(1+math.Abs(v)) {
					t.Errorf("%s: centre value %d = %.17g, scikit-learn %.17g", what, i, centres[i], v)
				}
			}
			for i, l := range c.Labels {
				if got := nearest(x[i*d:(i+1)*d], centres); got != l {
					t.Fatalf("%s: sample %d in cluster %d, scikit-learn %d", what, i, got, l)
				}
			}
		}
	}
}

// scikit-learn's starts are the M-step of their responsibilities: given its k-means
// clusters, its k-means++ seeds, its random responsibilities, gmm's M-step makes its
// start to 1e-8, precisions and their factors too, every covariance type; a start given
// means and precisions over its k-means start is its start with them.
func TestSklearnStartsAreTheirMSteps(t *testing.T) {
	g := readStarts(t)
	for si, set := range g.Sets {
		x, d := rows(set.X)
		n := len(set.X)
		data := dataset{n: n, total: float64(n), frame: identityFrame}
		for kind, ty := range set.Types {
			cov, err := ParseCovariance(kind)
			if err != nil {
				t.Fatal(err)
			}
			o := Options{Dims: d, Covariance: cov, Components: len(set.Centres), AddedVariance: offIfZero(g.Reg), Init: InitEvenlySpaced, Tol: Off}
			if d == 1 {
				o.Dims = 0
			}
			what := fmt.Sprintf("set %d %s", si, kind)
			onGeneric(t, x, d, func(s *tiled[float64]) {
				// k-means: its clusters are those of its centres.
				centres, _ := rows(set.Centres)
				for i, l := range set.Labels {
					if got := nearest(x[i*d:(i+1)*d], centres); got != l {
						t.Fatalf("%s: sample %d nearest centre %d, scikit-learn's label %d", what, i, got, l)
					}
				}
				stats, err := clusterStats(t.Context(), s, nil, centres)
				if err != nil {
					t.Fatal(err)
				}
				km := checkStart(t, what+" kmeans", &o, data, stats, centres, nil, ty.KMeans)
				// Given means and precisions over it.
				o.InitMeans, _ = rows(ty.Partial.MeansInit)
				o.InitPrecisions = flat(t, ty.Partial.PrecInit)
				part, err := withParts(&o, identityFrame, km)
				o.InitMeans, o.InitPrecisions = nil, nil
				if err != nil {
					t.Fatal(err)
				}
				want := Model{Dims: km.Dims, Covariance: cov, Weights: ty.Partial.Weights}
				want.Means, _ = rows(ty.Partial.Means)
				if want.Covariances, err = covariancesOf(flat(t, ty.Partial.PrecInit), cov, o.Components, d); err != nil {
					t.Fatal(err)
				}
				closeModels(t, what+" kmeans, given means and precisions", &part, &want, sklearnTol)
				// k-means++: a seed a component.
				var seedsAt []float64
				for _, i := range set.PPIndices {
					seedsAt = append(seedsAt, set.X[i]...)
				}
				one := kernel.NewMultiStats(o.Components, d)
				for c := range one.N {
					one.N[c] = 1
				}
				checkSeedStart(t, what+" k-means++", &o, data, one, seedsAt, x, ty.PP)
				// random: the responsibilities' moments about the data's mean.
				mean, _, err := moments(t.Context(), s, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkStart(t, what+" random", &o, data, respStats(x, d, set.Resp, mean), repeat(mean, o.Components), nil, ty.Random)
			})
		}
	}
}

// checkStart holds the M-step of the statistics s about centre to scikit-learn's start
// want (its weights normalised: those of a seed a component sum to K/n), with its
// precisions and their factors, and returns it.
func checkStart(t *testing.T, what string, o *Options, data dataset, s *kernel.MultiStats, centre, dataVar []float64, want goldenStart) Model {
	t.Helper()
	got := mStepStart(t, what, o, data, s, centre, dataVar)
	d := max(o.Dims, 1)
	w := goldenModel(t, d, o.Covariance, want.Weights, want.Means, want.Covariances)
	checkModelAndPrecisions(t, what, got, w, flat(t, want.Precisions), flat(t, want.Cholesky))
	return got
}

// mStepStart returns the M-step of the statistics s about centre, where no rule acted.
func mStepStart(t *testing.T, what string, o *Options, data dataset, s *kernel.MultiStats, centre, dataVar []float64) Model {
	t.Helper()
	got, rec, err := startMStep(o, data, s, centre, dataVar)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(rec.floored) > 0 || len(rec.reseeded) > 0 {
		t.Errorf("%s: the start's M-step floored %v, split %v", what, rec.floored, rec.reseeded)
	}
	return got
}

// checkSeedStart holds the start of a seed a component (centres, k x d, of the samples x)
// to scikit-learn's, want: equal weights, the seeds as means, reg_covar alone as the
// covariance. scikit-learn's diagonal and spherical variances carry the rounding of its
// raw moments about a mean of x/(1 + 10 eps) (its nk has 10 eps added): x^2 (1/nk -
// 1/nk^2), about 10 eps x^2, held to that bound; its tied covariance is
// (X^T X - sum_k nk mu_k mu_k^T) / sum_k nk over every sample X, a formula that takes the
// responsibilities of each sample to sum to one, which a seed a component's do not:
// (X^T X - the seeds' products) / K, held to that, where gmm's is reg_covar alone.
func checkSeedStart(t *testing.T, what string, o *Options, data dataset, s *kernel.MultiStats, centres, x []float64, want goldenStart) {
	t.Helper()
	got := mStepStart(t, what, o, data, s, centres, nil)
	d, k := max(o.Dims, 1), o.Components
	sk := flat(t, want.Covariances)
	exact := Model{Dims: d, Covariance: o.Covariance, Weights: want.Weights, Means: centres, Covariances: make([]float64, len(sk))}
	top := 0.0
	for _, v := range centres {
		top = max(top, v*v)
	}
	for i := range exact.Covariances {
		if exact.isVariance(i) {
			exact.Covariances[i] = o.AddedVariance
		}
		bound := 11 * 0x1p-52 * top
		if o.Covariance == Tied { // scikit-learn's formula, to the precision of its terms
			a, b := i/d, i%d
			sum := 0.0
			for j := 0; j*d < len(x); j++ {
				sum += x[j*d+a] * x[j*d+b]
			}
			for c := range k {
				sum -= centres[c*d+a] * centres[c*d+b]
			}
			want, scale := sum/float64(k), 0.0
			for j := 0; j*d < len(x); j++ {
				scale += math.Abs(x[j*d+a] * x[j*d+b])
			}
			if a == b {
				want += o.AddedVariance
			}
			if e := math.Abs(sk[i] - want); !(e <= 1e-13*scale) {
				t.Errorf("%s: scikit-learn's tied covariance %d = %.17g, its formula %.17g", what, i, sk[i], want)
			}
		} else if e := math.Abs(sk[i] - exact.Covariances[i]); !(e <= bound) {
			t.Errorf("%s: scikit-learn's covariance %d = %.17g, %.2g from reg_covar, more than its rounding %.2g", what, i, sk[i], e, bound)
		}
	}
	p, err := exact.Precisions()
	if err != nil {
		t.Fatal(err)
	}
	u, err := exact.PrecisionsCholesky()
	if err != nil {
		t.Fatal(err)
	}
	if o.Covariance == Full { // where scikit-learn's M-step is exact
		p, u = flat(t, want.Precisions), flat(t, want.Cholesky)
	}
	checkModelAndPrecisions(t, what, got, exact, p, u)
}

// checkModelAndPrecisions holds got, its precisions and their factors to want (its weights
// normalised) and the precisions p and factors u to sklearnTol.
func checkModelAndPrecisions(t *testing.T, what string, got, w Model, wantP, wantU []float64) {
	t.Helper()
	d := max(w.Dims, 1)
	w = *w.normalised()
	got.Dims, w.Dims = d, d
	closeModels(t, what, &got, &w, sklearnTol)
	if d == 1 {
		got.Dims = 0
	}
	p, err := got.Precisions()
	if err != nil {
		t.Fatal(err)
	}
	u, err := got.PrecisionsCholesky()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"precision", p, wantP}, {"precision factor", u, wantU}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s: %d %s numbers, scikit-learn %d", what, len(c.got), c.name, len(c.want))
		}
		scale := 0.0
		for _, v := range c.want {
			scale = max(scale, math.Abs(v))
		}
		for i, v := range c.want {
			if e := math.Abs(c.got[i]-v) / scale; !(e <= sklearnTol) {
				t.Errorf("%s: %s %d = %.17g, scikit-learn %.17g (rel %.2g)", what, c.name, i, c.got[i], v, e)
			}
		}
	}
}

// respStats returns the statistics of the responsibilities resp (a row a sample) of the
// samples x (d features) about the centre mean of every component.
func respStats(x []float64, d int, resp [][]float64, mean []float64) *kernel.MultiStats {
	k := len(resp[0])
	s, centres := kernel.NewMultiStats(k, d), repeat(mean, k)
	for i, r := range resp {
		for c, rc := range r {
			addSample(s, c, rc, x[i*d:(i+1)*d], centres)
		}
	}
	return s
}

// repeat returns k copies of v, one after the other.
func repeat(v []float64, k int) []float64 {
	var out []float64
	for range k {
		out = append(out, v...)
	}
	return out
}

// gmm's own k-means start reaches scikit-learn's clusters on these well-separated blobs
// whatever the seed, and the fit from it is scikit-learn's default fit (init_params
// 'kmeans', tol 1e-3, reg_covar 1e-6): as many M-steps, converged alike, the same lower
// bound and parameters to 1e-8, its components in the order the seeds drew them.
func TestKMeansStartFitIsScikitLearns(t *testing.T) {
	g := readStarts(t)
	for si, set := range g.Sets {
		x, d := rows(set.X)
		for kind, ty := range set.Types {
			cov, err := ParseCovariance(kind)
			if err != nil {
				t.Fatal(err)
			}
			want := goldenModel(t, d, cov, ty.Fit.Weights, ty.Fit.Means, ty.Fit.Covariances)
			for seed := range uint64(3) {
				what := fmt.Sprintf("set %d %s seed %d", si, kind, seed)
				res, err := Fit(t.Context(), x, Options{Dims: d, Covariance: cov, Components: want.K(), Init: InitKMeans, Seed: seed,
					MaxIter: 100, Tol: 1e-3, AddedVariance: offIfZero(g.Reg)})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.History) != ty.Fit.NIter || res.Converged != ty.Fit.Converged {
					t.Errorf("%s: %d M-steps (converged %v), scikit-learn %d (%v)", what, len(res.History), res.Converged, ty.Fit.NIter, ty.Fit.Converged)
				}
				if e := relErr(res.LowerBound, ty.Fit.LowerBound); !(e <= sklearnTol) {
					t.Errorf("%s: lower bound %.17g, scikit-learn %.17g", what, res.LowerBound, ty.Fit.LowerBound)
				}
				got := inOrderOf(res.Model, &want)
				got.Dims = d
				closeModels(t, what, &got, &want, sklearnTol)
			}
		}
	}
}

// inOrderOf returns m with its components in the order of want's whose means are
// nearest theirs.
func inOrderOf(m Model, want *Model) Model {
	d, k := want.dims(), want.K()
	out := Model{Dims: m.Dims, Covariance: m.Covariance, Covariances: make([]float64, len(m.Covariances))}
	per := len(m.Covariances) / k
	if m.Covariance == Tied {
		per = 0
		copy(out.Covariances, m.Covariances)
	}
	for j := range k {
		c := nearest(want.Means[j*d:(j+1)*d], m.Means)
		out.Weights = append(out.Weights, m.Weights[c])
		out.Means = append(out.Means, m.Means[c*d:(c+1)*d]...)
		copy(out.Covariances[j*per:], m.Covariances[c*per:(c+1)*per])
	}
	return out
}
