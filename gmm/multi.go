package gmm

import (
	"context"
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// MaxDims is the most features a sample may have: a bound on sizes, not the limit in
// practice, which is the memory a fit needs (see MaxStatsBytes), checked before it
// allocates.
const MaxDims = kernel.MaxDims

// isVariance reports whether Covariances[i] is a variance (on a covariance's diagonal)
// rather than a covariance of two features.
func (m *Model) isVariance(i int) bool {
	d := m.dims()
	switch m.Covariance {
	case Full:
		i %= d * d
	case Tied:
	default:
		return true
	}
	return i/d == i%d
}

// dims returns the number of features of m's samples.
func (m *Model) dims() int { return max(m.Dims, 1) }

// covarianceLen returns how many numbers the covariances of k components over d features
// hold for type c, in scikit-learn's covariances_ shapes.
func covarianceLen(c Covariance, k, d int) int {
	switch c {
	case Diag:
		return k * d
	case Spherical:
		return k
	case Tied:
		return d * d
	}
	return k * d * d
}

// CovarianceOf returns component k's covariance as a d x d matrix, row-major, whatever
// m's covariance type (a variance alone in one dimension); nil if m has no component k or
// not the covariances of its shape.
func (m *Model) CovarianceOf(k int) []float64 {
	if m == nil || k < 0 || k >= m.K() || len(m.Covariances) != covarianceLen(m.Covariance, m.K(), m.dims()) {
		return nil
	}
	d := m.dims()
	a := make([]float64, d*d)
	if d == 1 {
		a[0] = m.variance(k)
		return a
	}
	m.covariance(a, k)
	return a
}

// variance1 returns feature j's variance in component k of m, of Diag or Spherical type.
func (m *Model) variance1(k, j int) float64 {
	if m.Covariance == Spherical {
		return m.Covariances[k]
	}
	return m.Covariances[k*m.dims()+j]
}

// covariance returns component k's covariance as a d x d matrix in a.
func (m *Model) covariance(a []float64, k int) {
	d := m.dims()
	clear(a)
	switch m.Covariance {
	case Full:
		copy(a, m.Covariances[k*d*d:(k+1)*d*d])
	case Tied:
		copy(a, m.Covariances)
	case Diag:
		for j := range d {
			a[j*d+j] = m.Covariances[k*d+j]
		}
	case Spherical:
		for j := range d {
			a[j*d+j] = m.Covariances[k]
		}
	}
}

// validateMulti reports whether m, of Dims > 1, is a usable mixture: the shapes of its
// type, finite numbers, symmetric positive-definite covariances.
func (m *Model) validateMulti() error {
	k, d := len(m.Weights), m.Dims
	if d > MaxDims {
		return fmt.Errorf("gmm: %w: %d dimensions, at most %d are supported", ErrInvalidModel, d, MaxDims)
	}
	if len(m.Means) != k*d || len(m.Covariances) != covarianceLen(m.Covariance, k, d) {
		return fmt.Errorf("gmm: %w: %d means and %d covariances for %d components over %d features (%v): want %d and %d",
			ErrInvalidModel, len(m.Means), len(m.Covariances), k, d, m.Covariance, k*d, covarianceLen(m.Covariance, k, d))
	}
	for i, v := range m.Means {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("gmm: %w: mean %d of component %d is %v, want finite", ErrInvalidModel, i%d, i/d, v)
		}
	}
	if m.Covariance == Diag || m.Covariance == Spherical { // variances alone: no d x d matrix
		for i, v := range m.Covariances {
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("gmm: %w: variance %d is %v, want positive and finite", ErrInvalidModel, i, v)
			}
		}
		return nil
	}
	a, l := make([]float64, d*d), make([]float64, d*d)
	for c := range k {
		m.covariance(a, c)
		for i := range d {
			for j := i + 1; j < d; j++ {
				if x, y := a[i*d+j], a[j*d+i]; math.Abs(x-y) > 1e-12*(math.Abs(x)+math.Abs(y)) {
					return fmt.Errorf("gmm: %w: covariance of component %d is not symmetric (%v and %v)", ErrInvalidModel, c, x, y)
				}
			}
		}
		if ok, _ := cholesky(l, a, d, bound{}); !ok {
			return fmt.Errorf("gmm: %w: covariance of component %d is not positive definite", ErrInvalidModel, c)
		}
		if m.Covariance == Tied {
			break
		}
	}
	return nil
}

// multiWork is the scratch of the multichannel M-step and coefficients: d x d matrices,
// the floor's bound on each feature and a vector.
type multiWork struct {
	a, l                []float64
	least, floor, to, z []float64
}

func newMultiWork(d int) *multiWork {
	v := make([]float64, 4*d)
	return &multiWork{a: make([]float64, d*d), l: make([]float64, d*d), least: v[:d:d], floor: v[d : 2*d : 2*d], to: v[2*d : 3*d : 3*d], z: v[3*d:]}
}

// setMultiCoeffs sets c to m, a model whose covariances are positive definite, in the
// kernels' form: each precision's Cholesky factor and the constant of each log-joint.
func (m *Model) setMultiCoeffs(c *kernel.MultiCoeffs, w *multiWork) {
	d := m.dims()
	halfDLog2Pi := float64(d) / 2 * math.Log(2*math.Pi)
	copy(c.Mean, m.Means)
	var logDet float64
	for k := range m.Weights {
		if m.Covariance == Diag || m.Covariance == Spherical {
			// The factor of a diagonal covariance is diagonal: U_jj = 1/sqrt(v_j), the
			// operations a Cholesky factor and its inverse take on it, without the d^3 of
			// a matrix's.
			logDet = 0
			for j := range d {
				u := 1 / math.Sqrt(m.variance1(k, j))
				c.Prec[k*d*d+j*d+j] = u
				logDet += math.Log(u)
			}
		} else if k == 0 || m.Covariance != Tied {
			m.covariance(w.a, k)
			if ok, _ := cholesky(w.l, w.a, d, bound{}); !ok {
				// Validated models and M-steps under the floor never get here; a pivot
				// of the smallest normal keeps the coefficients finite if one does.
				floor := make([]float64, d)
				for j := range floor {
					floor[j] = 0x1p-1022
				}
				cholesky(w.l, w.a, d, bound{floor, floor})
			}
			logDet = precisionFactor(c.Prec[k*d*d:(k+1)*d*d], w.l, d)
		} else {
			copy(c.Prec[k*d*d:(k+1)*d*d], c.Prec[:d*d])
		}
		c.Const[k] = kernel.LogWeight(m.Weights[k]) + logDet - halfDLog2Pi
	}
}

// multiDim is the engine of mixtures over Dims > 1 features.
type multiDim[T float32 | float64] struct {
	d    *drive.Driver
	x    drive.Tiles[T]
	n    int
	w    []float64
	c    *kernel.MultiCoeffs
	s    *kernel.MultiStats
	work *multiWork
}

func newMultiDim[T float32 | float64](s *tiled[T], opt *Options, m *Model) *multiDim[T] {
	diag := opt.Covariance == Diag || opt.Covariance == Spherical
	return &multiDim[T]{d: s.dr, x: s.tiles, n: s.n, w: opt.weights, c: kernel.NewMultiCoeffs(m.K(), opt.Dims, diag),
		s: kernel.NewMultiStats(m.K(), opt.Dims), work: newMultiWork(opt.Dims)}
}

func (e *multiDim[T]) pass(m *Model, centre []float64) {
	m.setMultiCoeffs(e.c, e.work)
	e.c.Centre = centre
	drive.MultiEStep(e.d, e.x, e.n, e.w, e.c, e.s)
}

func (e *multiDim[T]) logLik() float64 { return e.s.LogLik }

func (e *multiDim[T]) moments() *kernel.MultiStats { return e.s }

func (e *multiDim[T]) kernels() (Kernel, int) { return Kernel(e.d.Kernels().Name), e.d.Threads() }

func (e *multiDim[T]) statistics(s *Stats) {
	copy(s.n, e.s.N)
	copy(s.first, e.s.S)
	copy(s.second, e.s.Q)
	s.ll = e.s.LogLik
}

func (e *multiDim[T]) mStep(m *Model, centre []float64, r *rules) error {
	return mStepMulti(m, centre, e.s, r, e.work)
}

// mStepMulti sets m, of Dims > 1, to the maximum-likelihood mixture given the statistics
// s, their moments about centre (K x Dims), scikit-learn's M-step for m's covariance type,
// with the rules r (reg_covar, the floor and the split rule of Fit). Only the diagonals
// of the second moments are read for diagonal and spherical types.
func mStepMulti(m *Model, centre []float64, s *kernel.MultiStats, r *rules, w *multiWork) error {
	d, k := m.Dims, m.K()
	diag := m.Covariance == Diag || m.Covariance == Spherical
	total := weightOf(s.N)
	// Weights and means, and each component's scatter around its new mean in place of
	// its second moments (upper triangle, or diagonal for diagonal coefficients).
	scatter := s.Q
	for j := range k {
		n := s.N[j]
		m.Weights[j] = n / total
		if !(m.Weights[j] > 0) {
			m.Weights[j] = 0
			continue
		}
		for a := range d {
			shift := s.S[j*d+a] / n
			m.Means[j*d+a] = centre[j*d+a] + shift
			for b := a; b < d; b++ {
				if diag && b != a {
					continue
				}
				q := &scatter[(j*d+a)*d+b]
				*q = *q/n - shift*s.S[j*d+b]/n
			}
		}
		if !finite(m.Means[j*d : (j+1)*d]) {
			m.Weights[j] = 0
		}
	}
	featureFloors(w.floor, m, scatter, r.dataVar)
	setCovariances(m, scatter, s, r, w)
	return r.finish(m, func(from, to int) { splitMulti(m, from, to, r.bound(w, m, from), w) })
}

// finite reports whether every v is finite.
func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// featureFloors sets floor to the variance of each feature that the floor gives: 1e-6 of
// the data's variance of that feature (dataVar's if set, else from the weights, means and
// scatters, the law of total variance), as in one dimension.
func featureFloors(floor []float64, m *Model, scatter, dataVar []float64) {
	d := len(floor)
	for a := range d {
		mean := 0.0
		for j, wt := range m.Weights {
			mean += float64(wt * m.Means[j*d+a])
		}
		variance := 0.0
		for j, wt := range m.Weights {
			if wt > 0 {
				dm := m.Means[j*d+a] - mean
				variance += float64(wt * (scatter[(j*d+a)*d+a] + float64(dm*dm)))
			}
		}
		if dataVar != nil {
			variance = dataVar[a]
		}
		floor[a] = varianceFloor(variance, mean)
	}
}

// setCovariances sets m's covariances from the components' scatters: for Full, each
// scatter; Diag, its diagonal; Spherical, the diagonal's mean; Tied, the scatters pooled
// by weight; r.minVar added to each variance, and the floor w.floor applied where r says
// (for Full and Tied to the conditional variances, through the Cholesky factor: see
// cholesky). It tells r how far each component's mean moved from the centre of the
// moments s, in units of its new covariance.
func setCovariances(m *Model, scatter []float64, s *kernel.MultiStats, r *rules, w *multiWork) {
	d := m.Dims
	if m.Covariance == Tied {
		clear(w.a)
		for j, wt := range m.Weights {
			if wt > 0 {
				for i, v := range scatter[j*d*d : (j+1)*d*d] {
					w.a[i] += float64(wt * v)
				}
			}
		}
		if floored(w, r.minVar, r.bound(w, m, -1), d) {
			r.floored = append(r.floored, 0)
		}
		copy(m.Covariances, w.a)
		for j, wt := range m.Weights {
			if wt > 0 {
				r.moved(1 + w.distance(s, j))
			}
		}
		return
	}
	for j, wt := range m.Weights {
		if wt == 0 {
			continue
		}
		sc := scatter[j*d*d : (j+1)*d*d]
		raised, lost := false, 1.0
		switch m.Covariance {
		case Full:
			copy(w.a, sc)
			raised = floored(w, r.minVar, r.bound(w, m, j), d)
			copy(m.Covariances[j*d*d:(j+1)*d*d], w.a)
			lost += w.distance(s, j)
		case Diag:
			b := r.bound(w, m, j)
			for a := range d {
				v := sc[a*d+a] + r.minVar
				if !(v >= b.below[a]) {
					v, raised = b.to[a], true
				}
				m.Covariances[j*d+a] = v
				shift := s.S[j*d+a] / s.N[j]
				lost += float64(shift*shift) / v
			}
		case Spherical:
			b := r.bound(w, m, j)
			v, below, f := 0.0, 0.0, 0.0
			for a := range d {
				v += sc[a*d+a] + r.minVar
				below += b.below[a]
				f += b.to[a]
			}
			if v /= float64(d); !(v >= below/float64(d)) {
				v, raised = f/float64(d), true
			}
			m.Covariances[j] = v
			for a := range d {
				shift := s.S[j*d+a] / s.N[j]
				lost += float64(shift*shift) / v
			}
		}
		if raised {
			r.floored = append(r.floored, j)
		}
		r.moved(lost)
	}
}

// distance returns the squared length of the shift of component j's mean from the centre
// of the moments s in units of the covariance whose Cholesky factor w.l holds: |L^-1 delta|^2.
func (w *multiWork) distance(s *kernel.MultiStats, j int) float64 {
	d := len(w.least)
	n, delta := s.N[j], s.S[j*d:(j+1)*d]
	sum := 0.0
	for a := range d {
		t := delta[a] / n
		for b := range a {
			t -= w.l[a*d+b] * w.z[b]
		}
		w.z[a] = t / w.l[a*d+a]
		sum += float64(w.z[a] * w.z[a])
	}
	return sum
}

// floored adds minVar to the diagonal of the matrix in w.a (upper triangle read), bounds
// its conditional variances by b and makes it symmetric. It reports whether b raised one.
func floored(w *multiWork, minVar float64, b bound, d int) bool {
	for a := range d {
		w.a[a*d+a] += minVar
	}
	_, raised := cholesky(w.l, w.a, d, b)
	symmetrise(w.a, d)
	return raised
}

// splitMulti starts component to of m again from component from, split along its
// principal axis: half its weight each, means half a standard deviation along the axis
// either side, and for Full the covariance less a quarter of the axis' variance along
// it, which keeps the pair's mean and covariance (then floored). Diagonal, spherical and
// tied covariances are kept.
func splitMulti(m *Model, from, to int, b bound, w *multiWork) {
	d := m.Dims
	m.covariance(w.a, from)
	lambda, axis := principalAxis(w.a, d)
	half := math.Sqrt(max(lambda, 0)) / 2
	m.Weights[from] /= 2
	m.Weights[to] = m.Weights[from]
	for a := range d {
		mu := m.Means[from*d+a]
		m.Means[from*d+a], m.Means[to*d+a] = mu-half*axis[a], mu+half*axis[a]
	}
	switch m.Covariance {
	case Full:
		for a := range d {
			for b := range d {
				w.a[a*d+b] -= float64(lambda / 4 * axis[a] * axis[b])
			}
		}
		floored(w, 0, b, d)
		copy(m.Covariances[from*d*d:(from+1)*d*d], w.a)
		copy(m.Covariances[to*d*d:(to+1)*d*d], w.a)
	case Diag:
		copy(m.Covariances[to*d:(to+1)*d], m.Covariances[from*d:(from+1)*d])
	case Spherical:
		m.Covariances[to] = m.Covariances[from]
	}
}

// spread is component k's weight times its total variance (the trace of its covariance):
// the widest component is split into one left without weight.
func (m *Model) spread(k int) float64 {
	d := m.dims()
	if d == 1 {
		return m.Weights[k] * m.variance(k)
	}
	t := 0.0
	switch m.Covariance {
	case Full:
		for a := range d {
			t += m.Covariances[k*d*d+a*d+a]
		}
	case Tied:
		for a := range d {
			t += m.Covariances[a*d+a]
		}
	case Diag:
		for a := range d {
			t += m.Covariances[k*d+a]
		}
	case Spherical:
		t = float64(d) * m.Covariances[k]
	}
	return m.Weights[k] * t
}

// asMulti returns m, a valid model of Dims > 1, with covariances of type c: each
// component's covariance as a matrix, then its diagonal (Diag), the diagonal's mean
// (Spherical), or the matrices pooled by weight (Tied).
func (m *Model) asMulti(c Covariance) Model {
	k, d := m.K(), m.Dims
	out := Model{Dims: d, Covariance: c, Weights: append([]float64(nil), m.Weights...),
		Means: append([]float64(nil), m.Means...), Covariances: make([]float64, covarianceLen(c, k, d))}
	a := make([]float64, d*d)
	total := 0.0
	for _, w := range m.Weights {
		total += w
	}
	for j := range k {
		m.covariance(a, j)
		switch c {
		case Full:
			copy(out.Covariances[j*d*d:], a)
		case Tied:
			for i, v := range a {
				out.Covariances[i] += float64(m.Weights[j] / total * v)
			}
		case Diag:
			for b := range d {
				out.Covariances[j*d+b] = a[b*d+b]
			}
		case Spherical:
			for b := range d {
				out.Covariances[j] += a[b*d+b] / float64(d)
			}
		}
	}
	return out
}

// MaxStatsBytes bounds the memory of a multichannel pass's statistics and coefficients,
// K (1 + d + d^2) numbers each: the pass's own, its coefficients, and those of a window of
// tiles, which are added in tile order for the same bits at any thread count (two a
// worker); with each worker's copy of the precision factors (K d^2 numbers at most: the
// Go kernels' packed columns, the float32 lanes' factors). A pass that would need more is
// an error before it allocates them.
const MaxStatsBytes = 1 << 30

// checkStatsMemory refuses a pass over n samples of dims features with k components on d
// whose statistics and coefficients would pass MaxStatsBytes.
func checkStatsMemory(d *drive.Driver, n, k, dims int) error {
	if dims <= 1 {
		return nil
	}
	b := d.MultiPartialsBytes(n, k, dims) + int64(d.Threads())*int64(k)*int64(dims)*int64(dims)*8
	if per := int64(kernel.MultiStatsSize(k, dims)) * 8; per > MaxStatsBytes || b+2*per > MaxStatsBytes {
		return fmt.Errorf("gmm: %w: %d components over %d features need %d MiB of statistics and coefficients for %d samples, above %d MiB",
			ErrInvalidOptions, k, dims, (b+2*per)>>20, n, MaxStatsBytes>>20)
	}
	return nil
}

// multiPrepared returns m, a checked model of Dims > 1, in the kernels' form, once the
// samples s are checked (one pass over them). The multichannel kernels compute in float64
// whatever T.
func multiPrepared[T float32 | float64](m *Model, s *samples[T]) (*kernel.MultiCoeffs, error) {
	if _, _, err := s.valueRange(); err != nil {
		return nil, err
	}
	c := kernel.NewMultiCoeffs(m.K(), m.Dims, m.Covariance == Diag || m.Covariance == Spherical)
	m.setMultiCoeffs(c, newMultiWork(m.Dims))
	return c, nil
}

// multiScores returns the log-density of every sample of s under m, a checked model of
// Dims > 1, or with resp the responsibilities' rows, on e's workers.
func multiScores[T float32 | float64](ctx context.Context, m *Model, s *samples[T], e Exec, resp bool) ([]float64, error) {
	c, err := multiPrepared(m, s)
	if err != nil {
		return nil, err
	}
	n := s.n
	score := make([]float64, n)
	var rows []float64
	if resp {
		rows = make([]float64, n*m.K())
	}
	err = e.run(ctx, func(d *drive.Driver) error {
		drive.MultiScores(d, score, rows, s.tiles(d), c)
		return stopped(ctx)
	})
	switch {
	case err != nil:
		return nil, err
	case resp:
		return rows, nil
	}
	return score, nil
}
