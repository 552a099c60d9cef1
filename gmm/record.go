package gmm

// Record keeps the steps of a fit, each with a copy of its model: set Options.Progress to
// a Record's Add. It is the opt-in to every iteration's model, which a Result does not
// keep (Result.History holds the log-likelihoods): a fit of a million iterations of K
// components would otherwise hold a million models of 3K numbers or more.
type Record struct {
	// Steps are the steps Progress reported, runs' starts (Iter -1) included, in order.
	Steps []Step
}

// Add keeps s with a copy of its model.
func (r *Record) Add(s Step) {
	s.Model = s.Model.Clone()
	r.Steps = append(r.Steps, s)
}

// Run returns the iterations of run r (see Options.NInit; Result.Run is the run a fit
// kept), in order, without its start: what Result.History holds the log-likelihoods of.
func (r *Record) Run(run int) []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Run == run && s.Iter >= 0 {
			out = append(out, s)
		}
	}
	return out
}
