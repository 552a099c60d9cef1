package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/internal/race"
)

// colours draws n samples of d features from k well-separated blobs, row-major.
func colours(seed uint64, n, d, k int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n*d)
	for i := range n {
		c := i % k
		for a := range d {
			x[i*d+a] = (float64(c)+0.5)/float64(k) + 0.03*rng.NormFloat64()*float64(1+a%2)
		}
	}
	return x
}

var allTypes = []Covariance{Full, Diag, Spherical, Tied}

// checkFloat32Fit checks the fits of x32 against those of x, the same values in float64,
// on every kernel: the same bits on the generic kernel, every iteration's log-likelihood
// within 1e-6 relative on the others.
func checkFloat32Fit(t *testing.T, x []float64, x32 []float32, opt Options) {
	t.Helper()
	for _, kern := range kernels() {
		opt.Kernel = kern
		res, err := Fit(t.Context(), x, opt)
		if err != nil {
			t.Fatal(err)
		}
		res32, err := Fit(t.Context(), x32, opt)
		if err != nil {
			t.Fatal(err)
		}
		if kern == "generic" && !slices.Equal(res32.Model.Covariances, res.Model.Covariances) {
			t.Errorf("%v: float32 samples fit to %v, float64 to %v", opt.Covariance, res32.Model, res.Model)
		}
		for i, a := range res.History {
			if b := res32.History[i]; math.Abs(a-b) > 1e-6*math.Abs(a) {
				t.Errorf("%s %v: iteration %d: float32 log-likelihood %v, float64 %v", kern, opt.Covariance, i, b, a)
			}
		}
	}
}

// A multichannel fit gives the same bits whatever the number of workers; float32 samples
// give the float64 fit of the same values on the generic kernel, which computes in
// float64, and agree with it to float32's precision on the others, whose float32 lanes
// compute the log-densities and exps in float32.
func TestMultiFitIsBitIdenticalAcrossThreads(t *testing.T) {
	x := colours(1, 20000, 3, 4)
	x32 := make([]float32, len(x))
	for i, v := range x {
		x32[i] = float32(v)
		x[i] = float64(x32[i])
	}
	for _, c := range allTypes {
		opt := Options{Dims: 3, Covariance: c, Components: 4, MaxIter: 8, Init: InitKMeansPP, Seed: 3, Tol: Off, AddedVariance: Off}
		var first *Result
		for _, threads := range []int{1, 2, 5} {
			opt.Threads = threads
			res, err := fitKeep(t.Context(), x, opt)
			if err != nil {
				t.Fatal(err)
			}
			checkValid(t, c.String(), res, 4)
			if first == nil {
				first = res.Result
				checkFloat32Fit(t, x, x32, opt)
				continue
			}
			if !slices.Equal(res.Model.Means, first.Model.Means) || !slices.Equal(res.Model.Covariances, first.Model.Covariances) ||
				res.LogLikelihood != first.LogLikelihood {
				t.Errorf("%v: %d threads give another fit", c, threads)
			}
		}
	}
}

// Weights count samples: a weighted fit is the fit of the samples repeated.
func TestMultiWeightsCountSamples(t *testing.T) {
	x := colours(2, 600, 2, 3)
	w := make([]float64, 600)
	var rep []float64
	for i := range w {
		w[i] = float64(1 + i%3)
		for range int(w[i]) {
			rep = append(rep, x[2*i:2*i+2]...)
		}
	}
	for _, c := range allTypes {
		opt := Options{Dims: 2, Covariance: c, Components: 3, MaxIter: 10, Init: InitQuantiles, Tol: Off, AddedVariance: Off}
		a, err := Fit(t.Context(), rep, opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Fit(t.Context(), Weighted{x, w}, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.History {
			if relErr(a.History[i], b.History[i]) > 1e-11 {
				t.Fatalf("%v iteration %d: repeated %v, weighted %v", c, i, a.History[i], b.History[i])
			}
		}
	}
}

// Degenerate colour data give valid mixtures of every type, never NaN: a constant
// channel, two colours only, more components than distinct colours, all one colour.
func TestMultiDegenerateData(t *testing.T) {
	constant := colours(3, 900, 3, 3)
	for i := range 900 {
		constant[i*3+1] = 0.5
	}
	var two, one []float64
	for i := range 1000 {
		if i%3 == 0 {
			two = append(two, 0.9, 0.1, 0.2)
		} else {
			two = append(two, 0.2, 0.3, 0.9)
		}
		one = append(one, 0.4, 0.4, 0.4)
	}
	for name, x := range map[string][]float64{"constant channel": constant, "two colours": two, "one colour": one} {
		for _, c := range allTypes {
			for _, init := range []Init{InitEvenlySpaced, InitQuantiles, InitKMeansPP, InitRandomFromData} {
				res, err := fitKeep(t.Context(), x, Options{Dims: 3, Covariance: c, Components: 5, MaxIter: 15, Init: init, Tol: Off, AddedVariance: Off})
				if err != nil {
					t.Fatalf("%s, %v, %v: %v", name, c, init, err)
				}
				checkValid(t, fmt.Sprintf("%s, %v, %v", name, c, init), res, 5)
			}
		}
	}
}

// A component that loses every sample is split from the widest along its principal
// axis: the two halves straddle its mean along the axis.
func TestMultiSplitAlongThePrincipalAxis(t *testing.T) {
	x := colours(4, 4000, 2, 1)
	for i := range 4000 { // stretch the blob along (1, 1)
		s := float64(i%100)/100 - 0.5
		x[2*i] += s
		x[2*i+1] += s
	}
	far := Model{Dims: 2, Weights: []float64{0.5, 0.5}, Means: []float64{0.5, 0.5, 1e6, -1e6},
		Covariances: []float64{0.1, 0, 0, 0.1, 1e-6, 0, 0, 1e-6}}
	res, err := Fit(t.Context(), x, Options{Dims: 2, Components: 2, MaxIter: 1, InitModel: &far, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reseeded) != 1 || res.Reseeded[0].Component != 1 {
		t.Fatalf("reseeded %v, want component 1", res.Reseeded)
	}
	// The axis of the data's covariance, in closed form for 2 x 2: the angle
	// atan2(2 c_xy, c_xx - c_yy) / 2.
	dr, err := drive.New(kernel.Generic, drive.Config{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer dr.Close()
	_, cov, _ := moments(context.Background(), rowSamples(x, 2).onDriver(dr), nil)
	angle := math.Atan2(2*cov[1], cov[0]-cov[3]) / 2
	m := res.Model.Means
	dx, dy := m[2]-m[0], m[3]-m[1]
	if got := math.Atan2(dy, dx); math.Abs(got-angle) > 1e-6 {
		t.Errorf("the halves are %v apart, at %v rad; the principal axis is at %v", []float64{dx, dy}, got, angle)
	}
	// Half a standard deviation along the axis either side: sqrt(lambda) apart.
	lambda := (cov[0]+cov[3])/2 + math.Hypot((cov[0]-cov[3])/2, cov[1])
	if d := math.Hypot(dx, dy); math.Abs(d-math.Sqrt(lambda)) > 1e-9 {
		t.Errorf("the halves are %v apart, want sqrt(lambda) = %v", d, math.Sqrt(lambda))
	}
}

// Models over several features validate their shapes, symmetry and positive
// definiteness, and survive JSON.
func TestMultiModelValidation(t *testing.T) {
	ok := Model{Dims: 2, Weights: []float64{1, 1}, Means: []float64{0, 0, 1, 1},
		Covariances: []float64{1, 0.5, 0.5, 1, 2, -1, -1, 2}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(m *Model){
		"asymmetric":    func(m *Model) { m.Covariances[1] = 0.4 },
		"not definite":  func(m *Model) { m.Covariances[1], m.Covariances[2] = 2, 2 },
		"short means":   func(m *Model) { m.Means = m.Means[:3] },
		"diag shape":    func(m *Model) { m.Covariance = Diag },
		"NaN mean":      func(m *Model) { m.Means[2] = math.NaN() },
		"too many dims": func(m *Model) { m.Dims = MaxDims + 1 },
	}
	for name, spoil := range bad {
		m := ok.Clone()
		spoil(&m)
		if err := m.Validate(); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := m.MarshalJSON(); err == nil {
			t.Errorf("%s: marshalled", name)
		}
	}
	data, err := ok.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := back.UnmarshalJSON(data); err != nil || !slices.Equal(back.Covariances, ok.Covariances) || back.Dims != 2 {
		t.Fatalf("%s read back as %v (%v)", data, back, err)
	}
}

// Bad multichannel input is an error: a sample count not divisible by Dims, Dims beyond
// MaxDims, a start of another dimension.
func TestMultiBadInput(t *testing.T) {
	x := colours(5, 100, 3, 2)
	if _, err := Fit(t.Context(), x[:299], Options{Dims: 3, Components: 2, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("299 values of 3 features: %v", err)
	}
	if _, err := Fit(t.Context(), x, Options{Dims: MaxDims + 1, Components: 2, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Dims %d: %v", MaxDims+1, err)
	}
	one := fromStdevs([]float64{1, 1}, []float64{0, 1}, []float64{1, 1})
	if _, err := Fit(t.Context(), x, Options{Dims: 3, Components: 2, MaxIter: 1, InitModel: &one, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("a 1-D start for 3-D samples: %v", err)
	}
	m := Model{Dims: 3, Weights: []float64{1}, Means: []float64{0, 0, 0}, Covariances: []float64{1}, Covariance: Spherical}
	if err := Predict(t.Context(), &m, make([]uint16, 33), x[:100], Exec{}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("Predict of 100 values of 3 features: %v", err)
	}
}

// Samples drawn from a full-covariance model have its mean and covariance, and fit back
// to it.
func TestMultiSample(t *testing.T) {
	m := Model{Dims: 2, Weights: []float64{0.3, 0.7}, Means: []float64{0, 0, 3, 1},
		Covariances: []float64{1, 0.6, 0.6, 0.5, 0.2, -0.1, -0.1, 0.3}}
	x, comp, err := m.Sample(rand.New(rand.NewPCG(9, 9)), 200000)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		var sx, sy, sxx, sxy, syy, n float64
		for i, c := range comp {
			if c == k {
				a, b := x[2*i]-m.Means[2*k], x[2*i+1]-m.Means[2*k+1]
				sx, sy, sxx, sxy, syy, n = sx+a, sy+b, sxx+a*a, sxy+a*b, syy+b*b, n+1
			}
		}
		got := []float64{sx / n, sy / n, sxx / n, sxy / n, syy / n}
		cov := m.Covariances[4*k:]
		want := []float64{0, 0, cov[0], cov[1], cov[3]}
		for i := range got {
			// Five standard errors of a mean or a second moment of n draws.
			if se := 5 * math.Sqrt(2*max(cov[0], cov[3])*max(cov[0], cov[3])/n); math.Abs(got[i]-want[i]) > se {
				t.Errorf("component %d: moment %d is %v, want %v within %v", k, i, got[i], want[i], se)
			}
		}
	}
	res, err := Fit(t.Context(), x, Options{Dims: 2, Components: 2, MaxIter: 100, Tol: 1e-10, Init: InitKMeansPP, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Model
	if r.Means[0] > r.Means[2] { // the components in m's order
		r = Model{Dims: 2, Weights: []float64{r.Weights[1], r.Weights[0]}, Means: []float64{r.Means[2], r.Means[3], r.Means[0], r.Means[1]},
			Covariances: append(append([]float64(nil), r.Covariances[4:]...), r.Covariances[:4]...)}
	}
	for i := range m.Covariances {
		if math.Abs(r.Covariances[i]-m.Covariances[i]) > 0.02 {
			t.Fatalf("fitted %v, drawn from %v", r, m)
		}
	}
}

// A multichannel pass whose per-tile statistics would pass MaxStatsBytes is refused
// before they are allocated.
func TestMultiStatsMemoryIsBounded(t *testing.T) {
	k, err := kernel.Lookup("generic")
	if err != nil {
		t.Fatal(err)
	}
	d, err := drive.New(k, drive.Config{Threads: 1, TileSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// A window of two tiles, the total and the coefficients, K (1 + 32 + 32^2) numbers
	// each: 1.1 GB for K = 32768, 135 KiB for K = 4.
	err = checkStatsMemory(d, 65536, MaxComponents/2, 32)
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "MiB of statistics and coefficients") {
		t.Errorf("K = %d over 32 features: %v", MaxComponents/2, err)
	}
	if err := checkStatsMemory(d, 65536, 4, 32); err != nil {
		t.Errorf("K = 4 over 32 features: %v", err)
	}
}

// SelectComponents chooses the covariance type with the number of components: on two
// blobs, 2 components of the type of lowest BIC among all 12 candidates, each fitted as
// the type it names.
func TestSelectComponentsAndCovariance(t *testing.T) {
	x := colours(6, 4000, 2, 2)
	sel, err := SelectComponents(t.Context(), x, 1, 3, Options{Dims: 2, MaxIter: 50, Tol: 1e-8, Init: InitKMeansPP, AddedVariance: Off}, Full, Diag, Spherical, Tied)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Candidates) != 12 {
		t.Fatalf("%d candidates, want 12", len(sel.Candidates))
	}
	best := sel.Candidates[sel.Best]
	for _, c := range sel.Candidates {
		if c.BIC < best.BIC {
			t.Fatalf("best %v/%d has BIC %v, %v/%d has %v", best.Covariance, best.K, best.BIC, c.Covariance, c.K, c.BIC)
		}
		if c.Result.Model.Covariance != c.Covariance {
			t.Fatalf("candidate %v/%d fitted a %v model", c.Covariance, c.K, c.Result.Model.Covariance)
		}
	}
	if best.K != 2 {
		t.Errorf("chose %v with %d components", best.Covariance, best.K)
	}
}

// Samples far beyond every component of a multichannel model score -Inf, not NaN, and
// take component 0 with responsibility 1; finite ones score as the closed form says.
func TestMultiScoresBeyondReach(t *testing.T) {
	m := Model{Dims: 2, Weights: []float64{0.5, 0.5}, Means: []float64{0, 0, 1, 1},
		Covariances: []float64{1, 0.5, 0.5, 1, 1e-4, 0.9e-4, 0.9e-4, 1e-4}}
	x := []float64{0, 0, 1e300, -1e300, math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64, 1}
	scores, err := ScoreSamples(t.Context(), &m, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	// At (0, 0): 0.5 N(0; 0, S) with det S = 0.75, and component 1's 1e4 sigma away.
	want0 := math.Log(0.5 / (2 * math.Pi * math.Sqrt(0.75)))
	if math.Abs(scores[0]-want0) > 1e-12 || !math.IsInf(scores[1], -1) || !math.IsInf(scores[2], -1) || !math.IsInf(scores[3], -1) {
		t.Errorf("scores %v, want [%v -Inf -Inf -Inf]", scores, want0)
	}
	proba, err := PredictProba(t.Context(), &m, x, Exec{})
	if err != nil || slices.ContainsFunc(proba, math.IsNaN) || proba[2] != 1 || proba[4] != 1 {
		t.Errorf("responsibilities %v (%v)", proba, err)
	}
}

// Whole multichannel fits on every kernel agree with the generic kernel's to 1e-10
// relative at every iteration (the log-likelihood and the final parameters), for 2 to 5
// features, every covariance type, weighted or not.
func TestMultiFitKernelsAgree(t *testing.T) {
	if len(kernels()) < 2 {
		t.Skip("only the generic kernels in this build or on this CPU")
	}
	for d := 2; d <= 5; d++ {
		x := colours(uint64(d), 5003, d, 4)
		w := make([]float64, len(x)/d)
		for i := range w {
			w[i] = float64(1 + i%3)
		}
		for _, c := range allTypes {
			for _, weights := range [][]float64{nil, w} {
				opt := Options{Dims: d, Covariance: c, Components: 4, MaxIter: 15, Init: InitQuantiles, Tol: Off, AddedVariance: Off}
				opt.Kernel = "generic"
				want, err := Fit(t.Context(), Weighted{x, weights}, opt)
				if err != nil {
					t.Fatal(err)
				}
				for _, kern := range kernels() {
					opt.Kernel = kern
					got, err := Fit(t.Context(), Weighted{x, weights}, opt)
					if err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("%s d=%d %v weighted=%v", kern, d, c, weights != nil)
					for i, b := range want.History {
						if a := got.History[i]; math.Abs(a-b) > 1e-10*math.Abs(b) {
							t.Fatalf("%s: iteration %d: log-likelihood %v, generic %v", what, i, a, b)
						}
					}
					for i, v := range slices.Concat(want.Model.Weights, want.Model.Means, want.Model.Covariances) {
						g := slices.Concat(got.Model.Weights, got.Model.Means, got.Model.Covariances)[i]
						if math.Abs(g-v) > 1e-10*math.Abs(v) {
							t.Fatalf("%s: parameter %d is %v, generic %v", what, i, g, v)
						}
					}
				}
			}
		}
	}
}

// Fits over many features run end to end on every kernel, from a start near the two
// blobs of the data, and find them: 1024 features with diagonal covariances (and full
// ones on the fastest kernel alone: the Go M-step's factorisations of 1024 x 1024
// matrices take a second), 256 with full ones. A fit whose statistics and coefficients,
// K (1 + d + d^2) numbers each, would pass MaxStatsBytes is refused before it allocates
// them, with one error that says how much it needs.
func TestFitOfManyFeatures(t *testing.T) {
	for _, c := range []struct {
		d   int
		cov Covariance
		all bool // every kernel, not the fastest alone
	}{{1024, Diag, true}, {1024, Full, false}, {256, Full, true}} {
		const n = 300
		rng := rand.New(rand.NewPCG(29, uint64(c.d)))
		x := make([]float64, n*c.d)
		for i := range n {
			for a := range c.d {
				x[i*c.d+a] = float64(i%2)*3 + rng.NormFloat64()
			}
		}
		start := Model{Dims: c.d, Weights: []float64{0.5, 0.5}, Means: make([]float64, 2*c.d), Covariances: make([]float64, 2*c.d*c.d)}
		for a := range c.d {
			start.Means[c.d+a] = 2.5
			start.Covariances[a*c.d+a], start.Covariances[c.d*c.d+a*c.d+a] = 2, 2
		}
		start = start.asMulti(c.cov)
		kernels := kernels()
		if !c.all || race.Enabled { // the race detector finds nothing in the kernels' loops
			kernels = kernels[:1]
		}
		for _, k := range kernels {
			res, err := Fit(t.Context(), x, Options{Exec: Exec{Kernel: k}, Components: 2, Dims: c.d, Covariance: c.cov, MaxIter: 2,
				AddedVariance: 1e-3, InitModel: &start, Init: InitEvenlySpaced, Tol: Off})
			if err != nil {
				t.Fatalf("d=%d %v %s: %v", c.d, c.cov, k, err)
			}
			if w, mu := res.Model.Weights, res.Model.Means; math.Abs(w[0]-0.5) > 0.01 || math.Abs(mu[0]) > 0.5 || math.Abs(mu[c.d]-3) > 0.5 {
				t.Errorf("d=%d %v %s: weights %v, first means %v and %v, want the two halves at 0 and 3", c.d, c.cov, k, w, mu[0], mu[c.d])
			}
		}
	}
	x := make([]float64, 300*1024)
	_, err := Fit(t.Context(), x, Options{Components: 200, Dims: 1024, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "MiB of statistics and coefficients") {
		t.Errorf("200 components over 1024 features: %v", err)
	}
}
