package gmm

import (
	"context"
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// EM is one run of expectation-maximisation whose E-steps run wherever the samples are:
// on other machines, or over shards that no one process holds. It keeps the model and
// the history; each of its passes is the Stats of every shard under Params, merged, and
// Update turns them into the next model. Fit is this EM with its passes made on local
// workers: the same iterations, the same rules (see Fit), the same Result.
//
//	em, err := gmm.NewEM(opt, summary) // summary: every shard's Summarize, merged
//	for !em.Done() {
//		p := em.Params()
//		stats := ... // EStep(ctx, p, shard, exec) on every shard (a Weighted for weights), merged
//		if err := em.Update(stats); err != nil { ... }
//	}
//	res := em.Result()
type EM struct {
	opt    Options
	data   dataset
	model  Model // in the data's frame: the parameters of the next pass
	res    *Result
	minVar float64
	prevLL float64
	// centre is nil, for moments about the model's means, or the centres of the next
	// pass's moments (K x Dims) once the last pass's cancelled (see centre.go), held in
	// centres; centring counts the passes of this iteration run again.
	centre, centres []float64
	centring        int
	// saved is the model before the latest M-step, to go back to if it is abandoned;
	// rules are that M-step's rules.
	saved Model
	rules rules
	// passes counts the passes taken in, iters the M-steps made; reseeded is
	// len(res.Reseeded) before the latest M-step, so that Tol waits for an iteration
	// without a split.
	passes, iters, reseeded int
	done                    bool
}

// gathered is what a pass leaves for the M-step: its log-likelihood and the statistics
// that set the next model.
type gathered interface {
	logLik() float64
	// moments returns the statistics laid out as the multichannel kernels' (one feature
	// too: N, D and B are N, S and Q of one feature).
	moments() *kernel.MultiStats
	// mStep sets m from the statistics, their moments about centre, with the rules r.
	mStep(m *Model, centre []float64, r *rules) error
}

// newEM returns run r of EM from model (in the data's frame) under opt.
func newEM(opt *Options, model Model, data dataset, r int) *EM {
	e := &EM{opt: *opt, data: data, model: model, minVar: data.frame.varianceIn(opt.AddedVariance),
		centres: make([]float64, len(model.Means)), saved: model.Clone(), rules: rules{stuck: make([]bool, model.K())}}
	e.res = &Result{Run: r, Initial: model.Clone(), History: make([]float64, 0, min(max(opt.MaxIter, 0), historyReserve))}
	data.frame.modelOut(&e.res.Initial)
	// Until an iteration ends, the result is the start: what a fit cancelled at once
	// gives, with a NaN log-likelihood if its first pass was cut. Each iteration then
	// overwrites Model in place.
	e.res.Model, e.res.LogLikelihood, e.res.LowerBound = e.res.Initial.Clone(), math.NaN(), math.Inf(-1)
	return e
}

// em runs the EM iterations of Fit's run r from model on the engine e, for the samples
// and the model in the data's frame, rec what the rules did in the start; the result is
// in the data's units.
func em(ctx context.Context, e engine, opt *Options, model Model, rec startRecord, data dataset, r int) (*Result, error) {
	run := newEM(opt, model, data, r)
	run.res.Floored, run.res.Reseeded = rec.floored, rec.reseeded
	run.reseeded = len(rec.reseeded)
	run.res.Kernel, run.res.Threads = e.kernels()
	for !run.done {
		e.pass(&run.model, run.centre)
		if err := ctx.Err(); err != nil { // the pass was cut: its statistics are partial
			return run.res, run.stopped(err)
		}
		if err := run.update(e); err != nil {
			return run.res, err
		}
	}
	return run.res, nil
}

// stopped returns the error of a run that ctx stopped during a pass.
func (e *EM) stopped(err error) error {
	if e.passes == 0 {
		return fmt.Errorf("gmm: fit stopped before its first iteration: %w", err)
	}
	return fmt.Errorf("gmm: fit stopped after %d iterations: %w", max(e.iters-1, 0), err)
}

// update takes in the pass g made under the current model: the start's log-likelihood
// or the Step of the iteration it ends, then, unless the run is done, the M-step of the
// next iteration; or, for a pass run again about new centres, that M-step alone.
func (e *EM) update(g gathered) error {
	e.passes++
	e.res.Passes = e.passes
	if e.centring == 0 && e.record(g.logLik()) {
		return nil
	}
	return e.mStep(g)
}

// record takes in the log-likelihood ll of a pass under a new model: the start's, or that
// of the iteration the pass ends, with its Step and the rule of Tol. It reports whether
// the run is done.
func (e *EM) record(ll float64) bool {
	f, total, res := e.data.frame, e.data.total, e.res
	if e.iters == 0 {
		res.LogLikelihood = f.logLikOut(ll, total)
		if e.opt.Progress != nil {
			e.opt.Progress(Step{Run: res.Run, Iter: -1, Model: res.Initial, LogLikelihood: res.LogLikelihood})
		}
	} else {
		res.Model.copyFrom(&e.model)
		f.modelOut(&res.Model)
		res.LowerBound = f.logLikOut(e.prevLL, total) / total
		res.LogLikelihood = f.logLikOut(ll, total)
		res.History = append(res.History, res.LogLikelihood)
		if e.opt.Progress != nil {
			e.opt.Progress(Step{Run: res.Run, Iter: e.iters - 1, Model: res.Model, LogLikelihood: res.LogLikelihood})
		}
		if res.Converged { // the pass that scores the M-step after convergence
			e.done = true
		} else if e.opt.Tol > 0 && e.iters < e.opt.MaxIter && len(res.Reseeded) == e.reseeded && math.Abs(ll-e.prevLL)/total < e.opt.Tol {
			// scikit-learn's rule: the M-step of the pass that met Tol still runs, and
			// its parameters are the fit's; one more pass scores them. Where MaxIter
			// leaves no M-step to run, scikit-learn never looks at this pass's change
			// and the fit has not converged.
			res.Converged = true
		}
	}
	e.prevLL = ll
	if e.iters >= e.opt.MaxIter { // NoIterations: the start's pass alone
		e.done = true
	}
	return e.done
}

// mStep runs the M-step of the statistics of g, unless their moments cancelled: then the
// next pass is the same one again, centred on the means the M-step found.
func (e *EM) mStep(g gathered) error {
	centre := e.centre
	if centre == nil {
		centre = e.model.Means
	}
	it := e.iters
	e.saved.copyFrom(&e.model)
	least, resolution := leastVariance(e.data.single)
	e.rules = rules{minVar: e.minVar, least: least, resolution: resolution, frame: e.data.frame, it: it, res: e.res,
		stuck: e.rules.stuck, centring: e.centring < maxCentrings, floored: e.rules.floored[:0]}
	err := g.mStep(&e.model, centre, &e.rules)
	if err == errCancelled {
		copy(e.centres, e.model.Means)
		e.model.copyFrom(&e.saved)
		e.centre = e.centres
		e.centring++
		return nil
	}
	e.iters++
	e.reseeded = len(e.res.Reseeded)
	e.centre, e.centring = nil, 0
	if err != nil {
		e.done = true
		return fmt.Errorf("gmm: iteration %d: %w", it, err)
	}
	return nil
}
