// Package gmm fits one-dimensional Gaussian mixture models with Expectation-Maximization
// and uses them: per-sample log-likelihoods, hard and soft assignments, information
// criteria.
//
// Fit takes float32 or float64 samples, optionally weighted, and runs every pass over the
// data in a single streaming kernel that computes responsibilities, sufficient statistics
// and the log-likelihood together, so no N x K matrix is ever held in memory. The kernels
// run on several goroutines over fixed tiles whose partial sums are added in tile order:
// results are the same, bit for bit, whatever the number of threads. Exec says where the
// passes run, and a Pool keeps the workers alive across calls.
//
// Integer data (pixel levels) go through CountLevels first: their distinct values with
// their counts as weights are the same fit over a few hundred points.
//
// "The reference program", named in several places, is the Python program (NumPy and
// SciPy) that this package began as: the image segmenter of the article "Python Bindings
// for Performance Optimization: A Zero to One Guide". Its evenly spaced start, its
// iteration count and its printout of each iteration are matched number for number, and
// its stable exp-sum is the one the scoring functions use.
package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Model is a one-dimensional Gaussian mixture: component k has weight Weights[k], mean
// Means[k] and standard deviation Stdevs[k]. The three slices have the same length K.
type Model struct {
	Weights []float64
	Means   []float64
	Stdevs  []float64
}

// K returns the number of components.
func (m *Model) K() int { return len(m.Means) }

// Clone returns a deep copy of m.
func (m *Model) Clone() Model {
	var a modelArena
	return a.clone(m)
}

// ErrInvalidModel is wrapped by every error about a malformed Model.
var ErrInvalidModel = errors.New("invalid model")

// Validate reports whether m is a usable mixture: 1 to kernel.MaxComponents components,
// positive finite weights, finite means, and standard deviations that are positive and
// large enough for 1/(2 sigma^2) to be finite. Weights need not sum to one.
func (m *Model) Validate() error {
	k := len(m.Means)
	if k == 0 {
		return fmt.Errorf("gmm: %w: no components", ErrInvalidModel)
	}
	if k > kernel.MaxComponents {
		return fmt.Errorf("gmm: %w: %d components, at most %d are supported", ErrInvalidModel, k, kernel.MaxComponents)
	}
	if len(m.Weights) != k || len(m.Stdevs) != k {
		return fmt.Errorf("gmm: %w: %d weights, %d means and %d stdevs: want the same number of each",
			ErrInvalidModel, len(m.Weights), k, len(m.Stdevs))
	}
	for i := range k {
		if w := m.Weights[i]; !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("gmm: %w: weight %d is %v, want positive and finite", ErrInvalidModel, i, w)
		}
		if mu := m.Means[i]; math.IsNaN(mu) || math.IsInf(mu, 0) {
			return fmt.Errorf("gmm: %w: mean %d is %v, want finite", ErrInvalidModel, i, mu)
		}
		if s := m.Stdevs[i]; !(s > 0) || math.IsInf(s, 0) || math.IsInf(0.5/(s*s), 0) {
			return fmt.Errorf("gmm: %w: stdev %d is %v, want positive, finite and above 1e-154", ErrInvalidModel, i, s)
		}
	}
	return nil
}

// prepared returns m's coefficients, its weights normalised to sum to one if normalise,
// once m and the samples x are checked.
func prepared[T float32 | float64](m *Model, x []T, normalise bool) (*kernel.Coeffs, error) {
	if normalise {
		m = m.normalised()
	}
	c, err := m.coeffs()
	if err != nil {
		return nil, err
	}
	return c, checkFinite(x)
}

// coeffs returns m in the kernels' form, after validating it.
func (m *Model) coeffs() (*kernel.Coeffs, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return kernel.NewCoeffs(m.Weights, m.Means, m.Stdevs), nil
}

// ScoreSamples returns log p(x[n]) for every sample, the weighted log-density of the
// mixture m (weights normalised to sum to one), on e's workers: the reference program's
// stable exp-sum, max_k P_k + log sum_k exp(P_k - max_k P_k). Like every function that
// scores or labels samples, it refuses a NaN or infinite one (ErrInvalidData), as Fit does,
// and stops within a tile of ctx's cancellation with an error that wraps ctx.Err() and no
// result.
func ScoreSamples[T float32 | float64](ctx context.Context, m *Model, x []T, e Exec) ([]float64, error) {
	c, err := prepared(m, x, true)
	if err != nil {
		return nil, err
	}
	dst := make([]float64, len(x))
	err = e.run(ctx, func(d *kernel.Driver) error {
		kernel.ScoreSamples(d, dst, x, c)
		return stopped(ctx)
	})
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// LogLikelihood returns sum_n log p(x[n]), the total log-likelihood of x under m (weights
// normalised to sum to one), in one fused pass on e's workers.
func LogLikelihood[T float32 | float64](ctx context.Context, m *Model, x []T, e Exec) (float64, error) {
	c, err := prepared(m, x, true)
	if err != nil {
		return 0, err
	}
	s := kernel.NewStats(c.K())
	err = e.run(ctx, func(d *kernel.Driver) error {
		kernel.EStep(d, x, nil, c, s)
		return stopped(ctx)
	})
	if err != nil {
		return math.NaN(), err
	}
	return s.LogLik, nil
}

// Predict sets dst[n] to the index of the most responsible component of m for x[n], the
// lowest index on ties, on e's workers. dst must be as long as x (it may be a plane of
// pixel labels that the caller keeps). If ctx is cancelled, dst is left partly set.
func Predict[T float32 | float64](ctx context.Context, m *Model, dst []uint16, x []T, e Exec) error {
	if len(dst) != len(x) {
		return fmt.Errorf("gmm: Predict: %d labels for %d samples", len(dst), len(x))
	}
	c, err := prepared(m, x, false)
	if err != nil {
		return err
	}
	return e.run(ctx, func(d *kernel.Driver) error {
		kernel.Classify(d, dst, x, c)
		return stopped(ctx)
	})
}

// PredictProba returns the responsibilities r_nk, the posterior probability of component k
// given sample n, as a row-major len(x) x K matrix: row n is out[n*K : (n+1)*K] and sums
// to one. They come from the reference program's stable exp-sum, exp(P_k - max) / sum,
// on e's workers.
func PredictProba[T float32 | float64](ctx context.Context, m *Model, x []T, e Exec) ([]float64, error) {
	c, err := prepared(m, x, false)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x)*c.K())
	err = e.run(ctx, func(d *kernel.Driver) error {
		kernel.Responsibilities(d, out, x, c)
		return stopped(ctx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// normalised returns m with weights that sum to one (m itself when they already do).
func (m *Model) normalised() *Model {
	total := 0.0
	for _, w := range m.Weights {
		total += w
	}
	if total == 1 || !(total > 0) || math.IsInf(total, 0) {
		return m
	}
	n := m.Clone()
	for i := range n.Weights {
		n.Weights[i] /= total
	}
	return &n
}
