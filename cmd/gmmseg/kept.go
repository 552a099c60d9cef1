package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure"
	"github.com/gmmsimd/gmmsimd/gmm"
)

// kept holds what the outputs need of a fit's iterations, which gmm.Result keeps only
// the log-likelihoods of: every model when the report prints them all (the JSON
// document, and the text report after --components=auto's table), else a sample for the
// figures (figure.Steps), else none. It keeps them by number of components and, of the
// runs of --n-init, the best finished and the one under way, as gmm.Fit chooses.
type kept struct {
	all, sample bool
	byK         map[int]*runs
}

// runs are the iterations kept of one number of components' runs.
type runs struct{ best, cur *track }

// track is the iterations kept of one run.
type track struct {
	run    int
	all    []gmm.Step
	sample figure.Steps
	lastLL float64
}

// newKept returns what p's outputs need kept (nil for nothing).
func newKept(p *plan) *kept {
	all, sample := p.json || p.choose, p.visualization == 1
	if !all && !sample {
		return nil
	}
	return &kept{all: all, sample: sample, byK: map[int]*runs{}}
}

// add takes a step of the fit: a run's start or an iteration.
func (k *kept) add(s gmm.Step) {
	if k == nil {
		return
	}
	r := k.byK[s.Model.K()]
	if r == nil {
		r = &runs{}
		k.byK[s.Model.K()] = r
	}
	if s.Iter < 0 {
		// A run starts: of the one before and the best, Fit keeps the higher final
		// log-likelihood, the earlier on a tie.
		if r.cur != nil && (r.best == nil || r.cur.lastLL > r.best.lastLL) {
			r.best = r.cur
		}
		r.cur = &track{run: s.Run}
		return
	}
	t := r.cur
	t.lastLL = s.LogLikelihood
	if k.all {
		s.Model = s.Model.Clone()
		t.all = append(t.all, s)
	} else {
		t.sample.Add(s)
	}
}

// steps returns the iterations kept of the run that gave res: every one, or a sample
// with the last (nil when none were kept, or for a mixture that was not fitted).
func (k *kept) steps(res *gmm.Result) []gmm.Step {
	if k == nil || k.byK[res.Model.K()] == nil {
		return nil
	}
	r := k.byK[res.Model.K()]
	for _, t := range []*track{r.cur, r.best} {
		switch {
		case t == nil || t.run != res.Run:
		case k.all:
			return t.all
		default:
			return t.sample.List()
		}
	}
	return nil
}

// maxKeptParameters bounds the numbers that a run's outputs keep of its iterations: a
// fit's memory is known before it starts. 2^24 numbers are 128 MiB, and some 350 MB of
// JSON.
const maxKeptParameters = 1 << 24

// checkKept refuses, before anything is read, a run whose outputs would keep more than
// maxKeptParameters of its iterations: the JSON document of a million iterations of
// 65536 components, say. k is the components of the one fit, or the most a choice of
// them (--components=auto) tries. It sets p.keptBytes to the bytes they take.
func (p *plan) checkKept(k int) error {
	kp := newKept(p)
	if kp == nil || p.model != "" {
		return nil
	}
	models := min(p.iterations, figure.MaxSteps)
	if kp.all {
		models = p.iterations
	}
	if p.nInit > 1 && p.seeded {
		models *= 2 // the best run and the one under way
	}
	lo := k
	if p.choose {
		lo = p.kLo
	}
	m := gmm.Model{Dims: p.channel.Dims(), Covariance: p.covariance}
	weights := make([]float64, k) // a model's parameters depend on its K alone
	n := 0
	for c := lo; c <= k; c++ {
		m.Weights = weights[:c]
		if n += (m.NumParameters() + 1) * models; n > maxKeptParameters || n < 0 {
			what := "--visualization keeps a sample of the iterations' mixtures"
			if kp.all {
				what = "the report prints every iteration's mixture"
			}
			return usageError{fmt.Sprintf("%s: %d iterations of %d components keep more than %d numbers; ask for fewer --iterations or components", what, p.iterations, c, maxKeptParameters)}
		}
	}
	p.keptBytes = 8 * int64(n)
	return nil
}
