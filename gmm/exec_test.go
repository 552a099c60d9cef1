package gmm

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestPoolRunsWhatExecRuns(t *testing.T) {
	x := sample(t, 31, 20000, truth)
	opt := Options{Components: 3, MaxIter: 5}
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
			if err := Predict(&want.Model, labels, x, Exec{Pool: pool}); err != nil {
				t.Error(err)
			}
			if err := Predict(&want.Model, alone, x, Exec{}); err != nil {
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
	if err := Predict(&truth, make([]uint16, 3), x, Exec{Pool: pool, Threads: 2}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("a pool with threads: %v", err)
	}
	if _, err := Fit(t.Context(), x, Options{Components: 1, MaxIter: 1, Exec: Exec{Pool: pool, Kernel: "generic"}}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("a pool with a kernel: %v", err)
	}
	pool.Close()
	pool.Close() // harmless
	if err := Predict(&truth, make([]uint16, 3), x, Exec{Pool: pool}); !errors.Is(err, ErrClosed) {
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
	m := Model{Weights: []float64{2, 5, 3}, Means: []float64{0.1, 0.5, 0.9}, Stdevs: []float64{0.05, 0.2, 0.03}}
	x64 := sample(t, 21, 3001, truth)
	x32 := make([]float32, len(x64))
	for i, v := range x64 {
		x32[i] = float32(v)
		x64[i] = float64(x32[i])
	}
	for _, kern := range []string{"generic", "auto"} {
		e := Exec{Kernel: kern}
		want, err := ScoreSamples(&m, x64, e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScoreSamples(&m, x32, e)
		if err != nil {
			t.Fatal(err)
		}
		proba, err := PredictProba(&m, x32, e)
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
