package gmm

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestInitNames(t *testing.T) {
	for _, i := range []Init{InitEvenlySpaced, InitQuantiles, InitKMeansPP, InitRandomFromData, InitKMeans, InitRandom} {
		got, err := ParseInit(i.String())
		if err != nil || got != i {
			t.Errorf("ParseInit(%q) = %v, %v", i.String(), got, err)
		}
	}
	if _, err := ParseInit("kmedians"); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("unknown name: %v", err)
	}
}

// initial fits nothing: it returns the starting model Fit would use (one iteration run).
func initial(t *testing.T, x any, opt Options) Model {
	t.Helper()
	opt.MaxIter = 1
	res, err := Fit(t.Context(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Initial.Validate(); err != nil {
		t.Fatalf("%v start: %v", opt.Init, err)
	}
	return res.Initial
}

func TestInitQuantiles(t *testing.T) {
	x := sample(t, 21, 100000, truth)
	m := initial(t, x, Options{Components: 3, Init: InitQuantiles, Tol: Off, AddedVariance: Off})
	sorted := slices.Sorted(slices.Values(x))
	width := (sorted[len(sorted)-1] - sorted[0]) / quantileBins
	for k, q := range []float64{1.0 / 6, 0.5, 5.0 / 6} {
		want := sorted[int(q*float64(len(x)))]
		if math.Abs(m.Means[k]-want) > 2*width+1e-12 {
			t.Errorf("mean %d = %v, the %.3f quantile is %v", k, m.Means[k], q, want)
		}
	}
	// Integer weights are repetitions: weight 3 on every sample below 0.3 moves the
	// quantiles as three copies of them would.
	w := make([]float64, len(x))
	var rep []float64
	for i, v := range x {
		w[i] = 1
		if v < 0.3 {
			w[i] = 3
		}
		for range int(w[i]) {
			rep = append(rep, v)
		}
	}
	weighted := initial(t, Weighted{x, w}, Options{Components: 3, Init: InitQuantiles, Tol: Off, AddedVariance: Off})
	repeated := initial(t, rep, Options{Components: 3, Init: InitQuantiles, Tol: Off, AddedVariance: Off})
	for k := range 3 {
		if math.Abs(weighted.Means[k]-repeated.Means[k]) > 1e-12 {
			t.Errorf("weighted mean %d = %v, repeated %v", k, weighted.Means[k], repeated.Means[k])
		}
	}
}

func TestRandomInitsAreSeeded(t *testing.T) {
	x := sample(t, 22, 20000, truth)
	for _, init := range []Init{InitKMeansPP, InitRandomFromData} {
		a := initial(t, x, Options{Components: 3, Init: init, Seed: 7, Tol: Off, AddedVariance: Off})
		b := initial(t, x, Options{Components: 3, Init: init, Seed: 7, Tol: Off, AddedVariance: Off})
		c := initial(t, x, Options{Components: 3, Init: init, Seed: 8, Tol: Off, AddedVariance: Off})
		if !slices.Equal(a.Means, b.Means) || !slices.Equal(a.Stdevs(), b.Stdevs()) || !slices.Equal(a.Weights, b.Weights) {
			t.Errorf("%v: the same seed gave %v and %v", init, a, b)
		}
		if slices.Equal(a.Means, c.Means) {
			t.Errorf("%v: seeds 7 and 8 gave the same means %v", init, a.Means)
		}
		if init == InitRandomFromData {
			for _, mu := range a.Means {
				if !slices.Contains(x, mu) {
					t.Errorf("random-from-data mean %v is not a sample", mu)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(a.Means)))) != 3 {
				t.Errorf("random-from-data means repeat: %v", a.Means)
			}
		}
	}
}

// InitKMeansPP is scikit-learn's: a sample of positive weight in each cluster, equal
// weights, variances of AddedVariance or, with none, the floor (1e-6 of the data's
// variance, recorded at iteration -1, not kept on).
func TestKMeansPPFindsTheClusters(t *testing.T) {
	x := sample(t, 23, 30000, truth)
	// Samples of weight 0 far away must never become centres.
	x = append(x, 50, 60, 70)
	w := make([]float64, len(x))
	for i := range w[:len(w)-3] {
		w[i] = 1
	}
	s := summarise(x, w)
	for seed := range uint64(10) {
		for _, minVar := range []float64{Off, 1e-6} {
			res, err := Fit(t.Context(), Weighted{x, w}, Options{Components: 3, Init: InitKMeansPP, Seed: seed, AddedVariance: minVar, MaxIter: 1, Tol: Off})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Initial
			means := slices.Sorted(slices.Values(m.Means))
			for k, mu := range means {
				if math.Abs(mu-truth.Means[k]) > 4*truth.Stdevs()[k] || !slices.Contains(x, mu) {
					t.Errorf("seed %d: k-means++ seeds %v, the clusters are at %v", seed, means, truth.Means)
					break
				}
			}
			want, floored := minVar, 0
			if minVar == Off {
				want, floored = 1e-6*s.stdev*s.stdev, 3
			}
			for k := range 3 {
				if m.Weights[k] != 1.0/3 || relErr(m.Covariances[k], want) > 1e-12 {
					t.Errorf("seed %d, AddedVariance %v: component %d of weight %v, variance %v, want 1/3, %v", seed, minVar, k, m.Weights[k], m.Covariances[k], want)
				}
			}
			if len(res.Floored) != floored || (floored > 0 && res.Floored[0] != Floor{Component: 0, First: -1, Count: 1}) {
				t.Errorf("seed %d, AddedVariance %v: floored %v, want each component's start", seed, minVar, res.Floored)
			}
		}
	}
}

func TestNInitKeepsTheBestStart(t *testing.T) {
	// Four tight clusters, started from random samples: some starts put two means in one
	// cluster and stay in that local optimum.
	four := fromStdevs([]float64{1, 1, 1, 1}, []float64{0, 1, 2, 3}, []float64{0.05, 0.05, 0.05, 0.05})
	x := sample(t, 24, 4000, four)
	var prev float64
	var improved bool
	for n := 1; n <= 8; n++ {
		// Progress reports every run's start and iterations; the Result is the run whose
		// last step has the highest log-likelihood.
		last := map[int]Step{}
		progress := func(s Step) {
			if s.Iter == -1 && s.Run != len(last) {
				t.Fatalf("run %d started after %d runs", s.Run, len(last))
			}
			s.Model = s.Model.Clone() // the fit's own, valid during the call
			last[s.Run] = s
		}
		res, err := Fit(t.Context(), x, Options{Components: 4, MaxIter: 100, Init: InitRandomFromData, Seed: 3, NInit: n, AddedVariance: 1e-9, Progress: progress, Tol: Off})
		if err != nil {
			t.Fatal(err)
		}
		if len(last) != n || last[res.Run].LogLikelihood != res.LogLikelihood || !slices.Equal(last[res.Run].Model.Means, res.Model.Means) {
			t.Fatalf("NInit=%d: %d runs reported; kept run %d (log-likelihood %v), its last step %v", n, len(last), res.Run, res.LogLikelihood, last[res.Run])
		}
		for r, s := range last {
			if s.LogLikelihood > res.LogLikelihood {
				t.Fatalf("NInit=%d: run %d ended at %v, above the kept run %d's %v", n, r, s.LogLikelihood, res.Run, res.LogLikelihood)
			}
		}
		// Restarts 0..n-1 are a prefix of restarts 0..n: the best can only improve.
		if n > 1 && res.LogLikelihood < prev {
			t.Fatalf("NInit=%d: log-likelihood %v below NInit=%d's %v", n, res.LogLikelihood, n-1, prev)
		}
		improved = improved || (n > 1 && res.LogLikelihood > prev+1)
		prev = res.LogLikelihood
	}
	if !improved {
		t.Error("no restart found a better optimum than the first: the test data make none")
	}
	// A deterministic start runs once whatever NInit.
	starts, calls := 0, 0
	count := func(s Step) {
		if s.Iter < 0 {
			starts++
		} else {
			calls++
		}
	}
	if _, err := Fit(t.Context(), x, Options{Components: 4, MaxIter: 5, NInit: 6, Progress: count, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); err != nil {
		t.Fatal(err)
	}
	if starts != 1 || calls != 5 {
		t.Errorf("evenly spaced start with NInit=6: %d starts and %d iterations, want 1 and 5", starts, calls)
	}
	if _, err := Fit(t.Context(), x, Options{Components: 4, MaxIter: 5, NInit: -1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("NInit=-1: %v", err)
	}
}

func TestInitsOnDegenerateData(t *testing.T) {
	for _, x := range [][]float64{
		{0.5, 0.5, 0.5, 0.5},          // constant
		{0.2, 0.2, 0.2, 0.7, 0.7},     // two values, K = 3
		{1e9, 1e9 + 1, 1e9 + 2, 1e9},  // a large offset
		{-3, 4, 1e-300, 0, 5e-324, 2}, // tiny and subnormal values
	} {
		for _, init := range []Init{InitQuantiles, InitKMeansPP, InitRandomFromData, InitKMeans, InitRandom} {
			for _, minVar := range []float64{Off, 1e-6} {
				m := initial(t, x, Options{Components: 3, Init: init, AddedVariance: minVar, Tol: Off})
				for _, v := range slices.Concat(m.Weights, m.Means, m.Stdevs()) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("%v on %v: start %v", init, x, m)
					}
				}
			}
		}
	}
}

// InitKMeans converges Lloyd's iterations: on three blobs, each start's means are the
// blobs' means, whatever the seed, and the fit from it is scikit-learn's default start.
func TestInitKMeans(t *testing.T) {
	x := sample(t, 41, 30000, truth)
	for seed := range uint64(4) {
		m := initial(t, x, Options{Components: 3, Init: InitKMeans, Seed: seed, Tol: Off, AddedVariance: Off})
		got := slices.Clone(m.Means)
		slices.Sort(got)
		for k, mu := range got {
			if math.Abs(mu-truth.Means[k]) > 0.02 {
				t.Errorf("seed %d: means %v, the blobs' %v", seed, got, truth.Means)
				break
			}
		}
	}
	// Over several features as well.
	xs := colours(7, 3000, 3, 3)
	m := initial(t, xs, Options{Dims: 3, Components: 3, Init: InitKMeans, Seed: 1, Tol: Off, AddedVariance: Off})
	for k := range 3 {
		c := m.Means[3*k]
		if r := math.Mod(c*3, 1); math.Abs(r-0.5) > 0.05 {
			t.Errorf("3-D k-means centre %v, not a blob's", m.Means[3*k:3*k+3])
		}
	}
}
