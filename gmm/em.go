package gmm

import (
	"context"
	"fmt"
	"math"
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
//		stats := ... // EStep(ctx, p, shard, weights, exec) on every shard, merged
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
	// passes counts the passes taken in; reseeded is len(res.Reseeded) before the
	// latest M-step, so that Tol waits for an iteration without a split.
	passes, reseeded int
	done             bool
}

// gathered is what a pass leaves for the M-step: its log-likelihood and the statistics
// that set the next model.
type gathered interface {
	logLik() float64
	// mStep sets m from the statistics, the rules of Fit applied, and appends the splits
	// of iteration it to reseeded.
	mStep(m *Model, minVar float64, it int, reseeded []Reseed) ([]Reseed, error)
}

// newEM returns run r of EM from model (in the data's frame) under opt.
func newEM(opt *Options, model Model, data dataset, r int) *EM {
	e := &EM{opt: *opt, data: data, model: model, minVar: data.frame.varianceIn(opt.MinVariance)}
	e.res = &Result{Run: r, Initial: model.Clone(), History: make([]float64, 0, min(opt.MaxIter, historyReserve))}
	data.frame.modelOut(&e.res.Initial)
	// Until an iteration ends, the result is the start: what a fit cancelled at once
	// gives, with a NaN log-likelihood if its first pass was cut. Each iteration then
	// overwrites Model in place.
	e.res.Model, e.res.LogLikelihood = e.res.Initial.Clone(), math.NaN()
	return e
}

// em runs the EM iterations of Fit's run r from model on the engine e, for the samples
// and the model in the data's frame; the result is in the data's units.
func em(ctx context.Context, e engine, opt *Options, model Model, data dataset, r int) (*Result, error) {
	run := newEM(opt, model, data, r)
	run.res.Kernel, run.res.Threads = e.kernels()
	for !run.done {
		e.pass(&run.model)
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
	return fmt.Errorf("gmm: fit stopped after %d iterations: %w", e.passes-1, err)
}

// update takes in the pass g made under the current model: the start's log-likelihood
// or the Step of the iteration it ends, then, unless the run is done, the M-step of the
// next iteration.
func (e *EM) update(g gathered) error {
	f, total, res := e.data.frame, e.data.total, e.res
	ll := g.logLik()
	if e.passes == 0 {
		res.LogLikelihood = f.logLikOut(ll, total)
		if e.opt.Progress != nil {
			e.opt.Progress(Step{Run: res.Run, Iter: -1, Model: res.Initial, LogLikelihood: res.LogLikelihood})
		}
	} else {
		res.Model.copyFrom(&e.model)
		f.modelOut(&res.Model)
		res.LogLikelihood = f.logLikOut(ll, total)
		res.History = append(res.History, res.LogLikelihood)
		if e.opt.Progress != nil {
			e.opt.Progress(Step{Run: res.Run, Iter: e.passes - 1, Model: res.Model, LogLikelihood: res.LogLikelihood})
		}
		if e.opt.Tol > 0 && len(res.Reseeded) == e.reseeded && math.Abs(ll-e.prevLL)/total < e.opt.Tol {
			res.Converged, e.done = true, true
		}
	}
	it := e.passes
	e.passes++
	e.prevLL = ll
	if e.done || it == e.opt.MaxIter {
		e.done = true
		return nil
	}
	e.reseeded = len(res.Reseeded)
	var err error
	if res.Reseeded, err = g.mStep(&e.model, e.minVar, it, res.Reseeded); err != nil {
		e.done = true
		return fmt.Errorf("gmm: iteration %d: %w", it, err)
	}
	return nil
}
