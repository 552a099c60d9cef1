package gmm

import (
	"math"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// An engine runs the passes and M-steps of one kind of mixture over its samples.
type engine interface {
	// pass sets the statistics to those of an E-step under m, with m's log-likelihood,
	// the moments about centre (K x Dims; nil: m's means).
	pass(m *Model, centre []float64)
	gathered
	kernels() (name Kernel, threads int)
	// statistics copies the pass's statistics into s, of the same shape.
	statistics(s *Stats)
}

// oneDim is the engine of one-dimensional mixtures.
type oneDim[T float32 | float64] struct {
	d    *drive.Driver
	x    []T
	w    []float64
	c    *kernel.Coeffs
	s    *kernel.Stats
	view kernel.MultiStats // s as the multichannel kernels lay it out
}

func (e *oneDim[T]) pass(m *Model, centre []float64) {
	m.setCoeffs(e.c)
	e.c.Centre = centre
	drive.EStep(e.d, e.x, e.w, e.c, e.s)
}

func (e *oneDim[T]) logLik() float64 { return e.s.LogLik }

func (e *oneDim[T]) moments() *kernel.MultiStats {
	e.view = kernel.MultiStats{N: e.s.N, S: e.s.D, Q: e.s.B, LogLik: e.s.LogLik}
	return &e.view
}

func (e *oneDim[T]) mStep(m *Model, centre []float64, r *rules) error {
	return mStep(m, centre, e.s, r)
}

func (e *oneDim[T]) kernels() (Kernel, int) { return Kernel(e.d.Kernels().Name), e.d.Threads() }

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
	return &oneDim[T]{d: s.dr, x: s.held(), w: opt.weights, c: m.coeffs(), s: kernel.NewStats(m.K())}
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
