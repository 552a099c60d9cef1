package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Options configure Fit. The zero value is not usable: Components and MaxIter must be set
// (MaxIter 0 is refused rather than taken for scikit-learn's max_iter=0, which is
// NoIterations, so that a MaxIter left unset is an error and not a fit that does nothing).
type Options struct {
	// Exec says where the passes run.
	Exec
	// Components is the number of mixture components K: from 1 to the number of samples,
	// or with Weights, to MaxComponents (the rules for degenerate data at Fit keep every
	// model valid).
	Components int
	// Dims is the number of features of each sample, from 1 to MaxDims (0 means 1): the
	// samples are then len(x)/Dims rows of Dims values, row-major, as gonum's
	// mat.NewDense(n, Dims, x) reads them.
	Dims int
	// Covariance is the type of the fitted covariances: Full (the zero value), Diag,
	// Spherical or Tied. With one dimension the first three are the same mixture, one
	// variance per component; Tied shares one variance among them all.
	Covariance Covariance
	// MaxIter is the number of EM iterations to run at most, from 1 to MaxIterations, or
	// NoIterations for none: the fit is then its start, scored (scikit-learn's
	// max_iter=0). Result.History keeps the log-likelihood of every iteration run, 8 bytes
	// each; the models go to Progress.
	MaxIter int
	// Tol stops the fit early, scikit-learn's rule: once the mean log-likelihood per
	// sample (per unit of weight) of an E-step differs by less than Tol from the last
	// one's, the M-step that follows it is the fit's last, so that the same start and Tol
	// take as many M-steps as scikit-learn's and give its parameters (Result then scores
	// them, one pass more). With Tol == 0 exactly MaxIter iterations run, as in the
	// reference program.
	Tol float64
	// Init is the starting model when InitModel is nil.
	Init Init
	// Seed seeds the random initialisations (InitKMeans, InitKMeansPP,
	// InitRandomFromData, InitRandom): the same Seed gives the same fit.
	Seed uint64
	// NInit is how many times the fit runs, from different starts of a random Init, of
	// which the one with the highest final log-likelihood is kept (scikit-learn's n_init;
	// 0 means 1). Restart r draws from Seed and r, and all of them share one pool of
	// workers. A deterministic start runs once, whatever NInit.
	NInit int
	// InitModel, when set, is the starting model; its K must equal Components. A model of
	// another covariance type starts the fit as its nearest of the type asked for (Tied
	// pools the variances by weight).
	InitModel *Model
	// InitWeights, InitMeans and InitPrecisions, when set, give the start in part, as
	// scikit-learn's weights_init, means_init and precisions_init do: Init makes its start
	// as it does without them, and each part given then replaces its own (so the
	// covariances of a start given its means alone are those Init found about its own
	// means, and the components of a random Init pair with the given parts in the order
	// it draws them, as in scikit-learn). Given all three, no Init runs. InitWeights
	// holds K positive weights (normalised), InitMeans K x Dims values row-major, and
	// InitPrecisions the inverses of the covariances in Model.Precisions' layout for
	// Covariance. Not with InitModel.
	InitWeights, InitMeans, InitPrecisions []float64
	// MinVariance is added to every variance after each M-step (scikit-learn's reg_covar);
	// 0, the default, leaves the M-step exact, as in the reference program. Whatever its
	// value, no variance falls below the floor described at Fit.
	MinVariance float64
	// Weights, when set, holds one non-negative weight per sample (a count, say): every sum
	// of EM is weighted by it. CountLevels gives integer data as distinct values and
	// their counts, which fit as the samples they count do.
	Weights []float64
	// Progress, when set, is called with each run's starting model (a Step with Iter -1),
	// then after every iteration with that iteration's Step; with restarts, for each run in
	// turn. It is how a caller sees every iteration's model: a fit keeps only the last.
	// Step.Model is the fit's own, valid during the call: Clone it to keep it, and do not
	// change it.
	Progress func(Step)
}

// Step is the state after one EM iteration: the parameters after its M-step and the total
// log-likelihood of the data under those parameters (the reference program's printout).
// Iter counts from 0; -1 marks a run's starting model. Run is the restart (see
// Options.NInit) it belongs to, from 0. Options.Progress receives them.
type Step struct {
	Run, Iter     int
	Model         Model
	LogLikelihood float64
}

// Result is the outcome of Fit.
type Result struct {
	// Model is the fitted mixture, the Model of the last Step.
	Model Model
	// Initial is the model EM started from.
	Initial Model
	// History holds the total log-likelihood after each iteration run, in order:
	// History[i] is the log-likelihood of the data under the parameters after M-step i,
	// and len(History) the number of iterations (scikit-learn's n_iter_). A fit's memory
	// does not grow with its iterations but by these 8 bytes each; each iteration's model
	// goes to Options.Progress.
	History []float64
	// Converged reports whether Tol stopped the fit before MaxIter (never when Tol == 0):
	// scikit-learn's converged_, of the run kept (scikit-learn's is true if any of its
	// n_init runs converged).
	Converged bool
	// LowerBound is scikit-learn's lower_bound_: the mean log-likelihood per sample (per
	// unit of weight) of the last E-step, the one whose M-step gave Model, and so under the
	// parameters before it: History[len(History)-2] over the samples' weight, or the
	// start's after one iteration; -Inf with NoIterations. (LogLikelihood scores Model
	// itself.)
	LowerBound float64
	// Reseeded lists the components that lost all their weight and were started again
	// (see Fit), in the order it happened; empty for a fit without such an event.
	Reseeded []Reseed
	// Floored lists the components whose variance the floor raised (see Fit), in the
	// order it first happened; empty for a fit without such an event.
	Floored []Floor
	// LogLikelihood is the total log-likelihood of the data under Model.
	LogLikelihood float64
	// Run is the restart that gave Model, from 0 (see Options.NInit).
	Run int
	// Kernel and Threads say where the passes ran: the kernel implementation's name and
	// the number of workers.
	Kernel  string
	Threads int
	// Passes counts the passes over the samples: one for the start, one for each
	// iteration, and one more for each iteration whose second moments were taken again
	// about the new means (see Fit).
	Passes int
}

// ErrInvalidData is wrapped by errors about the samples or their weights.
var ErrInvalidData = errors.New("invalid data")

// MaxIterations is the most iterations a fit may ask for: History, which keeps the
// log-likelihood of each, then stays within 8 MB.
const MaxIterations = 1_000_000

// NoIterations, as Options.MaxIter, asks for no EM iteration: the Result is the start
// (Init's, with the parts Options gives), scored, with an empty History, Converged false
// and LowerBound -Inf, as scikit-learn's fit with max_iter=0 leaves them.
const NoIterations = -1

// ErrUnfittable is wrapped by the error of a fit whose statistics leave no component any
// weight: samples so far from every component of the start that every density
// underflows, which only a start model far outside the data gives (Options.InitModel).
var ErrUnfittable = errors.New("the samples leave no component any weight")

// ErrInvalidOptions is wrapped by errors about Options.
var ErrInvalidOptions = errors.New("invalid options")

// Reseed records a component that lost all its weight in the M-step of iteration Iter
// (-1: the M-step of scikit-learn's starts, see Init) and was started again by splitting
// component From.
type Reseed struct {
	Iter, Component, From int
}

// Floor records that the variance floor (see Fit) acted on a component: First is the
// first iteration whose M-step raised a variance of it (-1: the M-step of scikit-learn's
// starts, see Init, after which the floor does not stay on), Count how many M-steps did.
// Tied covariances, shared, are component 0.
type Floor struct {
	Component, First, Count int
}

// Fit runs EM on the samples x and returns the fitted mixture with its history.
//
// Every iteration is one streaming pass over x that computes, under the current
// parameters, the responsibilities, the sufficient statistics of the next M-step and the
// log-likelihood; one more pass gives the log-likelihood after the last M-step. If ctx is
// cancelled, Fit stops within a tile of the pass under way (the start's passes too) and
// returns, with an error that wraps ctx.Err(), the best start that finished
// (Options.NInit) or else the one cut short: its iterations done so far, and its Model the
// last of them (the start, if none ended, with a NaN LogLikelihood if its first pass was
// cut).
//
// Each pass takes the second moments about the means of the model it runs under. Where a
// component's mean then moves by more than about 4 of its new standard deviations (a
// narrow component crossing the data, features of very different scales), the variance
// taken from them would lose more than 4 bits to cancellation: the pass runs again under
// the same model, centred on the new means (Result.Passes counts it), so that every
// covariance is exact to the precision of the sums, whatever the data's offset, scale and
// conditioning.
//
// Nothing but MinVariance changes a covariance that the kernels can take: with
// MinVariance 0 an M-step whose covariances are positive definite is the
// maximum-likelihood one, and the log-likelihood never falls. Degenerate data never give
// NaN, nor an error; two rules act only where a fit would otherwise fail, and the Result
// says where:
//
//   - Variance floor. A variance that falls to where the fit would fail becomes 1e-6 of
//     the data's variance (the weighted variance of x, which every M-step knows from its
//     statistics; 1e-18 max(mean², 1) for constant data): below what the kernels take
//     (2^-1020 in the frame the fit runs in, 2^-120 for float32 samples, whose lanes hold
//     1/(2 sigma^2) in float32), or below the square of a 64th of the spacing of the
//     samples' numbers at the component's mean (2^-58 of its magnitude, 2^-29 for
//     float32), as a component on one repeated value does. From then on the floor bounds
//     that component's variances.
//     Over several features the same holds for the conditional variances, the pivots of
//     each covariance's Cholesky factorisation, against the data's variance of that
//     feature. Result.Floored records where it acted; the log-likelihood may fall there.
//   - Split. A component whose responsibilities all underflow to zero (it lies far from
//     every sample) is started again from the component with the largest weight times
//     variance: the two share that one's weight equally, their means sit half its
//     standard deviation either side of its mean, and their standard deviation is
//     sqrt(3)/2 of its, so that the pair has its mean and variance. Result.Reseeded
//     records each split; the iteration of a split may lower the log-likelihood.
//
// So constant data, data of two distinct values and more components than distinct values
// all give a valid mixture of Components components.
//
// Finite samples of any magnitude, from subnormal to ±MaxFloat64, fit alike on every
// kernel. Samples within 2^32 of zero whose range is zero or at least 2^-32 fit where
// they are. Others fit on a copy mapped onto [0, 1] by their range, where every square
// and density is finite in either precision and an offset cannot hide their spread: the
// start (InitModel too), MinVariance, the models and the log-likelihoods are mapped in and
// out, exactly up to rounding, and the rules above apply in that frame. A model holds
// variances, as scikit-learn's does: a component whose standard deviation in the data's
// units is above 1.3e154 or below about 1e-162 has no float64 variance, and its variance
// is clamped to the float64 range (MaxFloat64, or the smallest subnormal).
func Fit[T float32 | float64](ctx context.Context, x []T, opt Options) (*Result, error) {
	s, data, err := checkData(x, opt.Weights, opt.Dims)
	if err != nil {
		return nil, err
	}
	return fitChecked(ctx, s, opt, data)
}

// FitSource is Fit for samples that src holds (opt.Dims features each), read tile by tile
// into buffers in cache: a multichannel fit never holds a copy of them all. The values
// are those Fit of the samples in one slice gives, bit for bit. src is read once to check
// the samples (not at all if it is a RangedSource), for the start (InitEvenlySpaced and
// InitQuantiles over several features: at most 2^16 samples, once; scikit-learn's starts
// twice for the moments, then twice a seed of InitKMeansPP and InitKMeans, once a Lloyd
// iteration of InitKMeans and once for its clusters, once for InitRandom's
// responsibilities) and once an iteration.
// One-dimensional samples are read into one slice, the layout the one-dimensional
// kernels take.
func FitSource[T float32 | float64](ctx context.Context, src Source[T], opt Options) (*Result, error) {
	s, data, err := checkSource(src, opt.Weights, opt.Dims)
	if err != nil {
		return nil, err
	}
	return fitChecked(ctx, s, opt, data)
}

// fitChecked runs Fit on the checked samples s, in the data's frame.
func fitChecked[T float32 | float64](ctx context.Context, s *samples[T], opt Options, data dataset) (*Result, error) {
	if err := opt.check(data.n, opt.Weights != nil); err != nil {
		return nil, err
	}
	var res *Result
	err := opt.run(ctx, func(d *kernel.Driver) (err error) {
		res, err = fit(ctx, d, s, opt, data)
		return err
	})
	return res, err
}

// fit runs Fit's starts on d's workers, for the samples s in the data's frame (weights
// opt.Weights), and returns the best.
func fit[T float32 | float64](ctx context.Context, d *kernel.Driver, s *samples[T], opt Options, data dataset) (*Result, error) {
	if err := checkStatsMemory(d, data.n, opt.Components, opt.Dims); err != nil {
		return nil, err
	}
	runs := 1
	if !opt.givenWhole() && opt.Init.Random() {
		runs = max(1, opt.NInit)
	}
	if s.d == 1 {
		s.held() // the one-dimensional kernels take one slice
	}
	tl := s.onDriver(d) // the tiles every start and engine read
	var best *Result
	for r := range runs {
		model, rec, err := startModel(ctx, &opt, tl, data, r)
		var res *Result
		if err == nil {
			res, err = em(ctx, newEngine(tl, &opt, &model), &opt, model, rec, data, r)
		}
		switch {
		case err != nil && best != nil:
			return best, err // the best finished start, not the one cut short
		case err != nil:
			return res, err
		}
		if best == nil || res.LogLikelihood > best.LogLikelihood {
			best = res
		}
	}
	return best, nil
}

// An engine runs the passes and M-steps of one kind of mixture over its samples.
type engine interface {
	// pass sets the statistics to those of an E-step under m, with m's log-likelihood,
	// the moments about centre (K x Dims; nil: m's means).
	pass(m *Model, centre []float64)
	gathered
	kernels() (name string, threads int)
	// statistics copies the pass's statistics into s, of the same shape.
	statistics(s *Stats)
}

// oneDim is the engine of one-dimensional mixtures.
type oneDim[T float32 | float64] struct {
	d    *kernel.Driver
	x    []T
	w    []float64
	c    *kernel.Coeffs
	s    *kernel.Stats
	view kernel.MultiStats // s as the multichannel kernels lay it out
}

func (e *oneDim[T]) pass(m *Model, centre []float64) {
	m.setCoeffs(e.c)
	e.c.Centre = centre
	kernel.EStep(e.d, e.x, e.w, e.c, e.s)
}

func (e *oneDim[T]) logLik() float64 { return e.s.LogLik }

func (e *oneDim[T]) moments() *kernel.MultiStats {
	e.view = kernel.MultiStats{N: e.s.N, S: e.s.D, Q: e.s.B, LogLik: e.s.LogLik}
	return &e.view
}

func (e *oneDim[T]) mStep(m *Model, centre []float64, r *rules) error {
	return mStep(m, centre, e.s, r)
}

func (e *oneDim[T]) kernels() (string, int) { return e.d.Kernels().Name, e.d.Threads() }

func (e *oneDim[T]) statistics(s *Stats) {
	copy(s.n, e.s.N)
	copy(s.first, e.s.D)
	copy(s.second, e.s.B)
	s.ll = e.s.LogLik
}

// newEngine returns the engine of the fit opt asks for, over the samples s on their
// driver's workers, sized for models like m.
func newEngine[T float32 | float64](s *tiled[T], opt *Options, m *Model) engine {
	if opt.Dims > 1 {
		return newMultiDim(s, opt, m)
	}
	return &oneDim[T]{d: s.dr, x: s.held(), w: opt.Weights, c: m.coeffs(), s: kernel.NewStats(m.K())}
}

// rules are what an M-step applies besides the maximum-likelihood estimates: MinVariance
// (reg_covar) in the frame, added to every variance, and the floor and split rules of Fit,
// which record in res what they did in iteration it. A variance, or a conditional
// variance of several features, below leastAt is where a fit would fail. Once the floor
// acted on a component (stuck), it bounds that component's variances from then on. With
// centring, an M-step whose moments cancelled (see centre.go) is abandoned for its pass
// to run again.
type rules struct {
	minVar float64
	// least is the least variance the kernels take, resolution the samples' precision
	// relative to their magnitude, frame the frame the fit runs in.
	least, resolution float64
	frame             frame
	it                int
	res               *Result
	stuck             []bool
	centring          bool
	// cancelled says that the M-step's moments cancelled; floored lists the components
	// the floor raised in it, recorded in res and stuck once the M-step stands.
	cancelled bool
	floored   []int
	// dataVar, when set, is the data's variance of each feature, for the floor: where the
	// statistics do not cover the data (a start of one sample a component). Otherwise the
	// floor takes it from the statistics, the law of total variance.
	dataVar []float64
}

// leastAt is the least variance about a mean mu (in the frame) where a fit does not fail:
// what the kernels take (least), and the square of the samples' resolution at mu. A
// Gaussian narrower than that has its samples on its mean or far away: a component on
// one repeated value, as the samples' precision sees it.
func (r *rules) leastAt(mu float64) float64 {
	s := r.resolution * r.frame.magnitude(mu)
	return max(r.least, float64(s*s))
}

// floor returns the variance v of component k, or to where the floor acts on it: where
// v is below least, or below to once the floor has acted on k.
func (r *rules) floor(v, to, least float64, k int) float64 {
	to = max(to, least)
	if v >= least && !(r.stuck[k] && v < to) {
		return v
	}
	r.floored = append(r.floored, k)
	return to
}

// bound sets w.least and w.to to the bound on the conditional variances of component k
// (k < 0: of every component with weight, as Tied shares them; see cholesky): below
// leastAt the means, or below the floor once it has acted on the component, they become
// the floor (w.floor, at least leastAt).
func (r *rules) bound(w *multiWork, m *Model, k int) bound {
	d := len(w.least)
	stuck := false
	clear(w.least)
	for j, wt := range m.Weights {
		if j != k && (k >= 0 || !(wt > 0)) {
			continue
		}
		for a := range d {
			w.least[a] = max(w.least[a], r.leastAt(m.Means[j*d+a]))
		}
		stuck = stuck || r.stuck[j]
	}
	for a := range d {
		w.to[a] = max(w.floor[a], w.least[a])
	}
	if stuck {
		return bound{below: w.to, to: w.to}
	}
	return bound{below: w.least, to: w.to}
}

// moved takes in how far a component's mean moved from its centre: by lost, one plus the
// squared distance in units of its new covariance (see centre.go).
func (r *rules) moved(lost float64) {
	r.cancelled = r.cancelled || !(lost <= maxMomentRatio)
}

// finish ends an M-step of m: errCancelled if its moments cancelled and its pass may
// run again, else the floor's record, then the splits of every component of m left
// without weight, the widest split into it. If no component keeps any weight there is
// nothing to split from: that is ErrUnfittable.
func (r *rules) finish(m *Model, split func(from, to int)) error {
	if r.centring && r.cancelled {
		return errCancelled
	}
	for _, k := range r.floored {
		r.stuck[k] = true
		r.record(k)
	}
	for k, w := range m.Weights {
		if w == 0 {
			from := widest(m)
			if from < 0 {
				return ErrUnfittable
			}
			split(from, k)
			r.res.Reseeded = append(r.res.Reseeded, Reseed{Iter: r.it, Component: k, From: from})
		}
	}
	return nil
}

// record records in res that the floor acted on component k in this iteration.
func (r *rules) record(k int) {
	for i := range r.res.Floored {
		if f := &r.res.Floored[i]; f.Component == k {
			f.Count++
			return
		}
	}
	r.res.Floored = append(r.res.Floored, Floor{Component: k, First: r.it, Count: 1})
}

// leastVariance is the least variance, or conditional variance, whose 1/(2 sigma^2) and
// whose Cholesky factor the kernels take in float64 or, with single, in float32 (whose
// lanes also take the factor's off-diagonal entries, up to 2^60 times larger); and the
// resolution of the samples relative to their magnitude: a 64th of the spacing of their
// numbers (2^-52 or 2^-23 of it), where the samples nearest a mean but not on it have
// densities below e^-2000 of its own.
func leastVariance(single bool) (least, resolution float64) {
	if single {
		return 0x1p-120, 0x1p-29
	}
	return minStdev * minStdev, 0x1p-58
}

// mStep sets m to the maximum-likelihood mixture given the statistics s, their moments
// about centre, with the rules r applied. If no component keeps any weight there is
// nothing to split from: that is ErrUnfittable.
func mStep(m *Model, centre []float64, s *kernel.Stats, r *rules) error {
	total := weightOf(s.N)
	// Weights, means and raw variances first, for the data's moments; a component left
	// without weight gets weight 0 until it is split into. Tied components share the
	// variance within them, pooled over the components.
	tied := m.Covariance == Tied
	var mean, pooled float64
	for k := range m.Means {
		n := s.N[k]
		shift := s.D[k] / n
		m.Weights[k], m.Means[k] = n/total, centre[k]+shift
		if !(m.Weights[k] > 0) || math.IsInf(m.Means[k], 0) {
			m.Weights[k] = 0
			continue
		}
		v := max(s.B[k]/n-float64(shift*shift), 0)
		if tied {
			// float64(...) rounds a product on its own, as everywhere a sum takes one: Go may fuse
			// it into the addition on some CPUs (arm64), and the numbers must not depend on which.
			pooled += float64(m.Weights[k] * v)
		} else {
			m.Covariances[k] = v
		}
		mean += float64(m.Weights[k] * m.Means[k])
	}
	// The law of total variance, around the mean so that an offset does not cancel it.
	variance := pooled
	for k := range m.Means {
		if m.Weights[k] > 0 {
			d := m.Means[k] - mean
			variance += float64(m.Weights[k] * d * d)
			if !tied {
				variance += float64(m.Weights[k] * m.Covariances[k])
			}
		}
	}
	if r.dataVar != nil {
		variance = r.dataVar[0]
	}
	floor := varianceFloor(variance, mean)
	if tied {
		least := 0.0
		for k, mu := range m.Means {
			if m.Weights[k] > 0 {
				least = max(least, r.leastAt(mu))
			}
		}
		m.Covariances[0] = r.floor(pooled+r.minVar, floor, least, 0)
	}
	for k := range m.Means {
		if m.Weights[k] > 0 {
			if !tied {
				m.Covariances[k] = r.floor(m.Covariances[k]+r.minVar, floor, r.leastAt(m.Means[k]), k)
			}
			shift := s.D[k] / s.N[k]
			r.moved(1 + float64(shift*shift)/m.variance(k))
		}
	}
	return r.finish(m, func(from, to int) { split(m, from, to, max(floor, r.leastAt(m.Means[from]))) })
}

// weightOf is the sum of the responsibilities' sums n, over the components that have
// any: the weights are shares of it rather than of the samples' weight, which it equals
// up to rounding, since float32 lanes round each responsibility to float32 and the
// weights should still sum to one.
func weightOf(n []float64) float64 {
	total := 0.0
	for _, v := range n {
		if v > 0 {
			total += v
		}
	}
	return total
}

// varianceFloor is the variance the floor gives, for data of the given variance and mean
// (see Fit).
func varianceFloor(variance, mean float64) float64 {
	if variance > 0 {
		return 1e-6 * variance
	}
	return 1e-18 * max(mean*mean, 1)
}

// widest returns the component of m with the largest weight times variance (its total
// variance, over several features), among those with weight.
func widest(m *Model) int {
	best, spread := -1, 0.0
	for k, w := range m.Weights {
		if v := m.spread(k); w > 0 && (best < 0 || v > spread) {
			best, spread = k, v
		}
	}
	return best
}

// split shares component from of m with component to: half its weight each, means half a
// standard deviation either side, and the variance that keeps the pair's mean and
// variance those of the component split (or minVar, if larger). Tied components keep
// the variance they share.
func split(m *Model, from, to int, minVar float64) {
	mu, v := m.Means[from], m.variance(from)
	sd := math.Sqrt(v)
	m.Weights[from] /= 2
	m.Weights[to] = m.Weights[from]
	m.Means[from], m.Means[to] = mu-sd/2, mu+sd/2
	if m.Covariance != Tied {
		m.Covariances[from] = max(v*3/4, minVar)
		m.Covariances[to] = m.Covariances[from]
	}
}

// checkFinite reports the first value of x that is NaN or infinite, what Fit, scoring
// and Predict refuse alike, as the value first+i of the data, and otherwise returns the
// values' range.
func checkFinite[T float32 | float64](x []T, first int) (lo, hi float64, err error) {
	lo, hi, ok := finiteRange(x)
	if ok {
		return lo, hi, nil
	}
	// Not ok: some v - v was NaN, so some v is NaN or infinite.
	i := slices.IndexFunc(x, func(v T) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) })
	return 0, 0, fmt.Errorf("gmm: %w: sample %d is %v", ErrInvalidData, first+i, x[i])
}

// finiteRange returns the range of x and whether every value is finite, in one pass of
// few branches: v - v is 0 for a finite v and NaN otherwise, and a NaN never passes a
// comparison. Two chains of each sum and comparison, for even and odd values, halve the
// wait on the adds' latency; it checks the samples of a fit at a few times the speed of a
// test of each value.
func finiteRange[T float32 | float64](x []T) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	lo2, hi2, nan, nan2 := lo, hi, 0.0, 0.0
	i := 0
	for ; i+1 < len(x); i += 2 {
		a, b := float64(x[i]), float64(x[i+1])
		nan += a - a
		nan2 += b - b
		if a < lo {
			lo = a
		}
		if a > hi {
			hi = a
		}
		if b < lo2 {
			lo2 = b
		}
		if b > hi2 {
			hi2 = b
		}
	}
	if i < len(x) {
		a := float64(x[i])
		nan += a - a
		lo, hi = min(lo, a), max(hi, a)
	}
	return min(lo, lo2), max(hi, hi2), nan+nan2 == 0
}

// dataset is what Fit knows of its samples once checked: how many there are, their
// weights' sum and the frame it fits them in.
type dataset struct {
	n      int
	total  float64
	frame  frame
	single bool // some samples are float32
}

// checkData validates the samples x, of dims features each (0 means 1), and their
// weights w, and returns them as the fit reads them, with what it knows of them.
func checkData[T float32 | float64](x []T, w []float64, dims int) (*samples[T], dataset, error) {
	if err := checkShape(len(x), dims); err != nil {
		return nil, dataset{}, err
	}
	if len(x) == 0 {
		return nil, dataset{}, fmt.Errorf("gmm: %w: no samples", ErrInvalidData)
	}
	return checkSamples(rowSamples(x, max(dims, 1)), w)
}

// checkShape checks that n values are samples of dims features each (0 means 1).
func checkShape(n, dims int) error {
	switch {
	case dims < 0 || dims > MaxDims:
		return fmt.Errorf("gmm: %w: Dims is %d, want 0 to %d", ErrInvalidOptions, dims, MaxDims)
	case n%max(dims, 1) != 0:
		return fmt.Errorf("gmm: %w: %d values are not samples of %d features", ErrInvalidData, n, max(dims, 1))
	}
	return nil
}

// checkSource is checkData for samples that src holds.
func checkSource[T float32 | float64](src Source[T], w []float64, dims int) (*samples[T], dataset, error) {
	switch {
	case dims < 0 || dims > MaxDims:
		return nil, dataset{}, fmt.Errorf("gmm: %w: Dims is %d, want 0 to %d", ErrInvalidOptions, dims, MaxDims)
	case src == nil || src.Len() <= 0:
		return nil, dataset{}, fmt.Errorf("gmm: %w: no samples", ErrInvalidData)
	}
	return checkSamples(&samples[T]{src: src, n: src.Len(), d: max(dims, 1), f: identityFrame}, w)
}

// checkSamples checks that the samples s are finite and their weights w valid, in one
// pass over them, and puts s in the frame the fit runs in: a slice is mapped on a copy,
// a source as it is read.
func checkSamples[T float32 | float64](s *samples[T], w []float64) (*samples[T], dataset, error) {
	lo, hi, err := s.valueRange()
	if err != nil {
		return nil, dataset{}, err
	}
	data := dataset{n: s.n, total: float64(s.n), frame: frameOf(lo, hi), single: !is64[T]()}
	if s.x != nil {
		s.x = samplesIn(data.frame, s.x)
	} else {
		s.f = data.frame
	}
	if w == nil {
		return s, data, nil
	}
	if data.total, err = checkWeights(w, s.n); err != nil {
		return nil, dataset{}, err
	}
	if !(data.total > 0) || math.IsInf(data.total, 0) {
		return nil, dataset{}, fmt.Errorf("gmm: %w: the weights sum to %v", ErrInvalidData, data.total)
	}
	return s, data, nil
}

// checkWeights checks that w holds one non-negative finite weight for each of n samples,
// and returns their sum.
func checkWeights(w []float64, n int) (total float64, err error) {
	if len(w) != n {
		return 0, fmt.Errorf("gmm: %w: %d weights for %d samples", ErrInvalidData, len(w), n)
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("gmm: %w: weight %d is %v, want non-negative and finite", ErrInvalidData, i, v)
		}
		total += v
	}
	return total, nil
}

// check validates the options for n samples, weighted or not.
func (o *Options) check(n int, weighted bool) error {
	if _, err := o.Exec.kernels(); err != nil {
		return err
	}
	switch {
	case o.Components < 1:
		return fmt.Errorf("gmm: %w: Components is %d, want at least 1", ErrInvalidOptions, o.Components)
	case o.Components > n && !weighted:
		return fmt.Errorf("gmm: %w: %d components for %d samples", ErrInvalidOptions, o.Components, n)
	case o.Components > kernel.MaxComponents:
		return fmt.Errorf("gmm: %w: %d components, at most %d are supported", ErrInvalidOptions, o.Components, kernel.MaxComponents)
	case (o.MaxIter < 1 && o.MaxIter != NoIterations) || o.MaxIter > MaxIterations:
		return fmt.Errorf("gmm: %w: MaxIter is %d, want 1 to %d, or NoIterations for the start alone", ErrInvalidOptions, o.MaxIter, MaxIterations)
	case !(o.Tol >= 0) || math.IsInf(o.Tol, 0):
		return fmt.Errorf("gmm: %w: Tol is %v, want non-negative and finite", ErrInvalidOptions, o.Tol)
	case !(o.MinVariance >= 0) || math.IsInf(o.MinVariance, 0):
		return fmt.Errorf("gmm: %w: MinVariance is %v, want non-negative and finite", ErrInvalidOptions, o.MinVariance)
	case o.NInit < 0:
		return fmt.Errorf("gmm: %w: NInit is %d, want 0 or more", ErrInvalidOptions, o.NInit)
	case o.Covariance < Full || o.Covariance > Tied:
		return fmt.Errorf("gmm: %w: %v", ErrInvalidOptions, o.Covariance)
	case o.InitModel != nil && o.InitModel.K() != o.Components:
		return fmt.Errorf("gmm: %w: InitModel has %d components, Components is %d", ErrInvalidOptions, o.InitModel.K(), o.Components)
	}
	return o.checkParts()
}

// historyReserve is how many iterations' log-likelihoods History holds before its first
// growth (1 MiB): a fit of up to that many iterations allocates nothing per iteration.
const historyReserve = 1 << 17

// evenlySpaced returns the reference program's starting model with k components (see
// InitEvenlySpaced). Its weights are 1/k; the reference uses 1, which gives the same
// responsibilities and so the same fit.
func evenlySpaced(k int) Model {
	m := Model{Weights: make([]float64, k), Means: make([]float64, k), Covariances: make([]float64, k)}
	for i := range k {
		m.Weights[i] = 1 / float64(k)
		m.Covariances[i] = 10.0 / 255
		// As numpy's linspace: i times the step, and the last mean exactly 1.
		m.Means[i] = float64(i) * (1 / float64(max(k-1, 1)))
	}
	if k > 1 {
		m.Means[k-1] = 1
	}
	return m
}
