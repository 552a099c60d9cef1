// Package gmm fits Gaussian mixture models with Expectation-Maximization and uses them:
// per-sample log-likelihoods, hard and soft assignments, information criteria, sampling.
//
// Give Fit the samples (n of d features: a row-major slice of float32 or float64, a gonum
// mat.Matrix, a Source, or a Weighted of one of those), then pass the fitted Model to
// Predict, PredictProba, ScoreSamples, Score, BIC or AIC, which take the samples in the
// same forms:
//
//	res, err := gmm.Fit(ctx, x, gmm.Options{Dims: 2, Components: 3})
//	if err != nil {
//		return err
//	}
//	labels := make([]uint16, len(x)/2)
//	err = gmm.Predict(ctx, &res.Model, labels, x, gmm.Exec{})
//
// Options are scikit-learn's GaussianMixture's by other names, and their zero values are
// its defaults: Components (n_components, 1), Covariance (covariance_type: Full, Diag,
// Spherical or Tied), MaxIter (max_iter, 100), Tol (tol, 1e-3), AddedVariance (reg_covar,
// 1e-6), Init (init_params: InitKMeans), Seed, NInit, InitModel (warm_start) and the
// partial starts. Off turns Tol or AddedVariance off, and Reference gives the reference
// program's options. A Model holds Weights, Means (K rows of d) and Covariances in
// scikit-learn's covariances_ layout, and marshals to JSON. SelectComponents chooses the
// number of components (and the covariance type) by BIC. Integer data (pixel levels) go
// through CountLevels first: their distinct values weighted by their counts are the same
// fit over a few hundred points. NewEM, EStep and Stats run the same EM with its passes
// run elsewhere (shards, Apache Beam).
//
// Every pass over the data is a single streaming kernel that computes responsibilities,
// sufficient statistics and the log-likelihood together, so no N x K matrix is ever held in
// memory. The kernels run on several goroutines over fixed tiles whose partial sums are
// added in tile order: results are the same, bit for bit, whatever the number of threads.
// Exec says where the passes run, and a Pool keeps the workers alive across calls. The
// passes run in AVX2 or AVX-512 where the CPU has them (one feature, 2 to 4 features, and
// blocked kernels from 5 on), in pure Go elsewhere.
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
	"slices"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Covariance is the form of a mixture's covariances, scikit-learn's covariance_type.
type Covariance int

// The covariance types. For one-dimensional data Full, Diag and Spherical are the same
// mixture: one variance per component.
const (
	// Full: each component has its own d x d covariance (the default).
	Full Covariance = iota
	// Diag: each component has its own diagonal covariance, d variances.
	Diag
	// Spherical: each component has one variance, shared by its d features.
	Spherical
	// Tied: every component has the same d x d covariance.
	Tied
)

var covarianceNames = [...]string{Full: "full", Diag: "diag", Spherical: "spherical", Tied: "tied"}

// String returns scikit-learn's name of the type: "full", "diag", "spherical" or "tied".
func (c Covariance) String() string {
	if c < 0 || int(c) >= len(covarianceNames) {
		return fmt.Sprintf("Covariance(%d)", int(c))
	}
	return covarianceNames[c]
}

// ParseCovariance returns the type that String names.
func ParseCovariance(name string) (Covariance, error) {
	for c, n := range covarianceNames {
		if n == name {
			return Covariance(c), nil
		}
	}
	return 0, fmt.Errorf("gmm: %w: unknown covariance type %q (want full, diag, spherical or tied)", ErrInvalidOptions, name)
}

// Model is a Gaussian mixture of K components over Dims features (0 means 1): component k
// has weight Weights[k] and mean Means[k*Dims : (k+1)*Dims]. Covariances holds the
// covariances flat, in scikit-learn's covariances_ order for the Covariance type: K x d x d
// for Full, K x d for Diag (each component's variances), K for Spherical (one variance
// each), d x d for Tied (one matrix for all). With one dimension that is K variances, or
// one for Tied.
type Model struct {
	Dims        int
	Covariance  Covariance
	Weights     []float64
	Means       []float64
	Covariances []float64
}

// fromStdevs returns the one-dimensional mixture of the given weights, means and standard
// deviations (the three of the same length), the form of the JSON of earlier versions. A
// standard deviation that is not positive and finite gives a model that Validate rejects.
func fromStdevs(weights, means, stdevs []float64) Model {
	m := Model{Weights: weights, Means: means, Covariances: make([]float64, len(stdevs))}
	for k, sd := range stdevs {
		m.Covariances[k] = sd * sd
		if !(sd > 0) {
			m.Covariances[k] = math.NaN()
		}
	}
	return m
}

// K returns the number of components (0 for a nil model).
func (m *Model) K() int {
	if m == nil {
		return 0
	}
	return len(m.Weights)
}

// Stdevs returns the standard deviation of each component of a one-dimensional model, the
// square roots of its variances (nil for another model, or one without a variance for
// every component).
func (m *Model) Stdevs() []float64 {
	if m == nil || max(m.Dims, 1) != 1 || len(m.Covariances) != covarianceLen(m.Covariance, m.K(), 1) {
		return nil
	}
	sd := make([]float64, m.K())
	for k := range sd {
		sd[k] = math.Sqrt(m.variance(k))
	}
	return sd
}

// variance returns the variance of component k of a valid one-dimensional model.
func (m *Model) variance(k int) float64 {
	if m.Covariance == Tied {
		return m.Covariances[0]
	}
	return m.Covariances[k]
}

// as returns m, a valid model, with covariances of type c. In one dimension: the variances
// pooled by weight into one for Tied, that one given to every component from Tied, else
// the same variances; over several, see asMulti.
func (m *Model) as(c Covariance) Model {
	if m.Dims > 1 {
		return m.asMulti(c)
	}
	out := m.Clone()
	out.Covariance = c
	switch {
	case c == Tied && m.Covariance != Tied:
		var pooled, total float64
		for k, w := range m.Weights {
			pooled += float64(w * m.Covariances[k])
			total += w
		}
		out.Covariances = []float64{pooled / total}
	case c != Tied && m.Covariance == Tied:
		out.Covariances = make([]float64, m.K())
		for k := range out.Covariances {
			out.Covariances[k] = m.Covariances[0]
		}
	}
	return out
}

// Clone returns a deep copy of m (the zero Model for a nil one).
func (m *Model) Clone() Model {
	if m == nil {
		return Model{}
	}
	c := Model{Dims: m.Dims, Covariance: m.Covariance}
	c.copyFrom(m)
	return c
}

// copyFrom sets m to a copy of o, reusing m's slices where they are long enough: a fit
// keeps its current model this way, allocating nothing per iteration.
func (m *Model) copyFrom(o *Model) {
	m.Dims, m.Covariance = o.Dims, o.Covariance
	m.Weights = append(m.Weights[:0], o.Weights...)
	m.Means = append(m.Means[:0], o.Means...)
	m.Covariances = append(m.Covariances[:0], o.Covariances...)
}

// ErrInvalidModel is wrapped by every error about a malformed Model.
var ErrInvalidModel = errors.New("invalid model")

// Validate reports whether m is a usable mixture: 1 to MaxComponents components, a known
// covariance type, positive finite weights, finite means, and covariances in the shape
// of the type (see Model) whose every entry is finite, symmetric and positive definite
// (variances positive), over 1 to MaxDims features. Weights need not sum to one, but
// normalised (see ScoreSamples) each must stay above zero: weights 1e300 apart are no
// mixture of both. A nil model is an error.
func (m *Model) Validate() error {
	if m == nil {
		return fmt.Errorf("gmm: %w: no model (nil)", ErrInvalidModel)
	}
	k := len(m.Weights)
	if m.Dims < 0 {
		return fmt.Errorf("gmm: %w: %d dimensions", ErrInvalidModel, m.Dims)
	}
	if m.Covariance < Full || m.Covariance > Tied {
		return fmt.Errorf("gmm: %w: %v", ErrInvalidModel, m.Covariance)
	}
	if k == 0 {
		return fmt.Errorf("gmm: %w: no components", ErrInvalidModel)
	}
	if k > kernel.MaxComponents {
		return fmt.Errorf("gmm: %w: %d components, at most %d are supported", ErrInvalidModel, k, kernel.MaxComponents)
	}
	for i, w := range m.Weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("gmm: %w: weight %d is %v, want positive and finite", ErrInvalidModel, i, w)
		}
	}
	if i := slices.Index(m.normalised().Weights, 0); i >= 0 {
		return fmt.Errorf("gmm: %w: weight %d, %v, is nothing next to the largest, %v: normalised, it is 0", ErrInvalidModel, i, m.Weights[i], slices.Max(m.Weights))
	}
	if m.Dims > 1 {
		// Every entry, though the factors read only the upper triangle: scoring must not
		// take a matrix that holds a NaN for symmetric.
		for i, v := range m.Covariances {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("gmm: %w: covariance entry %d is %v, want finite", ErrInvalidModel, i, v)
			}
		}
		return m.validateMulti()
	}
	nv := k
	if m.Covariance == Tied {
		nv = 1
	}
	if len(m.Means) != k || len(m.Covariances) != nv {
		return fmt.Errorf("gmm: %w: %d weights, %d means and %d covariances: want %d, %d and %d (%v)",
			ErrInvalidModel, k, len(m.Means), len(m.Covariances), k, k, nv, m.Covariance)
	}
	for i := range k {
		if mu := m.Means[i]; math.IsNaN(mu) || math.IsInf(mu, 0) {
			return fmt.Errorf("gmm: %w: mean %d is %v, want finite", ErrInvalidModel, i, mu)
		}
	}
	for i, v := range m.Covariances {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("gmm: %w: variance %d is %v, want positive and finite", ErrInvalidModel, i, v)
		}
	}
	return nil
}

// scoring is a model and samples made ready for the kernels: the samples x and m's
// coefficients as they are, or where the samples or the model are extreme (see tame), a
// float64 copy of both in the frame f of the model's own range, where every log-density
// the kernels compute is as exact as float64 holds it: -Inf only where it truly
// underflows.
type scoring[T float32 | float64] struct {
	c      *kernel.Coeffs
	x      []T
	framed []float64 // non-nil: the samples in the frame f
	f      frame
}

// checked returns m, once Validate accepts it, with its weights normalised to sum to one:
// what every function that takes a model does first, once.
func checked(m *Model) (*Model, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m.normalised(), nil
}

// prepared returns m, a checked model, and x ready for scoring, once the samples x are
// checked.
func prepared[T float32 | float64](m *Model, x []T) (*scoring[T], error) {
	lo, hi, err := checkFinite(x, 0)
	if err != nil {
		return nil, err
	}
	if tame(m, lo, hi) {
		return &scoring[T]{c: m.coeffs(), x: x, f: identityFrame}, nil
	}
	s := &scoring[T]{f: m.frame(), framed: make([]float64, len(x))}
	for i, v := range x {
		s.framed[i] = max(-math.MaxFloat64, min(s.f.in(float64(v)), math.MaxFloat64))
	}
	in := s.f.modelIn(m)
	s.c = in.coeffs()
	return s, nil
}

// tame reports whether the kernels score samples in [lo, hi] under m as they are, in either
// precision: samples and means within 2^32 of zero and standard deviations from 2^-16 to
// 2^32 keep every (x - mu)^2 / (2 sigma^2) below 2^99, finite in float32 lanes too.
func tame(m *Model, lo, hi float64) bool {
	if max(-lo, hi) > tameMagnitude {
		return false
	}
	for _, mu := range m.Means {
		if math.Abs(mu) > tameMagnitude {
			return false
		}
	}
	for _, v := range m.Covariances {
		if v < 0x1p-32 || v > tameMagnitude*tameMagnitude {
			return false
		}
	}
	return true
}

// frame returns the frame of m's own range, from the lowest mean less its standard
// deviation to the highest mean plus its, scaled down if need be so that the narrowest
// component is at least minStdev wide in it.
func (m *Model) frame() frame {
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, mu := range m.Means {
		sd := math.Sqrt(m.variance(k))
		lo = min(lo, max(mu-sd, -math.MaxFloat64))
		hi = max(hi, min(mu+sd, math.MaxFloat64))
	}
	f := frameOf(lo, hi)
	if narrowest := slices.Min(m.Covariances); f.varianceIn(narrowest) < minStdev*minStdev {
		f.scale = math.Sqrt(narrowest) / minStdev
		if f.half {
			f.scale /= 2
		}
	}
	return f
}

// run runs a pass of the kernels over the samples: score over s.x, or over the frame's
// float64 copy.
func run[T float32 | float64](s *scoring[T], d *drive.Driver, onX func(*drive.Driver, []T), onFramed func(*drive.Driver, []float64)) {
	if s.framed != nil {
		onFramed(d, s.framed)
		return
	}
	onX(d, s.x)
}

// coeffs returns m, a valid model whose variances the kernels take, in their form.
func (m *Model) coeffs() *kernel.Coeffs {
	v := make([]float64, m.K())
	for k := range v {
		v[k] = m.variance(k)
	}
	return kernel.NewCoeffs(m.Weights, m.Means, v)
}

// setCoeffs sets c, of m's K, to m.
func (m *Model) setCoeffs(c *kernel.Coeffs) {
	if m.Covariance != Tied {
		c.Set(m.Weights, m.Means, m.Covariances)
		return
	}
	for k := range m.Weights {
		c.SetComponent(k, m.Weights[k], m.Means[k], m.Covariances[0])
	}
}

// ScoreSamples returns log p(x[n]) for every sample of x (in any form Fit takes, its
// weights, if any, playing no part), the weighted log-density of the mixture m on e's
// workers: the reference program's stable exp-sum, max_k P_k + log sum_k exp(P_k -
// max_k P_k). Like every function that takes a model, it checks m once (Validate; a nil
// model is an error) and uses it with its weights normalised to sum to one, exactly:
// weights {1e308, 1e308} are {0.5, 0.5}. Like every function that scores or labels
// samples, it refuses a NaN or infinite one (ErrInvalidData), as Fit does, and stops
// within a tile of ctx's cancellation with an error that wraps ctx.Err() and no result.
// Samples and models of any magnitude score alike (see Fit); a sample under which every
// component's density underflows scores -Inf.
func ScoreSamples(ctx context.Context, m *Model, x any, e Exec) ([]float64, error) {
	m, in, err := modelInput(m, x)
	if err != nil {
		return nil, err
	}
	return in.scores(ctx, m, e, false)
}

// PredictProba returns the responsibilities r_nk, the posterior probability of component k
// given sample n, as a row-major n x K matrix: row n is out[n*K : (n+1)*K] and sums to
// one. They come from the reference program's stable exp-sum, exp(P_k - max) / sum, on
// e's workers; a sample under which every component's density underflows gets
// responsibility 1 on component 0, the label Predict gives it.
func PredictProba(ctx context.Context, m *Model, x any, e Exec) ([]float64, error) {
	m, in, err := modelInput(m, x)
	if err != nil {
		return nil, err
	}
	return in.scores(ctx, m, e, true)
}

// LogLikelihood returns sum_n w_n log p(x[n]), the total log-likelihood of x under m
// (weights w_n of a Weighted, 1 otherwise; m's weights normalised to sum to one), in one
// fused pass on e's workers.
func LogLikelihood(ctx context.Context, m *Model, x any, e Exec) (float64, error) {
	m, in, err := modelInput(m, x)
	if err != nil {
		return math.NaN(), err
	}
	ll, _, err := in.logLikelihood(ctx, m, e)
	return ll, err
}

// Predict sets dst[n] to the index of the most responsible component of m for sample n of
// x (in any form Fit takes), the lowest index on ties, on e's workers. dst must hold a
// label for each sample (it may be a plane of pixel labels that the caller keeps). A
// Source of several features is read tile by tile into buffers in cache, never copied
// whole, once to check it and once to label it. If ctx is cancelled, dst is left partly
// set.
func Predict(ctx context.Context, m *Model, dst []uint16, x any, e Exec) error {
	m, in, err := modelInput(m, x)
	if err != nil {
		return err
	}
	return in.predict(ctx, m, dst, e)
}

// modelInput returns m checked and normalised, and the samples x of its features.
func modelInput(m *Model, x any) (*Model, input, error) {
	m, err := checked(m)
	if err != nil {
		return nil, nil, err
	}
	in, err := inputOf(x, m.dims())
	return m, in, err
}

func (in *data[T]) predict(ctx context.Context, m *Model, dst []uint16, e Exec) error {
	if len(dst) != in.s.n {
		return fmt.Errorf("gmm: %w: Predict: %d labels for %d samples of %d features", ErrInvalidData, len(dst), in.s.n, m.dims())
	}
	if m.Dims > 1 {
		return predictMulti(ctx, m, dst, in.s, e)
	}
	s, err := prepared(m, in.s.held())
	if err != nil {
		return err
	}
	return e.run(ctx, func(d *drive.Driver) error {
		run(s, d, func(d *drive.Driver, x []T) { drive.Classify(d, dst, x, s.c) },
			func(d *drive.Driver, x []float64) { drive.Classify(d, dst, x, s.c) })
		return stopped(ctx)
	})
}

// predictMulti is Predict for a checked m of Dims > 1 and the samples s.
func predictMulti[T float32 | float64](ctx context.Context, m *Model, dst []uint16, s *samples[T], e Exec) error {
	c, err := multiPrepared(m, s)
	if err != nil {
		return err
	}
	return e.run(ctx, func(d *drive.Driver) error {
		drive.MultiClassify(d, dst, s.tiles(d), c)
		return stopped(ctx)
	})
}

// scores returns the log-density of every sample under m, or with resp the
// responsibilities' rows, on e's workers.
func (in *data[T]) scores(ctx context.Context, m *Model, e Exec, resp bool) ([]float64, error) {
	if m.Dims > 1 {
		return multiScores(ctx, m, in.s, e, resp)
	}
	x := in.s.held()
	s, err := prepared(m, x)
	if err != nil {
		return nil, err
	}
	n := len(x)
	if resp {
		n *= m.K()
	}
	out := make([]float64, n)
	err = e.run(ctx, func(d *drive.Driver) error {
		if resp {
			run(s, d, func(d *drive.Driver, x []T) { drive.Responsibilities(d, out, x, s.c) },
				func(d *drive.Driver, x []float64) { drive.Responsibilities(d, out, x, s.c) })
		} else {
			run(s, d, func(d *drive.Driver, x []T) { drive.Scores(d, out, x, s.c) },
				func(d *drive.Driver, x []float64) { drive.Scores(d, out, x, s.c) })
		}
		return stopped(ctx)
	})
	if err != nil {
		return nil, err
	}
	if s.f != identityFrame && !resp {
		for i := range out {
			out[i] = s.f.logLikOut(out[i], 1)
		}
	}
	return out, nil
}

// logLikelihood returns the samples' total log-likelihood under m, weighted, and their
// total weight.
func (in *data[T]) logLikelihood(ctx context.Context, m *Model, e Exec) (ll, weight float64, err error) {
	if weight, err = in.weight(); err != nil {
		return math.NaN(), 0, err
	}
	if m.Dims > 1 {
		ll, err = multiLogLikelihood(ctx, m, in.s, in.w, e)
		return ll, weight, err
	}
	s, err := prepared(m, in.s.held())
	if err != nil {
		return math.NaN(), 0, err
	}
	stats := kernel.NewStats(s.c.K())
	err = e.run(ctx, func(d *drive.Driver) error {
		run(s, d, func(d *drive.Driver, x []T) { drive.EStep(d, x, in.w, s.c, stats) },
			func(d *drive.Driver, x []float64) { drive.EStep(d, x, in.w, s.c, stats) })
		return stopped(ctx)
	})
	if err != nil {
		return math.NaN(), 0, err
	}
	return s.f.logLikOut(stats.LogLik, weight), weight, nil
}

// multiLogLikelihood is the total log-likelihood, weighted by w (nil for none), of the
// samples s under m, a checked model of Dims > 1.
func multiLogLikelihood[T float32 | float64](ctx context.Context, m *Model, s *samples[T], w []float64, e Exec) (float64, error) {
	c, err := multiPrepared(m, s)
	if err != nil {
		return math.NaN(), err
	}
	stats := kernel.NewMultiStats(c.K(), c.D)
	err = e.run(ctx, func(d *drive.Driver) error {
		if err := checkStatsMemory(d, s.n, c.K(), c.D); err != nil {
			return err
		}
		drive.MultiEStep(d, s.tiles(d), s.n, w, c, stats)
		return stopped(ctx)
	})
	if err != nil {
		return math.NaN(), err
	}
	return stats.LogLik, nil
}

// normalised returns m, whose weights are positive and finite, with weights that sum to
// one (m itself when they already do). Weights whose sum overflows are scaled by the
// largest first, so that {1e308, 1e308} becomes {0.5, 0.5}; others are divided by their
// sum, one rounding each.
func (m *Model) normalised() *Model {
	total := 0.0
	for _, w := range m.Weights {
		total += w
	}
	if total == 1 {
		return m
	}
	n := m.Clone()
	if math.IsInf(total, 0) {
		top := slices.Max(n.Weights)
		total = 0
		for i := range n.Weights {
			n.Weights[i] /= top
			total += n.Weights[i]
		}
	}
	for i := range n.Weights {
		n.Weights[i] /= total
	}
	return &n
}
