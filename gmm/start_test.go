package gmm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// NoIterations fits nothing: the Result is the start, scored, as scikit-learn's max_iter=0
// leaves it (no iteration, not converged, lower bound -Inf); MaxIter 0 stays an error.
func TestNoIterations(t *testing.T) {
	x := sample(t, 36, 5000, truth)
	for _, init := range []Init{InitEvenlySpaced, InitQuantiles, InitKMeansPP} {
		one, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 1, Init: init, Seed: 4, Tol: Off, AddedVariance: Off})
		if err != nil {
			t.Fatal(err)
		}
		none, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: NoIterations, Init: init, Seed: 4, Tol: 1e-3, AddedVariance: Off})
		if err != nil {
			t.Fatal(err)
		}
		if len(none.History) != 0 || none.Converged || !math.IsInf(none.LowerBound, -1) || none.Passes != 1 {
			t.Errorf("%v: %d iterations, converged %v, lower bound %v, %d passes", init, len(none.History), none.Converged, none.LowerBound, none.Passes)
		}
		if !slices.Equal(none.Model.Means, one.Initial.Means) || !slices.Equal(none.Model.Covariances, one.Initial.Covariances) ||
			!slices.Equal(none.Initial.Weights, none.Model.Weights) {
			t.Errorf("%v: NoIterations gave %v, the start is %v", init, none.Model, one.Initial)
		}
		ll, err := LogLikelihood(t.Context(), &none.Model, x, Exec{})
		if err != nil {
			t.Fatal(err)
		}
		if relErr(none.LogLikelihood, ll) > 1e-12 {
			t.Errorf("%v: log-likelihood %v, the start scores %v", init, none.LogLikelihood, ll)
		}
		// After one iteration the lower bound is the start's mean log-likelihood.
		if relErr(one.LowerBound, none.LogLikelihood/float64(len(x))) > 1e-12 {
			t.Errorf("%v: lower bound after one iteration %v, the start's mean log-likelihood %v", init, one.LowerBound, none.LogLikelihood/float64(len(x)))
		}
	}
	for _, it := range []int{-2, MaxIterations + 1} {
		if _, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: it, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("MaxIter %d: %v", it, err)
		}
	}
}

// scikit-learn's starts are the same bits for a seed at any thread count, and differ
// between seeds.
func TestSklearnStartsAreSeeded(t *testing.T) {
	for _, d := range []int{1, 3} {
		x := colours(36, 4000, d, 3)
		for _, init := range []Init{InitKMeans, InitKMeansPP, InitRandomFromData, InitRandom} {
			start := func(seed uint64, threads int) Model {
				res, err := Fit(t.Context(), x, Options{Exec: Exec{Threads: threads}, Dims: d, Components: 3, Init: init, Seed: seed, MaxIter: NoIterations, Tol: Off, AddedVariance: Off})
				if err != nil {
					t.Fatal(err)
				}
				return res.Model
			}
			a, b, c := start(7, 1), start(7, 2), start(8, 2)
			if !slices.Equal(a.Means, b.Means) || !slices.Equal(a.Covariances, b.Covariances) || !slices.Equal(a.Weights, b.Weights) {
				t.Errorf("d=%d %v: seed 7 on 1 and 2 threads: %v and %v", d, init, a, b)
			}
			// (k-means from two seeds may well end in the same clusters: that is its point.)
			if init != InitKMeans && slices.Equal(a.Means, c.Means) {
				t.Errorf("d=%d %v: seeds 7 and 8 gave the same means %v", d, init, a.Means)
			}
		}
	}
}

// InitRandom is the M-step of responsibilities drawn uniformly and normalised, sample by
// sample, as scikit-learn's init_params='random' makes them: checked against the M-step
// written out as scikit-learn writes it, over the same draws.
func TestRandomStart(t *testing.T) {
	const n, d, k, seed, reg = 3000, 2, 3, 5, 1e-3
	x := colours(37, n, d, 3)
	key := rand.New(rand.NewPCG(seed, 0)).Uint64()
	nk, sum := make([]float64, k), make([]float64, k*d)
	resp := make([]float64, n*k)
	for i := range n {
		total := 0.0
		for c := range k {
			resp[i*k+c] = unitFloat(key, uint64(i*k+c))
			total += resp[i*k+c]
		}
		for c := range k {
			resp[i*k+c] /= total
			nk[c] += resp[i*k+c]
			for a := range d {
				sum[c*d+a] += resp[i*k+c] * x[i*d+a]
			}
		}
	}
	for _, cov := range []Covariance{Full, Diag} {
		res, err := Fit(t.Context(), x, Options{Dims: d, Covariance: cov, Components: k, Init: InitRandom, Seed: seed, MaxIter: NoIterations, AddedVariance: offIfZero(reg), Tol: Off})
		if err != nil {
			t.Fatal(err)
		}
		m := res.Model
		for c := range k {
			if relErr(m.Weights[c], nk[c]/n) > 1e-13 {
				t.Errorf("%v: weight %d = %v, want %v", cov, c, m.Weights[c], nk[c]/n)
			}
			mu := []float64{sum[c*d] / nk[c], sum[c*d+1] / nk[c]}
			for a := range d {
				if math.Abs(m.Means[c*d+a]-mu[a]) > 1e-13 {
					t.Errorf("%v: mean %d,%d = %v, want %v", cov, c, a, m.Means[c*d+a], mu[a])
				}
				for b := range d {
					s := 0.0
					for i := range n {
						s += resp[i*k+c] * (x[i*d+a] - mu[a]) * (x[i*d+b] - mu[b])
					}
					want := s / nk[c]
					if a == b {
						want += reg
					}
					if got := m.CovarianceOf(c)[a*d+b]; (cov == Full || a == b) && math.Abs(got-want) > 1e-13 {
						t.Errorf("%v: covariance %d (%d,%d) = %v, want %v", cov, c, a, b, got, want)
					}
				}
			}
		}
	}
}

// A start given in part is Init's start with those parts in place of its own; given
// whole, it is the InitModel of those parts; a part of the wrong shape, or with
// InitModel, is an error.
func TestPartialStarts(t *testing.T) {
	const d, k = 2, 3
	x := colours(38, 3000, d, k)
	fitStart := func(o Options) (Model, error) {
		o.Dims, o.Components, o.Init, o.Seed, o.MaxIter = d, k, InitKMeans, 3, NoIterations
		res, err := Fit(t.Context(), x, o)
		if err != nil {
			return Model{}, err
		}
		return res.Model, nil
	}
	for _, cov := range allTypes {
		base, err := fitStart(Options{Covariance: cov, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
		if err != nil {
			t.Fatal(err)
		}
		weights, means := []float64{0.2, 0.3, 0.5}, []float64{0, 0, 1, 1, 2, 2}
		other := randomModel(rand.New(rand.NewPCG(1, 2)), k, d, cov)
		prec, err := other.Precisions()
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{"weights", "means", "precisions", "all"} {
			o, want := Options{Covariance: cov, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, base.Clone()
			if part == "weights" || part == "all" {
				o.InitWeights, want.Weights = weights, weights
			}
			if part == "means" || part == "all" {
				o.InitMeans, want.Means = means, means
			}
			if part == "precisions" || part == "all" {
				o.InitPrecisions, want.Covariances = prec, other.Covariances
			}
			got, err := fitStart(o)
			if err != nil {
				t.Fatalf("%v, %s given: %v", cov, part, err)
			}
			closeModels(t, fmt.Sprintf("%v, %s given", cov, part), &got, &want, 1e-12)
		}
	}
	for _, bad := range []Options{
		{InitWeights: []float64{1, 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		{InitMeans: []float64{0, 0, 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		{InitPrecisions: []float64{1, 1, 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		{InitPrecisions: []float64{1, 2, 2, 1, 1, 0, 0, 1, 1, 0, 0, 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, // indefinite
		{InitWeights: []float64{1, -1, 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		{InitWeights: []float64{1, 1, 1}, InitModel: &Model{Dims: d, Weights: []float64{1, 1, 1}, Means: make([]float64, 6), Covariances: []float64{1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
	} {
		if _, err := fitStart(bad); !errors.Is(err, ErrInvalidOptions) && !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// Over more than 2^16 samples the k-means and k-means++ starts seed and iterate on a
// bounded sample spread over the data: the start still finds separated clusters, its
// M-step made of every sample, the same at any thread count.
func TestKMeansStartOnABoundedSample(t *testing.T) {
	const n = 300_000
	truth := Model{Dims: 2, Weights: []float64{0.2, 0.3, 0.5}, Means: []float64{0, 0, 10, 0, 0, 10},
		Covariances: []float64{1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}}
	x, _, err := truth.Sample(rand.New(rand.NewPCG(7, 8)), n)
	if err != nil {
		t.Fatal(err)
	}
	for _, init := range []Init{InitKMeans, InitKMeansPP} {
		var first *Result
		for _, threads := range []int{1, 2} {
			res, err := Fit(t.Context(), x, Options{Dims: 2, Components: 3, Init: init, MaxIter: NoIterations, Exec: Exec{Threads: threads}})
			if err != nil {
				t.Fatal(err)
			}
			if first != nil && !reflect.DeepEqual(res.Model, first.Model) {
				t.Errorf("%v: the start differs on %d threads", init, threads)
			}
			first = res
		}
		if init != InitKMeans {
			continue
		}
		m := first.Model
		for k := range 3 {
			j := slices.IndexFunc([]int{0, 1, 2}, func(j int) bool {
				return math.Hypot(m.Means[2*k]-truth.Means[2*j], m.Means[2*k+1]-truth.Means[2*j+1]) < 0.05
			})
			if j < 0 || math.Abs(m.Weights[k]-truth.Weights[j]) > 0.01 {
				t.Errorf("k-means start: component %d, weight %v mean %v, is no cluster of the data", k, m.Weights[k], m.Means[2*k:2*k+2])
			}
		}
	}
}
