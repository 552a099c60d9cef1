package gmm

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestPoolRunsWhatExecRuns(t *testing.T) {
	x := sample(t, 31, 20000, truth)
	opt := Options{Components: 3, MaxIter: 5, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	want, err := Fit(t.Context(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewPool(Exec{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if pool.Threads() != 2 || pool.Kernel() == "" {
		t.Errorf("pool of %d threads on %q", pool.Threads(), pool.Kernel())
	}
	// Calls that share the pool take turns and give what calls of their own give.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			o := opt
			o.Exec = Exec{Pool: pool}
			got, err := Fit(t.Context(), x, o)
			if err != nil {
				t.Error(err)
				return
			}
			if got.LogLikelihood != want.LogLikelihood || !slices.Equal(got.Model.Means, want.Model.Means) {
				t.Errorf("on the pool: %v, %v; alone: %v, %v", got.Model.Means, got.LogLikelihood, want.Model.Means, want.LogLikelihood)
			}
			labels, alone := make([]uint16, len(x)), make([]uint16, len(x))
			if err := Predict(t.Context(), &want.Model, labels, x, Exec{Pool: pool}); err != nil {
				t.Error(err)
			}
			if err := Predict(t.Context(), &want.Model, alone, x, Exec{}); err != nil {
				t.Error(err)
			}
			if !slices.Equal(labels, alone) {
				t.Error("labels on the pool differ")
			}
		})
	}
	wg.Wait()
}

func TestPoolMisuse(t *testing.T) {
	pool, err := NewPool(Exec{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.1, 0.5, 0.9}
	if _, err := NewPool(Exec{Pool: pool}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("a pool of a pool: %v", err)
	}
	if err := Predict(t.Context(), &truth, make([]uint16, 3), x, Exec{Pool: pool, Threads: 2}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("a pool with threads: %v", err)
	}
	if _, err := Fit(t.Context(), x, Options{Components: 1, MaxIter: 1, Exec: Exec{Pool: pool, Kernel: "generic"}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("a pool with a kernel: %v", err)
	}
	pool.Close()
	pool.Close() // harmless
	if err := Predict(t.Context(), &truth, make([]uint16, 3), x, Exec{Pool: pool}); !errors.Is(err, ErrClosed) {
		t.Errorf("a closed pool: %v", err)
	}
	if pool.Threads() != 0 || pool.Kernel() != "" {
		t.Errorf("a closed pool reports %d threads on %q", pool.Threads(), pool.Kernel())
	}
	if err := (Exec{Kernel: "sse9"}).Validate(); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Validate of an unknown kernel: %v", err)
	}
	if err := (Exec{}).Validate(); err != nil {
		t.Errorf("Validate of the zero Exec: %v", err)
	}
}

// float32 samples score and split as the same values in float64 do, to float32's
// precision, on every kernel.
func TestScoringFloat32(t *testing.T) {
	m := fromStdevs([]float64{2, 5, 3}, []float64{0.1, 0.5, 0.9}, []float64{0.05, 0.2, 0.03})
	x64 := sample(t, 21, 3001, truth)
	x32 := make([]float32, len(x64))
	for i, v := range x64 {
		x32[i] = float32(v)
		x64[i] = float64(x32[i])
	}
	for _, kern := range []Kernel{KernelGeneric, "auto"} {
		e := Exec{Kernel: kern}
		want, err := ScoreSamples(t.Context(), &m, x64, e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScoreSamples(t.Context(), &m, x32, e)
		if err != nil {
			t.Fatal(err)
		}
		proba, err := PredictProba(t.Context(), &m, x32, e)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if d := got[i] - want[i]; d > 1e-5*max(1, -want[i], want[i]) || -d > 1e-5*max(1, -want[i], want[i]) {
				t.Fatalf("%s: float32 score %d = %v, float64 %v", kern, i, got[i], want[i])
			}
			if s := proba[3*i] + proba[3*i+1] + proba[3*i+2]; s < 1-1e-6 || s > 1+1e-6 {
				t.Fatalf("%s: float32 responsibilities of %d sum to %v", kern, i, s)
			}
		}
	}
}

// Scoring and labelling refuse what Fit refuses: NaN and infinite samples, in either
// precision.
func TestScoringRefusesWhatFitRefuses(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		x := []float64{0.9, bad, 0.2}
		x32 := []float32{0.9, float32(bad), 0.2}
		calls := map[string]func() error{
			"Fit": func() error {
				_, err := Fit(t.Context(), x, Options{Components: 1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
				return err
			},
			"ScoreSamples":  func() error { _, err := ScoreSamples(t.Context(), &truth, x, Exec{}); return err },
			"LogLikelihood": func() error { _, err := LogLikelihood(t.Context(), &truth, x32, Exec{}); return err },
			"Score":         func() error { _, err := Score(t.Context(), &truth, x, Exec{}); return err },
			"BIC":           func() error { _, err := BIC(t.Context(), &truth, x32, Exec{}); return err },
			"AIC":           func() error { _, err := AIC(t.Context(), &truth, x, Exec{}); return err },
			"Predict":       func() error { return Predict(t.Context(), &truth, make([]uint16, 3), x32, Exec{}) },
			"PredictProba":  func() error { _, err := PredictProba(t.Context(), &truth, x, Exec{}); return err },
		}
		for name, call := range calls {
			if err := call(); !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "sample 1") {
				t.Errorf("%s of a sample %v: %v, want ErrInvalidData naming sample 1", name, bad, err)
			}
		}
	}
}

// Threads is bounded, and the workers that a pass does not need cost no buffers: a
// thousand threads over a few levels count them in one table, not a thousand.
func TestThreadsBoundAndCost(t *testing.T) {
	if _, err := NewPool(Exec{Threads: MaxThreads + 1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("%d threads: %v", MaxThreads+1, err)
	}
	levels := make([]uint16, 1000)
	for i := range levels {
		levels[i] = uint16(i % 256)
	}
	values := make([]float64, 256)
	for l := range values {
		values[l] = float64(l) / 255
	}
	pool, err := NewPool(Exec{Threads: MaxThreads})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	wx, err := CountLevels(t.Context(), levels, values, Exec{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ScoreSamples(t.Context(), &truth, wx, Exec{Pool: pool}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if x, counts := wx.Samples.([]float64), wx.Weights; len(x) != 256 || counts[0] != 4 || counts[255] != 3 {
		t.Errorf("%d values, counts %v ... %v", len(x), counts[0], counts[255])
	}
	// One table of 65536 counts (512 KiB) and one scratch buffer, not MaxThreads of them.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("%d threads over 1000 levels allocated %d bytes", MaxThreads, alloc)
	}
}

// Every pass over the samples stops on a cancelled context, with an error that wraps its
// cause and no result: a context already done runs no tile at all.
func TestCancelledContextStopsEveryPass(t *testing.T) {
	x := sample(t, 14, 1<<18, truth)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e := Exec{Threads: 2}
	check := func(name string, err error, result bool) {
		t.Helper()
		if !errors.Is(err, context.Canceled) || result {
			t.Errorf("%s: err %v, result %v: want context.Canceled and no result", name, err, result)
		}
	}
	scores, err := ScoreSamples(ctx, &truth, x, e)
	check("ScoreSamples", err, scores != nil)
	proba, err := PredictProba(ctx, &truth, x, e)
	check("PredictProba", err, proba != nil)
	for name, f := range map[string]func(context.Context, *Model, any, Exec) (float64, error){
		"LogLikelihood": LogLikelihood, "Score": Score, "BIC": BIC, "AIC": AIC,
	} {
		v, err := f(ctx, &truth, x, e)
		check(name, err, !math.IsNaN(v))
	}
	levels := make([]uint16, len(x))
	for i := range levels {
		levels[i] = untouched
	}
	check("Predict", Predict(ctx, &truth, levels, x, e), slices.ContainsFunc(levels, func(v uint16) bool { return v != untouched }))
	wx, err := CountLevels(ctx, levels, make([]float64, 1<<16), e)
	check("CountLevels", err, wx.Samples != nil || wx.Weights != nil)
}

// untouched marks labels that no pass wrote.
const untouched = 0xfff0
