package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Options configure Fit. The zero value is not usable: Components and MaxIter must be set.
type Options struct {
	// Components is the number of mixture components K, from 1 to the number of samples.
	Components int
	// MaxIter is the number of EM iterations to run at most (at least 1).
	MaxIter int
	// Tol stops the fit early once the mean log-likelihood per sample (per unit of weight)
	// changes by less than Tol from one iteration to the next, scikit-learn's rule. With
	// Tol == 0 exactly MaxIter iterations run, as in the reference program.
	Tol float64
	// Init is the starting model when InitModel is nil.
	Init Init
	// Seed seeds the random initialisations (InitKMeansPP, InitRandomFromData): the same
	// Seed gives the same fit.
	Seed uint64
	// NInit is how many times the fit runs, from different starts of a random Init, of
	// which the one with the highest final log-likelihood is kept (scikit-learn's n_init;
	// 0 means 1). Restart r draws from Seed and r, and all of them share one pool of
	// workers. A deterministic start runs once, whatever NInit.
	NInit int
	// InitModel, when set, is the starting model; its K must equal Components.
	InitModel *Model
	// MinVariance is added to every variance after each M-step (scikit-learn's reg_covar).
	// 0 leaves the M-step exact; a component whose variance then reaches zero stops the fit
	// with ErrCollapsed.
	MinVariance float64
	// Weights, when set, holds one non-negative weight per sample (a count, say): every sum
	// of EM is weighted by it.
	Weights []float64
	// Threads is the number of workers that share every pass over the data; 0 means one
	// per physical core the process may use. Results are bit-for-bit the same for any
	// value.
	Threads int
	// Pin locks each worker to its own CPU for the duration of the fit (Linux only;
	// elsewhere Fit returns an error).
	Pin bool
	// Kernel names the kernel implementation: "auto" or "" (the fastest this CPU runs),
	// "generic" (pure Go), or a CPU-specific one such as "avx2".
	Kernel string
	// Progress, when set, is called after every iteration with that iteration's Step (with
	// restarts, after every iteration of each run in turn).
	Progress func(Step)
}

// Step is the state after one EM iteration: the parameters after its M-step and the total
// log-likelihood of the data under those parameters (the reference program's printout).
type Step struct {
	Iter          int
	Model         Model
	LogLikelihood float64
}

// Result is the outcome of Fit.
type Result struct {
	// Model is the fitted mixture, the Model of the last Step.
	Model Model
	// Initial is the model EM started from.
	Initial Model
	// History holds one Step per iteration run.
	History []Step
	// Converged reports whether Tol stopped the fit before MaxIter (never when Tol == 0).
	Converged bool
	// Iterations is len(History).
	Iterations int
	// LogLikelihood is the total log-likelihood of the data under Model.
	LogLikelihood float64
	// Kernel and Threads say where the passes ran: the kernel implementation's name and
	// the number of workers.
	Kernel  string
	Threads int
}

// ErrInvalidData is wrapped by errors about the samples or their weights.
var ErrInvalidData = errors.New("invalid data")

// ErrInvalidOptions is wrapped by errors about Options.
var ErrInvalidOptions = errors.New("invalid options")

// ErrCollapsed is wrapped by the error Fit returns when a component loses all its weight
// or its variance reaches zero.
var ErrCollapsed = errors.New("component collapsed")

// Fit runs EM on the samples x and returns the fitted mixture with its history.
//
// Every iteration is one streaming pass over x that computes, under the current
// parameters, the responsibilities, the sufficient statistics of the next M-step and the
// log-likelihood; one more pass gives the log-likelihood after the last M-step. If ctx is
// cancelled, Fit stops between iterations and returns the iterations done so far with an
// error that wraps ctx.Err().
func Fit[T float32 | float64](ctx context.Context, x []T, opt Options) (*Result, error) {
	total, err := checkData(x, opt.Weights)
	if err != nil {
		return nil, err
	}
	if err := opt.check(len(x)); err != nil {
		return nil, err
	}
	d, err := opt.driver()
	if err != nil {
		return nil, err
	}
	defer d.Close()
	runs := 1
	if opt.InitModel == nil && opt.Init.random() {
		runs = max(1, opt.NInit)
	}
	var best *Result
	var collapsed error
	for r := range runs {
		model, err := startModel(&opt, x, r)
		if err != nil {
			return nil, err
		}
		res, err := em(ctx, d, x, &opt, model, total)
		switch {
		case errors.Is(err, ErrCollapsed) && runs > 1:
			collapsed = err // another start may do without
		case err != nil:
			return res, err
		case best == nil || res.LogLikelihood > best.LogLikelihood:
			best = res
		}
	}
	if best == nil {
		return nil, fmt.Errorf("gmm: every one of %d starts collapsed; the last: %w", runs, collapsed)
	}
	return best, nil
}

// em runs the EM iterations of Fit from model on d's workers; total is the samples'
// weight.
func em[T float32 | float64](ctx context.Context, d *kernel.Driver, x []T, opt *Options, model Model, total float64) (*Result, error) {
	res := &Result{
		Initial: model.Clone(),
		Kernel:  d.Kernels().Name,
		Threads: d.Threads(),
	}
	// The History of up to historyBudget bytes is allocated now, so that iterations
	// allocate nothing; a longer one grows in doubling chunks.
	reserve := min(opt.MaxIter, max(1, historyBudget/(3*8*opt.Components+stepBytes)))
	res.History = make([]Step, 0, reserve)
	steps := modelArena{chunk: reserve, free: make([]float64, 3*opt.Components*reserve)}
	c := kernel.NewCoeffs(model.Weights, model.Means, model.Stdevs)
	s := kernel.NewStats(opt.Components)
	kernel.EStep(d, x, opt.Weights, c, s)
	prevLL := s.LogLik
	for it := range opt.MaxIter {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("gmm: fit stopped after %d iterations: %w", it, err)
		}
		if err := mStep(&model, c, s, total, opt.MinVariance); err != nil {
			return res, fmt.Errorf("gmm: iteration %d: %w", it, err)
		}
		c.Set(model.Weights, model.Means, model.Stdevs)
		kernel.EStep(d, x, opt.Weights, c, s)
		step := Step{Iter: it, Model: steps.clone(&model), LogLikelihood: s.LogLik}
		res.History = append(res.History, step)
		res.Model, res.LogLikelihood, res.Iterations = step.Model, step.LogLikelihood, it+1
		if opt.Progress != nil {
			opt.Progress(step)
		}
		if opt.Tol > 0 && math.Abs(s.LogLik-prevLL)/total < opt.Tol {
			res.Converged = true
			break
		}
		prevLL = s.LogLik
	}
	return res, nil
}

// mStep sets m to the maximum-likelihood mixture given the statistics s, gathered under
// the coefficients c, of data whose weights sum to total.
func mStep(m *Model, c *kernel.Coeffs, s *kernel.Stats, total, minVar float64) error {
	for k := range m.Means {
		n := s.N[k]
		if !(n > 0) {
			return fmt.Errorf("%w: component %d has no responsibility left (mean %v, stdev %v)",
				ErrCollapsed, k, m.Means[k], m.Stdevs[k])
		}
		shift := s.D[k] / n
		v := s.B[k]/n - shift*shift + minVar
		if !(v > 0) || math.IsInf(0.5/v, 0) {
			return fmt.Errorf("%w: component %d has variance %v (weight %v, mean %v); set MinVariance",
				ErrCollapsed, k, v, n/total, c.Mean[k]+shift)
		}
		m.Weights[k] = n / total
		m.Means[k] = c.Mean[k] + shift
		m.Stdevs[k] = math.Sqrt(v)
	}
	return nil
}

// checkData validates the samples and weights and returns the total weight.
func checkData[T float32 | float64](x []T, w []float64) (float64, error) {
	if len(x) == 0 {
		return 0, fmt.Errorf("gmm: %w: no samples", ErrInvalidData)
	}
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("gmm: %w: sample %d is %v", ErrInvalidData, i, f)
		}
	}
	if w == nil {
		return float64(len(x)), nil
	}
	if len(w) != len(x) {
		return 0, fmt.Errorf("gmm: %w: %d weights for %d samples", ErrInvalidData, len(w), len(x))
	}
	total := 0.0
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("gmm: %w: weight %d is %v, want non-negative and finite", ErrInvalidData, i, v)
		}
		total += v
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return 0, fmt.Errorf("gmm: %w: the weights sum to %v", ErrInvalidData, total)
	}
	return total, nil
}

// check validates the options for n samples.
func (o *Options) check(n int) error {
	switch {
	case o.Components < 1:
		return fmt.Errorf("gmm: %w: Components is %d, want at least 1", ErrInvalidOptions, o.Components)
	case o.Components > n:
		return fmt.Errorf("gmm: %w: %d components for %d samples", ErrInvalidOptions, o.Components, n)
	case o.Components > kernel.MaxComponents:
		return fmt.Errorf("gmm: %w: %d components, at most %d are supported", ErrInvalidOptions, o.Components, kernel.MaxComponents)
	case o.MaxIter < 1:
		return fmt.Errorf("gmm: %w: MaxIter is %d, want at least 1", ErrInvalidOptions, o.MaxIter)
	case !(o.Tol >= 0) || math.IsInf(o.Tol, 0):
		return fmt.Errorf("gmm: %w: Tol is %v, want non-negative and finite", ErrInvalidOptions, o.Tol)
	case !(o.MinVariance >= 0) || math.IsInf(o.MinVariance, 0):
		return fmt.Errorf("gmm: %w: MinVariance is %v, want non-negative and finite", ErrInvalidOptions, o.MinVariance)
	case o.NInit < 0:
		return fmt.Errorf("gmm: %w: NInit is %d, want 0 or more", ErrInvalidOptions, o.NInit)
	case o.Threads < 0:
		return fmt.Errorf("gmm: %w: Threads is %d, want 0 (automatic) or more", ErrInvalidOptions, o.Threads)
	case o.InitModel != nil && o.InitModel.K() != o.Components:
		return fmt.Errorf("gmm: %w: InitModel has %d components, Components is %d", ErrInvalidOptions, o.InitModel.K(), o.Components)
	}
	return nil
}

// driver returns the kernel driver the options ask for, its workers started; the caller
// closes it.
func (o *Options) driver() (*kernel.Driver, error) {
	k, err := kernel.Lookup(o.Kernel)
	if err != nil {
		return nil, fmt.Errorf("gmm: %w: %w", ErrInvalidOptions, err)
	}
	d, err := kernel.NewDriver(k, kernel.Config{Threads: o.Threads, Pin: o.Pin})
	if err != nil {
		return nil, fmt.Errorf("gmm: %w: %w", ErrInvalidOptions, err)
	}
	return d, nil
}

// historyBudget is how many bytes of History Fit reserves before the first iteration, and
// stepBytes the size of a Step itself (an int, three slice headers, a float64).
const (
	historyBudget = 1 << 20
	stepBytes     = 8 + 3*24 + 8
)

// modelArena hands out copies of models from chunks that double in size, so that a fit
// of n iterations allocates O(log n) times for its History, not n times.
type modelArena struct {
	free  []float64
	chunk int // models in the last chunk
}

// clone returns a copy of m whose slices come from the arena.
func (a *modelArena) clone(m *Model) Model {
	k := m.K()
	if len(a.free) < 3*k {
		a.chunk = max(1, 2*a.chunk)
		a.free = make([]float64, 3*k*a.chunk)
	}
	buf := a.free[: 3*k : 3*k]
	a.free = a.free[3*k:]
	c := Model{Weights: buf[:k:k], Means: buf[k : 2*k : 2*k], Stdevs: buf[2*k:]}
	copy(c.Weights, m.Weights)
	copy(c.Means, m.Means)
	copy(c.Stdevs, m.Stdevs)
	return c
}

// EvenlySpaced returns the reference program's starting model with k components (see
// InitEvenlySpaced). Its weights are 1/k; the reference uses 1, which gives the same
// responsibilities and so the same fit.
func EvenlySpaced(k int) Model {
	m := Model{Weights: make([]float64, k), Means: make([]float64, k), Stdevs: make([]float64, k)}
	stdev := math.Sqrt(10.0 / 255)
	for i := range k {
		m.Weights[i] = 1 / float64(k)
		m.Stdevs[i] = stdev
		// As numpy's linspace: i times the step, and the last mean exactly 1.
		m.Means[i] = float64(i) * (1 / float64(max(k-1, 1)))
	}
	if k > 1 {
		m.Means[k-1] = 1
	}
	return m
}
