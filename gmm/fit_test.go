package gmm

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/internal/race"
)

var truth = fromStdevs([]float64{0.3, 0.5, 0.2}, []float64{0.15, 0.5, 0.85}, []float64{0.04, 0.08, 0.03})

func sample(t testing.TB, seed uint64, n int, m Model) []float64 {
	t.Helper()
	x, err := gen.Mixture(seed, n, m.Weights, m.Means, m.Stdevs())
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// fitBoth fits the same samples in float64 and float32.
func fitBoth(t *testing.T, x, x32 any, opt Options) (fitted, fitted) {
	t.Helper()
	r64, err := fitKeep(context.Background(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	r32, err := fitKeep(context.Background(), x32, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r64, r32
}

// fitted is a fit's Result with a copy of the Step of every iteration of the run it kept,
// which the tests compare and History does not hold.
type fitted struct {
	*Result
	Steps []Step
}

// fitKeep is Fit, keeping every iteration's Step of the run it keeps through a Record.
func fitKeep(ctx context.Context, x any, opt Options) (fitted, error) {
	var rec Record
	opt.Progress = rec.Add
	res, err := Fit(ctx, x, opt)
	if res == nil {
		return fitted{}, err
	}
	return fitted{res, rec.Run(res.Run)}, err
}

func relErr(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }

// sameHistory fails unless a and b agree to tol relative in every parameter and
// log-likelihood of every step.
func sameHistory(t *testing.T, a, b []Step, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d steps and %d steps", len(a), len(b))
	}
	for i := range a {
		for _, p := range [][2][]float64{
			{a[i].Model.Means, b[i].Model.Means},
			{a[i].Model.Stdevs(), b[i].Model.Stdevs()},
			{a[i].Model.Weights, b[i].Model.Weights},
			{{a[i].LogLikelihood}, {b[i].LogLikelihood}},
		} {
			for k := range p[0] {
				if e := relErr(p[0][k], p[1][k]); !(e <= tol) {
					t.Fatalf("iteration %d: %.17g vs %.17g (rel err %.2g > %.2g)", i, p[0][k], p[1][k], e, tol)
				}
			}
		}
	}
}

func TestFitRecoversAKnownMixture(t *testing.T) {
	x := sample(t, 1, 200000, truth)
	res, err := Fit(context.Background(), x, Options{Components: 3, MaxIter: 200, Tol: 1e-10, Init: InitEvenlySpaced, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Converged || len(res.History) >= 200 {
		t.Fatalf("did not converge: %d iterations", len(res.History))
	}
	for k := range 3 {
		if math.Abs(res.Model.Means[k]-truth.Means[k]) > 0.005 ||
			math.Abs(res.Model.Stdevs()[k]-truth.Stdevs()[k]) > 0.005 ||
			math.Abs(res.Model.Weights[k]-truth.Weights[k]) > 0.01 {
			t.Errorf("component %d: got %v %v %v, truth %v %v %v", k,
				res.Model.Weights[k], res.Model.Means[k], res.Model.Stdevs()[k],
				truth.Weights[k], truth.Means[k], truth.Stdevs()[k])
		}
	}
	if relErr(floats.Sum(res.Model.Weights), 1) > 1e-12 {
		t.Errorf("weights sum to %v", floats.Sum(res.Model.Weights))
	}
}

func TestLogLikelihoodNeverDecreases(t *testing.T) {
	x := sample(t, 2, 50000, truth)
	res, err := Fit(context.Background(), x, Options{Components: 4, MaxIter: 40, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(res.History); i++ {
		prev, cur := res.History[i-1], res.History[i]
		if cur < prev-1e-9*math.Abs(prev) {
			t.Fatalf("log-likelihood fell from %v to %v at iteration %d", prev, cur, i)
		}
	}
}

func TestHistoryLogLikelihoodIsOfItsParameters(t *testing.T) {
	x := sample(t, 3, 10000, truth)
	res, err := fitKeep(context.Background(), x, Options{Components: 3, MaxIter: 5, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Steps {
		if res.History[i] != s.LogLikelihood {
			t.Fatalf("History[%d] = %v, Progress had %v", i, res.History[i], s.LogLikelihood)
		}
		// The log-likelihood of the step's model, computed independently with gonum.
		want := 0.0
		p := make([]float64, 3)
		for _, v := range x {
			for k := range p {
				p[k] = math.Log(s.Model.Weights[k]) + distuv.Normal{Mu: s.Model.Means[k], Sigma: s.Model.Stdevs()[k]}.LogProb(v)
			}
			want += floats.LogSumExp(p)
		}
		if relErr(s.LogLikelihood, want) > 1e-12 {
			t.Fatalf("iteration %d: log-likelihood %v, want %v", s.Iter, s.LogLikelihood, want)
		}
	}
	if res.LogLikelihood != res.History[4] || !slices.Equal(res.Model.Means, res.Steps[4].Model.Means) {
		t.Fatal("Result does not hold the last step")
	}
}

func TestTolZeroRunsExactlyMaxIter(t *testing.T) {
	x := sample(t, 4, 5000, truth)
	res, err := fitKeep(context.Background(), x, Options{Components: 3, MaxIter: 300, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 300 || len(res.Steps) != 300 || res.Converged {
		t.Fatalf("history %d, steps %d, converged %v; want 300, 300, false", len(res.History), len(res.Steps), res.Converged)
	}
	for i, s := range res.Steps {
		if s.Iter != i {
			t.Fatalf("History[%d].Iter = %d", i, s.Iter)
		}
	}
}

func TestTolStopsWhenTheGainIsSmall(t *testing.T) {
	x := sample(t, 5, 20000, truth)
	const tol = 1e-4
	res, err := Fit(context.Background(), x, Options{Components: 3, MaxIter: 500, Tol: tol, Init: InitEvenlySpaced, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	h := res.History
	if !res.Converged || len(h) < 3 || len(h) == 500 {
		t.Fatalf("converged %v after %d iterations", res.Converged, len(h))
	}
	// scikit-learn's rule: the E-step under the second-last step's parameters met Tol,
	// and its M-step, the last, still ran.
	n, k := float64(len(x)), len(h)
	if met := math.Abs(h[k-2]-h[k-3]) / n; met >= tol {
		t.Fatalf("stopped on a gain of %v per sample, not below %v", met, tol)
	}
	for i := 1; i < k-2; i++ {
		if g := math.Abs(h[i]-h[i-1]) / n; g < tol {
			t.Fatalf("iteration %d already gained only %v per sample, but the fit went on", i, g)
		}
	}
}

func TestWeightsEqualRepetition(t *testing.T) {
	base := sample(t, 6, 3000, truth)
	w := make([]float64, len(base))
	var repeated []float64
	for i, v := range base {
		w[i] = float64(i % 4)
		for range i % 4 {
			repeated = append(repeated, v)
		}
	}
	opt := Options{Components: 3, MaxIter: 10, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	plain, err := fitKeep(context.Background(), repeated, opt)
	if err != nil {
		t.Fatal(err)
	}
	weighted, err := fitKeep(context.Background(), Weighted{base, w}, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameHistory(t, weighted.Steps, plain.Steps, 1e-10)
}

func TestThreadsGiveIdenticalBits(t *testing.T) {
	// 300000 samples make several tiles at any cache size (drive.MaxTileSize).
	x := sample(t, 7, 300000, truth)
	x32 := gen.Float32s(x)
	w := make([]float64, len(x))
	for i := range w {
		w[i] = float64(1 + i%3)
	}
	most, pins := max(4, 2*drive.AutoThreads()), []bool{false, runtime.GOOS == "linux"}
	if testing.Short() { // under an emulator: the threads that split the tiles unevenly
		most, pins = 3, pins[:1]
	}
	for _, name := range kernels() {
		for _, weights := range [][]float64{nil, w} {
			var first []Step
			for threads := 1; threads <= most; threads++ {
				for _, pin := range pins {
					opt := Options{Components: 3, MaxIter: 4, Exec: Exec{Threads: threads, Pin: pin, Kernel: name}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
					r64, r32 := fitBoth(t, Weighted{x, weights}, Weighted{x32, weights}, opt)
					if r64.Threads != threads || r64.Kernel != name {
						t.Fatalf("ran on %d threads of %s, asked for %d of %s", r64.Threads, r64.Kernel, threads, name)
					}
					h := append(slices.Clone(r64.Steps), r32.Steps...)
					if first == nil {
						first = h
						continue
					}
					sameHistory(t, h, first, 0)
				}
			}
		}
	}
}

func TestFitAllocatesNothingPerIteration(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	if testing.Short() {
		t.Skip("allocations do not depend on the CPU: the full runs count them, not an emulator")
	}
	x := sample(t, 8, 100000, truth)
	allocs := func(iters int) float64 {
		opt := Options{Components: 3, MaxIter: iters, Exec: Exec{Threads: 2}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
		return testing.AllocsPerRun(10, func() {
			if _, err := Fit(context.Background(), x, opt); err != nil {
				t.Fatal(err)
			}
		})
	}
	// History is reserved up front (historyReserve) and the model kept in place, so 200
	// iterations allocate what 4 do: one allocation per iteration would add 196. A few either way are the runtime's
	// (a sync.Pool emptied by a collection, a worker goroutine's descriptor).
	if few, many := allocs(4), allocs(200); math.Abs(many-few) > 8 {
		t.Errorf("Fit allocates %v times for 4 iterations and %v for 200", few, many)
	}
}

func TestFloat32AgreesWithFloat64(t *testing.T) {
	x := sample(t, 8, 100000, truth)
	x32 := gen.Float32s(x)
	opt := Options{Components: 3, MaxIter: 8, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	r64, r32 := fitBoth(t, x, x32, opt)
	// The samples differ by float32 rounding (6e-8 relative) and nothing else.
	sameHistory(t, r32.Steps, r64.Steps, 1e-5)
}

func TestInitModel(t *testing.T) {
	x := sample(t, 9, 10000, truth)
	start := truth.Clone()
	res, err := Fit(context.Background(), x, Options{Components: 3, MaxIter: 1, InitModel: &start, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Initial.Means, truth.Means) {
		t.Fatalf("Initial = %v, want the InitModel", res.Initial)
	}
	res.Initial.Means[0] = 99
	if start.Means[0] == 99 {
		t.Fatal("the Result shares memory with InitModel")
	}
}

func TestEvenlySpacedIsTheReferenceStart(t *testing.T) {
	m := evenlySpaced(4)
	if !slices.Equal(m.Means, []float64{0, 1.0 / 3, 2.0 / 3, 1}) {
		t.Errorf("means %v", m.Means)
	}
	for k := range 4 {
		if m.Stdevs()[k] != math.Sqrt(10.0/255) || m.Weights[k] != 0.25 {
			t.Errorf("component %d: stdev %v weight %v", k, m.Stdevs()[k], m.Weights[k])
		}
	}
	if one := evenlySpaced(1); one.Means[0] != 0 || one.Weights[0] != 1 {
		t.Errorf("K=1: %v", one)
	}
}

func TestContextCancellationStopsBetweenIterations(t *testing.T) {
	x := sample(t, 10, 10000, truth)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Fit(ctx, x, Options{Components: 3, MaxIter: 50, Progress: func(s Step) {
		if s.Iter == 2 {
			cancel()
		}
	}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res == nil || len(res.History) != 3 {
		t.Fatalf("result %v, want the 3 iterations done", res)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	good := []float64{0.1, 0.5, 0.9}
	bad := fromStdevs([]float64{1}, []float64{0}, []float64{0})
	cases := map[string]struct {
		x    any
		opt  Options
		want error
	}{
		"no samples":         {[]float64(nil), Options{Components: 1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"NaN":                {[]float64{0, math.NaN()}, Options{Components: 1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"Inf":                {[]float64{math.Inf(-1), 0}, Options{Components: 1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"no components":      {good, Options{Components: -1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"too many":           {good, Options{Components: 4, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"no iterations":      {good, Options{Components: 2, MaxIter: -2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"negative tol":       {good, Options{Components: 2, MaxIter: 1, Tol: -0.5, Init: InitEvenlySpaced, AddedVariance: Off}, ErrInvalidOptions},
		"NaN min variance":   {good, Options{Components: 2, MaxIter: 1, AddedVariance: math.NaN(), Init: InitEvenlySpaced, Tol: Off}, ErrInvalidOptions},
		"negative threads":   {good, Options{Components: 2, MaxIter: 1, Exec: Exec{Threads: -1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"endless":            {good, Options{Components: 2, MaxIter: MaxIterations + 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"absurd threads":     {good, Options{Components: 2, MaxIter: 1, Exec: Exec{Threads: MaxThreads + 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"short weights":      {Weighted{good, []float64{1, 1}}, Options{Components: 2, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"negative weight":    {Weighted{good, []float64{1, -1, 1}}, Options{Components: 2, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"NaN weight":         {Weighted{good, []float64{1, math.NaN(), 1}}, Options{Components: 2, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"zero weights":       {Weighted{good, []float64{0, 0, 0}}, Options{Components: 2, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidData},
		"unknown kernel":     {good, Options{Components: 2, MaxIter: 1, Exec: Exec{Kernel: "sse9"}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"InitModel K":        {good, Options{Components: 2, MaxIter: 1, InitModel: &bad, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
		"InitModel invalid":  {good, Options{Components: 1, MaxIter: 1, InitModel: &bad, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, ErrInvalidModel},
		"unknown Init value": {good, Options{Components: 2, MaxIter: 1, Init: Init(99), Tol: Off, AddedVariance: Off}, ErrInvalidOptions},
	}
	for name, c := range cases {
		res, err := Fit(context.Background(), c.x, c.opt)
		if !errors.Is(err, c.want) || res != nil {
			t.Errorf("%s: Fit = %v, %v; want an error wrapping %v", name, res, err, c.want)
		}
	}
	res, err := Fit(context.Background(), []float32{0, float32(math.Inf(1))}, Options{Components: 1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if !errors.Is(err, ErrInvalidData) || res != nil {
		t.Errorf("float32 Inf: Fit = %v, %v", res, err)
	}
}

func TestKernelsAgree(t *testing.T) {
	// Every implementation this machine runs gives the same iterations as the pure-Go
	// one to 1e-10, in both precisions, weighted or not.
	names := kernels()
	if len(names) < 2 {
		t.Skip("only the generic kernels in this build or on this CPU")
	}
	x := sample(t, 11, 200003, truth)
	x32 := gen.Float32s(x)
	w := make([]float64, len(x))
	for i := range w {
		w[i] = float64(1 + i%5)
	}
	for _, weights := range [][]float64{nil, w} {
		for _, k := range []int{2, 3, 4, 6} {
			opt := Options{Components: k, MaxIter: 12, Exec: Exec{Kernel: "generic"}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
			wx, wx32 := Weighted{x, weights}, Weighted{x32, weights}
			want64, want32 := fitBoth(t, wx, wx32, opt)
			for _, name := range names[:len(names)-1] {
				opt.Kernel = name
				got64, got32 := fitBoth(t, wx, wx32, opt)
				sameHistory(t, got64.Steps, want64.Steps, 1e-10)
				// float32 lanes compute in float32; the generic code computes float32
				// samples in float64. The two fits agree to float32's precision.
				sameHistory(t, got32.Steps, want32.Steps, 1e-5)
			}
		}
	}
}

// Cancellation keeps what finished: the best finished start of NInit, the finished
// candidates of SelectComponents, and, cancelled at once, the start itself.
func TestCancellationKeepsFinishedWork(t *testing.T) {
	x := sample(t, 12, 5000, truth)
	ctx, cancel := context.WithCancel(t.Context())
	opt := Options{Components: 3, MaxIter: 5, Init: InitKMeansPP, NInit: 4, Progress: func(s Step) {
		if s.Run == 2 && s.Iter == 1 {
			cancel()
		}
	}, Tol: Off, AddedVariance: Off}
	res, err := Fit(ctx, x, opt)
	if !errors.Is(err, context.Canceled) || res == nil || res.Run > 1 || len(res.History) != 5 {
		t.Errorf("NInit cancelled in the third start: run %v, %d iterations, %v; want a finished start", res.Run, len(res.History), err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	opt = Options{MaxIter: 3, Progress: func(s Step) {
		if s.Model.K() == 3 && s.Iter == 0 {
			cancel()
		}
	}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	sel, err := SelectComponents(ctx, x, 1, 4, opt)
	if !errors.Is(err, context.Canceled) || sel == nil || len(sel.Candidates) != 2 || sel.Candidates[1].K != 2 {
		t.Errorf("SelectComponents cancelled at K=3: %+v, %v; want the candidates K=1 and 2", sel, err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	res, err = Fit(ctx, x, Options{Components: 3, MaxIter: 5, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if !errors.Is(err, context.Canceled) || res == nil || res.Model.Validate() != nil || len(res.History) != 0 ||
		!slices.Equal(res.Model.Means, res.Initial.Means) || !math.IsNaN(res.LogLikelihood) {
		t.Errorf("cancelled before the first iteration: %+v, %v; want the start, its log-likelihood unknown (NaN)", res, err)
	}
}

// A cancellation stops a pass within a tile, the starts' passes too, not at the end of
// the pass: on the slowest kernel, a fit of 2M samples returns soon after it.
func TestCancellationStopsWithinAPass(t *testing.T) {
	x := sample(t, 13, 1<<21, truth)
	for _, init := range []Init{InitEvenlySpaced, InitKMeansPP, InitKMeans, InitRandom} {
		ctx, cancel := context.WithCancel(t.Context())
		var cancelled time.Time
		time.AfterFunc(30*time.Millisecond, func() { cancelled = time.Now(); cancel() })
		res, err := Fit(ctx, x, Options{Components: 8, MaxIter: 100, Init: init, Exec: Exec{Kernel: "generic", Threads: 1}, Tol: Off, AddedVariance: Off})
		late := time.Since(cancelled)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v: %v", init, err)
		}
		// The race detector slows every sample tenfold, an emulator (-short) as much.
		if late > time.Second && !race.Enabled && !testing.Short() {
			t.Errorf("%v: returned %v after the cancellation", init, late)
		}
		if res != nil && res.Model.Validate() != nil {
			t.Errorf("%v: cancelled fit's model: %v", init, res.Model.Validate())
		}
		t.Logf("%v: returned %v after the cancellation", init, late)
	}
}

// kernels returns the kernel implementations this binary holds and this CPU runs,
// fastest first, the generic one last.
func kernels() []Kernel {
	var out []Kernel
	for _, name := range kernel.Available() {
		out = append(out, Kernel(name))
	}
	return out
}

// offIfZero returns a setting read from a reference file, where 0 turns it off (scikit-learn's
// reg_covar=0 and tol=0), in the form Options takes.
func offIfZero(v float64) float64 {
	if v == 0 {
		return Off
	}
	return v
}
