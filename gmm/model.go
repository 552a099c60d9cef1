// Package gmm fits one-dimensional Gaussian mixture models with Expectation-Maximization
// and uses them: per-sample log-likelihoods, hard and soft assignments.
//
// Fit takes float32 or float64 samples and runs every pass over the data in a single
// streaming kernel that computes responsibilities, sufficient statistics and the
// log-likelihood together, so no N x K matrix is ever held in memory. The kernels run on
// several goroutines over fixed tiles whose partial sums are added in tile order: results
// are the same, bit for bit, whatever the number of threads.
package gmm

import (
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
		return fmt.Errorf("%w: no components", ErrInvalidModel)
	}
	if k > kernel.MaxComponents {
		return fmt.Errorf("%w: %d components, at most %d are supported", ErrInvalidModel, k, kernel.MaxComponents)
	}
	if len(m.Weights) != k || len(m.Stdevs) != k {
		return fmt.Errorf("%w: %d weights, %d means and %d stdevs: want the same number of each",
			ErrInvalidModel, len(m.Weights), k, len(m.Stdevs))
	}
	for i := range k {
		if w := m.Weights[i]; !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("%w: weight %d is %v, want positive and finite", ErrInvalidModel, i, w)
		}
		if mu := m.Means[i]; math.IsNaN(mu) || math.IsInf(mu, 0) {
			return fmt.Errorf("%w: mean %d is %v, want finite", ErrInvalidModel, i, mu)
		}
		if s := m.Stdevs[i]; !(s > 0) || math.IsInf(s, 0) || math.IsInf(0.5/(s*s), 0) {
			return fmt.Errorf("%w: stdev %d is %v, want positive, finite and above 1e-154", ErrInvalidModel, i, s)
		}
	}
	return nil
}

// coeffs returns m in the kernels' form, after validating it.
func (m *Model) coeffs() (*kernel.Coeffs, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return kernel.NewCoeffs(m.Weights, m.Means, m.Stdevs), nil
}

// prepare returns m's coefficients and the driver that opt asks for; the caller closes
// the driver.
func (m *Model) prepare(opt Options) (*kernel.Coeffs, *kernel.Driver, error) {
	c, err := m.coeffs()
	if err != nil {
		return nil, nil, err
	}
	d, err := opt.driver()
	return c, d, err
}

// ScoreSamples returns log p(x[n]) for every sample, the weighted log-density of the
// mixture (weights normalised to sum to one).
func (m *Model) ScoreSamples(x []float64) ([]float64, error) {
	c, d, err := m.normalised().prepare(Options{})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	dst := make([]float64, len(x))
	kernel.ScoreSamples(d, dst, x, c)
	return dst, nil
}

// LogLikelihood returns sum_n log p(x[n]), the total log-likelihood of x under m (weights
// normalised to sum to one).
func (m *Model) LogLikelihood(x []float64) (float64, error) {
	c, d, err := m.normalised().prepare(Options{})
	if err != nil {
		return 0, err
	}
	defer d.Close()
	s := kernel.NewStats(c.K())
	kernel.EStep(d, x, nil, c, s)
	return s.LogLik, nil
}

// Predict returns, for every sample, the index of its most responsible component (the
// lowest index on ties).
func (m *Model) Predict(x []float64) ([]int, error) {
	labels := make([]uint16, len(x))
	if err := Classify(m, labels, x, Options{}); err != nil {
		return nil, err
	}
	out := make([]int, len(x))
	for i, l := range labels {
		out[i] = int(l)
	}
	return out, nil
}

// PredictProba returns the responsibilities r_nk, the posterior probability of component k
// given sample n, as a row-major len(x) x K matrix: row n is out[n*K : (n+1)*K] and sums
// to one.
func (m *Model) PredictProba(x []float64) ([]float64, error) {
	c, err := m.coeffs()
	if err != nil {
		return nil, err
	}
	kern, err := kernel.Lookup("auto")
	if err != nil {
		return nil, err
	}
	k, n := c.K(), len(x)
	p := make([]float64, k*n)
	pmax := make([]float64, n)
	expsum := make([]float64, n)
	kernel.ExpSumStable(kern, p, pmax, expsum, x, c)
	out := make([]float64, n*k)
	for i := range n {
		for j := range k {
			out[i*k+j] = math.Exp(p[j*n+i]-pmax[i]) / expsum[i]
		}
	}
	return out, nil
}

// Classify sets dst[n] to the index of the most responsible component for x[n], on
// opt.Threads workers with the kernels opt.Kernel names; it ignores the other options.
// dst must be as long as x.
func Classify[T float32 | float64](m *Model, dst []uint16, x []T, opt Options) error {
	if len(dst) != len(x) {
		return fmt.Errorf("gmm: Classify: %d labels for %d samples", len(dst), len(x))
	}
	c, d, err := m.prepare(opt)
	if err != nil {
		return err
	}
	defer d.Close()
	kernel.Classify(d, dst, x, c)
	return nil
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
