package gmm

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Summary is what a fit over shards learns of its samples in a first pass: their number
// of features, how many there are, their total weight and the range of their values.
// The Summaries of two shards merge into that of their union, and NewEM starts from the
// whole collection's. Its fields are exported so that any encoder ships it exactly.
type Summary struct {
	// Dims is the number of features of each sample, at least 1.
	Dims int
	// Samples is how many samples, and Weight the sum of their weights (Samples without
	// weights); Weighted says that some shard had weights.
	Samples  int
	Weight   float64
	Weighted bool
	// Min and Max bound every value of every feature.
	Min, Max float64
	// Float32 says that some shard's samples are float32: the variance floor then keeps
	// every variance within what the float32 kernels take (see Fit).
	Float32 bool
}

// Summarize returns the Summary of the samples x (any form Fit takes, a Weighted for
// weights), of dims features each where x does not say (0 means 1): it refuses what Fit
// refuses, a NaN or infinite value or a bad weight. A shard may be empty.
func Summarize(x any, dims int) (Summary, error) {
	in, err := inputOf(x, dims)
	if err != nil {
		return Summary{}, err
	}
	return in.summarize()
}

// summarize is Summarize of the samples.
func (in *data[T]) summarize() (Summary, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	if in.s.n > 0 {
		var err error
		if lo, hi, err = in.s.valueRange(); err != nil {
			return Summary{}, err
		}
	}
	weight, err := in.weight()
	if err != nil {
		return Summary{}, err
	}
	return Summary{Dims: in.s.d, Samples: in.s.n, Weight: weight, Weighted: in.w != nil, Min: lo, Max: hi, Float32: !is64[T]()}, nil
}

// Merge returns the Summary of the union of the shards that s and o summarise. The zero
// Summary is the summary of no shard: merged with another, it gives that one.
func (s Summary) Merge(o Summary) (Summary, error) {
	switch {
	case o.Samples == 0:
		return s, nil
	case s.Samples == 0:
		return o, nil
	case s.Dims != o.Dims:
		return Summary{}, fmt.Errorf("gmm: %w: shards of %d and %d features", ErrInvalidData, s.Dims, o.Dims)
	}
	return Summary{Dims: s.Dims, Samples: s.Samples + o.Samples, Weight: s.Weight + o.Weight,
		Weighted: s.Weighted || o.Weighted, Min: min(s.Min, o.Min), Max: max(s.Max, o.Max),
		Float32: s.Float32 || o.Float32}, nil
}

// dataset returns what Fit would know of the samples s summarises, once checked.
func (s Summary) dataset() (dataset, error) {
	switch {
	case s.Samples <= 0 || s.Dims < 1 || s.Dims > MaxDims:
		return dataset{}, fmt.Errorf("gmm: %w: a summary of %d samples of %d features", ErrInvalidData, s.Samples, s.Dims)
	case !(s.Min <= s.Max) || math.IsInf(s.Min, 0) || math.IsInf(s.Max, 0):
		return dataset{}, fmt.Errorf("gmm: %w: a summary's range [%v, %v]", ErrInvalidData, s.Min, s.Max)
	case !(s.Weight > 0) || math.IsInf(s.Weight, 0):
		return dataset{}, fmt.Errorf("gmm: %w: the weights sum to %v", ErrInvalidData, s.Weight)
	}
	return dataset{n: s.Samples, total: s.Weight, frame: frameOf(s.Min, s.Max), single: s.Float32}, nil
}

// NewEM returns the EM of opt over the samples that summary describes, to be driven
// through Params, EStep and Update. It starts from opt.InitModel, InitWeights, InitMeans
// and InitPrecisions together or, for one-dimensional samples, InitEvenlySpaced (with any
// of those parts): the starts that read no samples. The weights go with each shard to
// EStep (a Weighted); opt.Exec, Seed and NInit play no part.
func NewEM(opt Options, summary Summary) (*EM, error) {
	opt = opt.withDefaults()
	data, err := summary.dataset()
	switch {
	case err != nil:
		return nil, err
	case max(opt.Dims, 1) != summary.Dims:
		return nil, fmt.Errorf("gmm: %w: Dims is %d, the samples have %d features", ErrInvalidOptions, opt.Dims, summary.Dims)
	}
	if err := opt.check(data.n, summary.Weighted); err != nil {
		return nil, err
	}
	start, ok, err := givenStart(&opt, data.frame)
	switch {
	case err != nil:
		return nil, err
	case !ok && (opt.Dims > 1 || opt.Init != InitEvenlySpaced):
		return nil, fmt.Errorf("gmm: %w: a fit over shards starts from InitModel, InitWeights, InitMeans and InitPrecisions together or, in one dimension, from InitEvenlySpaced", ErrInvalidOptions)
	case !ok:
		even := evenlySpaced(opt.Components)
		start = even.as(opt.Covariance)
		if opt.parts() {
			if start, err = withParts(&opt, data.frame, start); err != nil {
				return nil, err
			}
		}
	}
	return newEM(&opt, start, data, 0), nil
}

// Done reports whether the run has ended: MaxIter iterations, convergence (Options.Tol)
// or an error from Update. A nil EM is done.
func (e *EM) Done() bool { return e == nil || e.done }

// Result returns the run's result so far: what Fit returns once Done. Its Kernel and
// Threads are empty, the passes having run elsewhere. A nil EM has none.
func (e *EM) Result() *Result {
	if e == nil {
		return nil
	}
	return e.res
}

// Params returns what every shard's EStep of the next pass takes: the current model, in
// the frame the fit runs in, the centres of the moments where the pass is one run again
// (see Fit), and the pass's number (nil for a nil EM).
func (e *EM) Params() *Params {
	if e == nil {
		return nil
	}
	return &Params{model: e.model.Clone(), centre: slices.Clone(e.centre), frame: e.data.frame, pass: e.passes}
}

// Update takes in the pass made under Params: the statistics of every sample, merged.
// It records the iteration that the pass ends (or the start's log-likelihood) and runs
// the next M-step, as Fit does. Statistics of another pass or shape, that cover another
// number of samples than the Summary, or with a NaN sum (no pass over finite samples gives
// one), are an error that leaves the run as it was.
func (e *EM) Update(s *Stats) error {
	if e == nil || s == nil {
		return fmt.Errorf("gmm: %w: Update of a nil EM, or with nil statistics", ErrInvalidData)
	}
	k, d := e.model.K(), e.model.dims()
	switch {
	case e.done:
		return fmt.Errorf("gmm: %w: Update after the run ended", ErrInvalidData)
	case s.pass != e.passes:
		return fmt.Errorf("gmm: %w: statistics of pass %d, want pass %d", ErrInvalidData, s.pass, e.passes)
	case s.samples != e.data.n:
		return fmt.Errorf("gmm: %w: statistics of %d samples, the summary has %d", ErrInvalidData, s.samples, e.data.n)
	case s.k != k || s.d != d:
		return fmt.Errorf("gmm: %w: statistics of %d components over %d features, want %d over %d", ErrInvalidData, s.k, s.d, k, d)
	case slices.ContainsFunc(s.n, isNaN) || slices.ContainsFunc(s.first, isNaN) || slices.ContainsFunc(s.second, isNaN):
		return fmt.Errorf("gmm: %w: statistics with a NaN sum", ErrInvalidData)
	}
	return e.update(s)
}

func isNaN(v float64) bool { return math.IsNaN(v) }

// Params are the parameters of one pass of an EM over shards: the model in the frame the
// fit runs in (see Fit), the centres of the moments (nil: the model's means) and the
// pass's number. MarshalBinary encodes them for shipping to the shards.
type Params struct {
	model  Model
	centre []float64
	frame  frame
	pass   int
}

// Model returns the model the pass runs under, in the data's units (the zero Model for
// nil Params).
func (p *Params) Model() Model {
	if p == nil {
		return Model{}
	}
	m := p.model.Clone()
	p.frame.modelOut(&m)
	return m
}

// Stats are the sufficient statistics of a pass over a shard under Params: per component
// the sum of the responsibilities, and the sums of the first and second moments of the
// samples around the component's mean, in float64 whatever the samples' precision;
// with the shard's log-likelihood, its number of samples and the pass's number. The
// Stats of two shards under the same Params merge into those of their union.
type Stats struct {
	k, d, pass, samples int
	// n, first and second are kernel.Stats' N, D and B for one feature, and
	// kernel.MultiStats' N, S and Q for more.
	n, first, second []float64
	ll               float64
}

// newStats returns zero statistics of k components over d features for pass.
func newStats(k, d, pass int) *Stats {
	return &Stats{k: k, d: d, pass: pass, n: make([]float64, k), first: make([]float64, k*d), second: make([]float64, k*d*d)}
}

// LogLikelihood returns the total log-likelihood of the shard's samples under the
// pass's model, in the frame the fit runs in (0 for nil Stats).
func (s *Stats) LogLikelihood() float64 {
	if s == nil {
		return 0
	}
	return s.ll
}

// Samples returns how many samples the statistics cover (0 for nil Stats).
func (s *Stats) Samples() int {
	if s == nil {
		return 0
	}
	return s.samples
}

// Merge adds o, the statistics of another shard under the same Params, to s: the sums
// are added, so that merging is associative and commutative up to rounding. Merging nil
// Stats, or into them, is an error.
func (s *Stats) Merge(o *Stats) error {
	if s == nil || o == nil {
		return fmt.Errorf("gmm: %w: merging nil statistics", ErrInvalidData)
	}
	if s.k != o.k || s.d != o.d || s.pass != o.pass {
		return fmt.Errorf("gmm: %w: merging statistics of pass %d (%d components over %d features) with pass %d (%d over %d)",
			ErrInvalidData, s.pass, s.k, s.d, o.pass, o.k, o.d)
	}
	sum := s.kernelStats()
	sum.Add(o.kernelStats())
	s.ll = sum.LogLik
	s.samples += o.samples
	return nil
}

// kernelStats returns s as the multichannel kernels' statistics (for one feature too:
// the same sums, laid out alike), sharing its numbers.
func (s *Stats) kernelStats() *kernel.MultiStats {
	return &kernel.MultiStats{N: s.n, S: s.first, Q: s.second, LogLik: s.ll}
}

func (s *Stats) logLik() float64 { return s.ll }

func (s *Stats) moments() *kernel.MultiStats { return s.kernelStats() }

// mStep is the M-step of the statistics s, gathered under m, their moments about centre.
func (s *Stats) mStep(m *Model, centre []float64, r *rules) error {
	if s.d == 1 {
		return mStep(m, centre, &kernel.Stats{N: s.n, D: s.first, B: s.second, LogLik: s.ll}, r)
	}
	// The multichannel M-step turns the second moments into scatter in place: on a copy.
	ms := s.kernelStats()
	ms.Q = slices.Clone(ms.Q)
	return mStepMulti(m, centre, ms, r, newMultiWork(s.d))
}

// EStep returns the statistics of the shard x (samples of the model's features in any
// form Fit takes, a Weighted for weights) under p, computed on e's workers with the
// kernels Fit runs. It refuses what Fit refuses (and Params that hold no valid model, nil
// ones among them), and stops within a tile of ctx's cancellation with an error that
// wraps ctx.Err() and no statistics. An empty shard gives zero statistics.
func EStep(ctx context.Context, p *Params, x any, e Exec) (*Stats, error) {
	if p == nil {
		return nil, fmt.Errorf("gmm: %w: EStep under nil Params", ErrInvalidModel)
	}
	if err := p.model.Validate(); err != nil {
		return nil, err
	}
	in, err := inputOf(x, p.model.dims())
	if err != nil {
		return nil, err
	}
	return in.estep(ctx, p, e)
}

// estep is EStep of the samples under p, which holds a valid model of their features.
func (in *data[T]) estep(ctx context.Context, p *Params, e Exec) (*Stats, error) {
	n, d := in.s.n, in.s.d
	out := newStats(p.model.K(), d, p.pass)
	if n == 0 {
		return out, nil
	}
	x := in.s.held()
	if _, _, err := checkFinite(x, 0); err != nil {
		return nil, err
	}
	if _, err := in.weight(); err != nil {
		return nil, err
	}
	s := rowSamples(samplesIn(p.frame, x), d)
	opt := Options{Dims: d, Covariance: p.model.Covariance, weights: in.w}
	err := e.run(ctx, func(dr *drive.Driver) error {
		if err := checkStatsMemory(dr, n, out.k, d); err != nil {
			return err
		}
		m := p.model
		eng := newEngine(s.onDriver(dr), &opt, &m)
		eng.pass(&m, p.centre)
		if err := stopped(ctx); err != nil {
			return err
		}
		eng.statistics(out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.samples = n
	return out, nil
}
