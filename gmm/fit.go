package gmm

import (
	"cmp"
	"context"
	"errors"

	"github.com/gmmsimd/gmmsimd/internal/drive"
)

// Options configure Fit. The zero value of each field is scikit-learn's GaussianMixture
// default, so that Options{} fits as GaussianMixture() does:
//
//	field          zero value means             scikit-learn
//	Components     1                            n_components=1
//	Covariance     Full                         covariance_type="full"
//	MaxIter        100                          max_iter=100
//	Tol            1e-3                         tol=1e-3
//	AddedVariance  1e-6                         reg_covar=1e-6
//	Init           InitKMeans                   init_params="kmeans"
//	NInit          1                            n_init=1
//	Seed           0                            random_state (any fixed seed)
//
// Off turns Tol or AddedVariance off, and NoIterations asks for no iteration (scikit-learn's
// tol=0, reg_covar=0 and max_iter=0): Reference gives the reference program's options,
// which set them so.
type Options struct {
	// Exec says where the passes run.
	Exec
	// Components is the number of mixture components K (0 means InitModel's, or 1): from 1
	// to the number of samples, or with weights (Weighted), to MaxComponents (the rules for degenerate data at Fit keep every
	// model valid).
	Components int
	// Dims is the number of features of each sample of a slice or a Source, from 1 to
	// MaxDims (0 means 1): a slice x is then len(x)/Dims rows of Dims values, row-major,
	// as gonum's mat.NewDense(n, Dims, x) reads them. A matrix has its columns, which
	// Dims, if not 0, must equal.
	Dims int
	// Covariance is the type of the fitted covariances: Full (the zero value), Diag,
	// Spherical or Tied. With one dimension the first three are the same mixture, one
	// variance per component; Tied shares one variance among them all.
	Covariance Covariance
	// MaxIter is the number of EM iterations to run at most, from 1 to MaxIterations (0
	// means 100), or NoIterations for none: the fit is then its start, scored
	// (scikit-learn's max_iter=0). Result.History keeps the log-likelihood of every iteration run, 8 bytes
	// each; the models go to Progress.
	MaxIter int
	// Tol stops the fit early, scikit-learn's rule: once the mean log-likelihood per
	// sample (per unit of weight) of an E-step differs by less than Tol from the last
	// one's, the M-step that follows it is the fit's last, so that the same start and Tol
	// take as many M-steps as scikit-learn's and give its parameters (Result then scores
	// them, one pass more). 0 means 1e-3; with Tol Off exactly MaxIter iterations run, as
	// in the reference program.
	Tol float64
	// Init is the starting model when InitModel is nil: InitKMeans, the zero value, as in
	// scikit-learn.
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
	// AddedVariance is added to every variance after each M-step (scikit-learn's
	// reg_covar): 0 means 1e-6; Off adds nothing and leaves the M-step exact, the
	// maximum-likelihood one, as in the reference program. Whatever its value, no variance
	// falls below the floor described at Fit.
	AddedVariance float64
	// Progress, when set, is called with each run's starting model (a Step with Iter -1),
	// then after every iteration with that iteration's Step; with restarts, for each run in
	// turn. It is how a caller sees every iteration's model: a fit keeps only the last.
	// Step.Model is the fit's own, valid during the call: Clone it to keep it, and do not
	// change it.
	Progress func(Step)

	// weights are the samples' weights, from a Weighted (nil for none): set by the
	// functions that take the samples, for the passes and starts to read.
	weights []float64
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
	// Converged reports whether Tol stopped the fit before MaxIter (never with Tol Off):
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
	Kernel  Kernel
	Threads int
	// Passes counts the passes over the samples: one for the start, one for each
	// iteration, and one more for each iteration whose second moments were taken again
	// about the new means (see Fit).
	Passes int
}

// Off, as Options.Tol or Options.AddedVariance, turns that setting off: every iteration
// runs, and nothing is added to the variances.
const Off = -1

// Reference returns the reference program's options for k components and iters
// iterations: its evenly spaced start, every iteration run and nothing added to the
// variances, the fit it prints number for number.
func Reference(k, iters int) Options {
	return Options{Components: k, MaxIter: iters, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
}

// withDefaults returns o with its zero values made scikit-learn's defaults and Off made
// the 0 that the fit takes for it (other negative values are left for check to refuse).
func (o Options) withDefaults() Options {
	if o.Components == 0 && o.InitModel != nil {
		o.Components = o.InitModel.K()
	}
	o.Components = cmp.Or(o.Components, 1)
	o.MaxIter = cmp.Or(o.MaxIter, 100)
	o.Tol = settingOf(o.Tol, 1e-3)
	o.AddedVariance = settingOf(o.AddedVariance, 1e-6)
	return o
}

// settingOf returns v, or its default def for 0, or 0 for Off.
func settingOf(v, def float64) float64 {
	switch v {
	case 0:
		return def
	case Off:
		return 0
	}
	return v
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
// x holds the samples in any of these forms, which every function that takes samples
// reads alike, with the same results bit for bit:
//   - a []float64 or a []float32, row-major, Options.Dims features a sample;
//   - a gonum mat.Matrix, a sample a row: a *mat.Dense whose rows lie one after another
//     is read where it is, any other (a strided view, a transpose) row by row;
//   - a Source[float64] or a Source[float32], read tile by tile into buffers in cache,
//     so that a multichannel fit never holds a copy of them all (once to check them, not
//     at all if it is a RangedSource; for the start, at most 2^16 samples once for
//     InitEvenlySpaced and InitQuantiles over several features, a few passes for
//     scikit-learn's starts; and once an iteration). One-dimensional samples are read
//     into one slice, the layout the one-dimensional kernels take;
//   - a Weighted: one of those with a weight for each sample.
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
// Nothing but AddedVariance changes a covariance that the kernels can take: with
// AddedVariance Off an M-step whose covariances are positive definite is the
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
//     feature; a pivot below 2^-40 of its feature's variance in the component (samples
//     on a line: rounding cannot tell it from zero, nor keep it positive through a change
//     of units) is floored too. Result.Floored records where it acted; the
//     log-likelihood may fall there.
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
// start (InitModel too), AddedVariance, the models and the log-likelihoods are mapped in and
// out, exactly up to rounding, and the rules above apply in that frame. A model holds
// variances, as scikit-learn's does: a component whose standard deviation in the data's
// units is above 1.3e154 or below about 1e-162 has no float64 variance, and its variance
// is clamped to the float64 range (MaxFloat64, or the smallest subnormal).
func Fit(ctx context.Context, x any, opt Options) (*Result, error) {
	in, err := inputOf(x, opt.Dims)
	if err != nil {
		return nil, err
	}
	return in.fit(ctx, opt)
}

// fitChecked runs Fit on the checked samples s, in the data's frame.
func fitChecked[T float32 | float64](ctx context.Context, s *samples[T], opt Options, data dataset) (*Result, error) {
	if err := opt.check(data.n, opt.weights != nil); err != nil {
		return nil, err
	}
	var res *Result
	err := opt.run(ctx, func(d *drive.Driver) (err error) {
		res, err = fit(ctx, d, s, opt, data)
		return err
	})
	return res, err
}

// fit runs Fit's starts on d's workers, for the samples s in the data's frame (weights
// opt.weights), and returns the best.
func fit[T float32 | float64](ctx context.Context, d *drive.Driver, s *samples[T], opt Options, data dataset) (*Result, error) {
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
