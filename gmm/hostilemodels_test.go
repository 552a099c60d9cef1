package gmm

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/race"
)

// Weights whose sum overflows score as the mixture they normalise to: {1e308, 1e308} is
// {0.5, 0.5}, bit for bit, in one dimension and over several.
func TestHugeWeightsScoreAsNormalised(t *testing.T) {
	one := func(w float64) Model { return fromStdevs([]float64{w, w}, []float64{0, 1}, []float64{0.5, 0.25}) }
	multi := func(w float64) Model {
		return Model{Dims: 2, Weights: []float64{w, w}, Means: []float64{0, 0, 1, 1},
			Covariances: []float64{1, 0.5, 0.5, 1, 2, -1, -1, 2}}
	}
	for name, of := range map[string]func(float64) Model{"1-D": one, "2-D": multi} {
		huge, half := of(1e308), of(0.5)
		x := []float64{0, 0.5, 1, 3} // four samples of one feature, two of two
		for what, score := range scorers() {
			got, err := score(t.Context(), &huge, x)
			if err != nil {
				t.Fatalf("%s %s: %v", name, what, err)
			}
			want, err := score(t.Context(), &half, x)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s %s[%d] = %v under weights {1e308, 1e308}, %v under {0.5, 0.5}", name, what, i, got[i], want[i])
				}
			}
		}
	}
}

// A start whose weights' sum overflows is the start they normalise to: the fit from
// {1e308, 1e308} is the fit from {0.5, 0.5}, its start's log-likelihood included.
func TestHugeStartWeightsFitAsNormalised(t *testing.T) {
	x := sample(t, 7, 500, truth)
	fit := func(w float64) *Result {
		start := fromStdevs([]float64{w, w}, []float64{0.2, 0.8}, []float64{0.1, 0.1})
		var first float64
		res, err := Fit(t.Context(), x, Options{Components: 2, MaxIter: 3, InitModel: &start,
			Progress: func(s Step) {
				if s.Iter < 0 {
					first = s.LogLikelihood
				}
			}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
		if err != nil {
			t.Fatal(err)
		}
		res.LogLikelihood = first // the start's, which Result does not keep
		return res
	}
	huge, half := fit(1e308), fit(0.5)
	if huge.LogLikelihood != half.LogLikelihood || !slices.Equal(huge.Initial.Weights, half.Initial.Weights) ||
		!slices.Equal(huge.Model.Means, half.Model.Means) {
		t.Errorf("from {1e308, 1e308}: start log-likelihood %v, start %v, means %v; from {0.5, 0.5}: %v, %v, %v",
			huge.LogLikelihood, huge.Initial.Weights, huge.Model.Means, half.LogLikelihood, half.Initial.Weights, half.Model.Means)
	}
}

// A fit's memory does not grow with its iterations but by History's log-likelihood, 8
// bytes each: 30000 iterations over 100 samples kept every model (516 bytes an
// iteration, 15 MB) before.
func TestFitMemoryDoesNotGrowWithIterations(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector's shadow memory is counted")
	}
	x := sample(t, 8, 100, truth)
	const iters = 30000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: iters, Exec: Exec{Threads: 1}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if len(res.History) != iters || kept > 16*iters+1<<16 {
		t.Errorf("%d iterations keep %d bytes, %.1f an iteration; want History's 8 and little more", len(res.History), kept, float64(kept)/iters)
	}
	runtime.KeepAlive(res)
}

// scorers are every function that scores samples under a model, each giving its numbers
// as a slice.
func scorers() map[string]func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
	one := func(v float64, err error) ([]float64, error) { return []float64{v}, err }
	return map[string]func(ctx context.Context, m *Model, x []float64) ([]float64, error){
		"ScoreSamples": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			return ScoreSamples(ctx, m, x, Exec{})
		},
		"LogLikelihood": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			return one(LogLikelihood(ctx, m, x, Exec{}))
		},
		"Score": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			return one(Score(ctx, m, x, Exec{}))
		},
		"BIC": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			return one(BIC(ctx, m, x, Exec{}))
		},
		"AIC": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			return one(AIC(ctx, m, x, Exec{}))
		},
		"PredictProba": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			return PredictProba(ctx, m, x, Exec{})
		},
		"Predict": func(ctx context.Context, m *Model, x []float64) ([]float64, error) {
			n := len(x)
			if m != nil && m.Dims > 1 {
				n /= m.Dims
			}
			labels := make([]uint16, n)
			err := Predict(ctx, m, labels, x, Exec{})
			out := make([]float64, len(labels))
			for i, l := range labels {
				out[i] = float64(l)
			}
			return out, err
		},
	}
}

// Validate reads every number of a covariance matrix: NaN or Inf below the diagonal,
// which the Cholesky factor never reads, is an error, and nothing scores under it.
func TestValidateReadsEveryCovarianceEntry(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for name, m := range map[string]Model{
			"full": {Dims: 2, Weights: []float64{1}, Means: []float64{0, 0}, Covariances: []float64{1, 0, bad, 1}},
			"tied": {Dims: 2, Covariance: Tied, Weights: []float64{1, 1}, Means: []float64{0, 0, 1, 1}, Covariances: []float64{1, 0, bad, 1}},
		} {
			if err := m.Validate(); !errors.Is(err, ErrInvalidModel) {
				t.Errorf("%s with %v below the diagonal: Validate = %v", name, bad, err)
			}
			for what, score := range scorers() {
				if _, err := score(t.Context(), &m, []float64{0, 0}); !errors.Is(err, ErrInvalidModel) {
					t.Errorf("%s with %v below the diagonal: %s error %v", name, bad, what, err)
				}
			}
		}
	}
	// Weights so far apart that the lighter one normalises to 0 are no mixture of two.
	apart := fromStdevs([]float64{1e308, 1e-20}, []float64{0, 1}, []float64{1, 1})
	if err := apart.Validate(); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("weights 1e308 and 1e-20: Validate = %v", err)
	}
}

// A nil model, a nil random source, nil statistics or parameters: errors, never panics.
func TestNilArgumentsAreErrors(t *testing.T) {
	var m *Model
	for what, score := range scorers() {
		if _, err := score(t.Context(), m, []float64{1}); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s of a nil model: %v", what, err)
		}
	}
	if err := Predict(t.Context(), m, make([]uint16, 1), heldSource{[]float64{1}, 1}, Exec{}); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("Predict of a nil model: %v", err)
	}
	if err := m.Validate(); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("Validate of a nil model: %v", err)
	}
	if _, _, err := m.Sample(rand.New(rand.NewPCG(1, 2)), 3); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("Sample of a nil model: %v", err)
	}
	if m.K() != 0 || m.Stdevs() != nil || m.NumParameters() != 0 || m.CovarianceOf(0) != nil || len(m.Clone().Weights) != 0 {
		t.Error("a nil model's K, Stdevs, NumParameters, CovarianceOf or Clone is not empty")
	}
	if err := m.UnmarshalJSON([]byte(`{"weights": [1], "means": [0], "stdevs": [1]}`)); err == nil {
		t.Error("UnmarshalJSON into a nil model succeeded")
	}
	ok := fromStdevs([]float64{1}, []float64{0}, []float64{1})
	if _, _, err := ok.Sample(nil, 3); err == nil {
		t.Error("Sample with a nil random source succeeded")
	}
	if got := ok.CovarianceOf(1); got != nil {
		t.Errorf("CovarianceOf(1) of one component: %v", got)
	}
	short := Model{Weights: []float64{1, 1}, Means: []float64{0, 1}, Covariances: []float64{1}}
	if short.Stdevs() != nil || short.CovarianceOf(1) != nil {
		t.Error("Stdevs or CovarianceOf of a model with too few variances is not nil")
	}
	checkNilShardPieces(t)
}

// checkNilShardPieces calls the pieces of a fit over shards with nil arguments and
// receivers, and with zero values: errors, never panics.
func checkNilShardPieces(t *testing.T) {
	var s, zero *Stats = nil, new(Stats)
	if err := zero.Merge(s); err == nil {
		t.Error("merging nil statistics succeeded")
	}
	if err := s.Merge(zero); err == nil {
		t.Error("merging into nil statistics succeeded")
	}
	if _, err := s.MarshalBinary(); err == nil {
		t.Error("MarshalBinary of nil statistics succeeded")
	}
	if s.LogLikelihood() != 0 || s.Samples() != 0 {
		t.Error("nil statistics have a log-likelihood or samples")
	}
	if err := s.UnmarshalBinary(nil); err == nil {
		t.Error("UnmarshalBinary into nil statistics succeeded")
	}
	var p *Params
	if _, err := EStep(t.Context(), p, []float64{1}, Exec{}); err == nil {
		t.Error("EStep under nil parameters succeeded")
	}
	if _, err := EStep(t.Context(), new(Params), []float64{1}, Exec{}); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("EStep under zero parameters: %v", err)
	}
	if _, err := p.MarshalBinary(); err == nil {
		t.Error("MarshalBinary of nil parameters succeeded")
	}
	if m := p.Model(); m.K() != 0 {
		t.Error("nil parameters have a model")
	}
	var em *EM
	if !em.Done() || em.Result() != nil || em.Params() != nil || em.Update(zero) == nil {
		t.Error("a nil EM is not done, or takes statistics")
	}
	var pool *Pool
	pool.Close()
	if pool.Kernel() != "" || pool.Threads() != 0 {
		t.Error("a nil pool has a kernel or threads")
	}
}
