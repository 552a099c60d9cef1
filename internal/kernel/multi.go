package kernel

import (
	"math"
	"sync"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// The multichannel kernels: samples of D features, row-major (x[n*D+j]), and components
// whose precision (inverse covariance) is U U^T for an upper-triangular U, scikit-learn's
// precisions_cholesky_. The log-joint of component k is
//
//	P_k(x) = Const[k] - |U_k^T (x - mu_k)|^2 / 2
//
// with Const[k] = log w_k + sum_j log (U_k)_jj - D/2 log(2 pi): no inverse and no
// determinant is ever formed.

// MaxDims is the most features a sample of the multichannel kernels may have: a bound on
// sizes read from untrusted forms; the memory a pass needs (K d^2 numbers for the
// coefficients and statistics) is the limit in practice, and callers check it first.
const MaxDims = 1 << 16

// multiBlock is how many registers of samples a block of the SIMD kernels holds: the
// sweeps' limit (float32 sums of a block stay within 32 terms a lane, and the products of
// S within 2^512).
const multiBlock = 32

// MultiCoeffs is a K-component mixture over D features in the form the multichannel
// kernels read.
type MultiCoeffs struct {
	D     int
	Const []float64 // K: log w_k + sum_j log (U_k)_jj - D/2 log(2 pi)
	Mean  []float64 // K x D
	// Prec holds each U_k, D x D row-major, upper-triangular (below the diagonal unread).
	Prec []float64
	// Diag says that every U_k is diagonal: only (U_k)_jj is read, and the statistics keep
	// only the diagonal of the second moments.
	Diag bool
	// Centre holds the origins of the moments (see MultiStats), K x D; nil means Mean.
	// float32 kernels compute x - c_k in float32, so a centre must be a float32 value for
	// them to use it exactly.
	Centre []float64
}

// K returns the number of components.
func (c *MultiCoeffs) K() int { return len(c.Const) }

// centre returns the origins of c's moments.
func (c *MultiCoeffs) centre() []float64 {
	if c.Centre == nil {
		return c.Mean
	}
	return c.Centre
}

// NewMultiCoeffs returns zeroed coefficients of k components over d features.
func NewMultiCoeffs(k, d int, diag bool) *MultiCoeffs {
	return &MultiCoeffs{D: d, Const: make([]float64, k), Mean: make([]float64, k*d), Prec: make([]float64, k*d*d), Diag: diag}
}

// MultiStats are the sufficient statistics of a multichannel E-step over samples x_n with
// weights c_n and responsibilities r_nk, shifted by each component's centre c_k (the
// coefficients' Centre; see Stats for why and for when to centre again):
//
//	N[k] = sum_n c_n r_nk
//	S[k*D+j] = sum_n c_n r_nk (x_nj - c_kj)
//	Q[(k*D+j)*D+l] = sum_n c_n r_nk (x_nj - c_kj)(x_nl - c_kl), for j <= l (j == l only
//	  for diagonal coefficients); the rest stays 0
//	LogLik = sum_n c_n log p(x_n)
type MultiStats struct {
	N, S, Q []float64
	LogLik  float64
}

// MultiStatsSize is the number of float64s that statistics of k components over d
// features hold.
func MultiStatsSize(k, d int) int { return k * (1 + d + d*d) }

// NewMultiStats returns zeroed statistics of k components over d features.
func NewMultiStats(k, d int) *MultiStats {
	s := multiStatsIn(make([]float64, MultiStatsSize(k, d)), k, d)
	return &s
}

// multiStatsIn returns statistics kept in buf.
func multiStatsIn(buf []float64, k, d int) MultiStats {
	n, s := k, k*d
	return MultiStats{N: buf[:n:n], S: buf[n : n+s : n+s], Q: buf[n+s : MultiStatsSize(k, d) : MultiStatsSize(k, d)]}
}

// Reset zeroes s.
func (s *MultiStats) Reset() {
	clear(s.N)
	clear(s.S)
	clear(s.Q)
	s.LogLik = 0
}

// Add adds o to s.
func (s *MultiStats) Add(o *MultiStats) {
	for i, v := range o.N {
		s.N[i] += v
	}
	for i, v := range o.S {
		s.S[i] += v
	}
	for i, v := range o.Q {
		s.Q[i] += v
	}
	s.LogLik += o.LogLik
}

// Scratch is one worker's working memory for the kernels: a driver keeps one per worker,
// so that its passes allocate nothing once each has seen data of that shape.
type Scratch struct {
	chunk expChunk     // the Go E-steps'
	multi multiScratch // the multichannel Go kernels'
	// The CPU-specific kernels' own frames, by kind and precision (see slotOf).
	estep, expSum, multiFrame, blocked [2]any
}

// slotOf returns the slot of slots for precision T.
func slotOf[T Float](slots *[2]any) *any {
	if is64[T]() {
		return &slots[0]
	}
	return &slots[1]
}

// frameIn returns the frame of type F in the slot for T of sc (a new one for nil sc),
// made the first time.
func frameIn[T Float, F any](sc *Scratch, slots func(*Scratch) *[2]any) *F {
	if sc == nil {
		return new(F)
	}
	slot := slotOf[T](slots(sc))
	f, _ := (*slot).(*F)
	if f == nil {
		f = new(F)
		*slot = f
	}
	return f
}

// multiScratch is the working memory of the multichannel Go kernels.
type multiScratch struct {
	p      []float64 // 4 x K log-joints
	diff   []float64 // 4 x D: x - mu_k
	xs     []float64 // 4 x D: the samples in float64
	joints []float64 // K planes of a tile's log-joints (Set.MultiJoints)
}

// goScratch returns sc's memory for the Go kernels (new memory for nil sc), sized for c.
func goScratch(sc *Scratch, c *MultiCoeffs) *multiScratch {
	if sc == nil {
		sc = new(Scratch)
	}
	m := &sc.multi
	m.p, m.diff, m.xs = grow(m.p, goLanes*c.K()), grow(m.diff, goLanes*c.D), grow(m.xs, goLanes*c.D)
	return m
}

// grow returns s resized to n elements, reusing its memory when it is large enough.
func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

// goLanes is how many samples the multichannel Go kernels take at a time.
const goLanes = 4

// multiLogJoints sets p[l][k*stride] = P_k(x[l]) for four samples x[l], D features each,
// and returns each one's max_k P_k and the lowest k where it is reached (-1 if every P_k
// is -Inf). Lanes may repeat a sample and its p. Each component's numbers are loaded once
// for the four, and the loops over features run once for them, where one sample's would
// spend as much on their ends and indices as on their work; each sample's operations are
// those of one sample alone, in the same order. diff holds 4 D values.
func multiLogJoints(p *[goLanes][]float64, stride int, diff []float64, x *[goLanes][]float64, c *MultiCoeffs) (m [goLanes]float64, top [goLanes]int) {
	d := c.D
	x0, x1, x2, x3 := x[0][:d], x[1][:d], x[2][:d], x[3][:d]
	d0, d1, d2, d3 := diff[:d], diff[d:2*d], diff[2*d:3*d], diff[3*d:4*d]
	b0, b1, b2, b3 := uint64(negInf), uint64(negInf), uint64(negInf), uint64(negInf)
	t0, t1, t2, t3 := -1, -1, -1, -1
	for k := range c.K() {
		mu := c.Mean[k*d : (k+1)*d]
		u := c.Prec[k*d*d : (k+1)*d*d]
		var q0, q1, q2, q3 float64
		if c.Diag {
			for j := range d {
				ujj := u[j*d+j]
				y0, y1, y2, y3 := (x0[j]-mu[j])*ujj, (x1[j]-mu[j])*ujj, (x2[j]-mu[j])*ujj, (x3[j]-mu[j])*ujj
				q0, q1, q2, q3 = math.FMA(y0, y0, q0), math.FMA(y1, y1, q1), math.FMA(y2, y2, q2), math.FMA(y3, y3, q3)
			}
		} else {
			for j := range d {
				d0[j], d1[j], d2[j], d3[j] = x0[j]-mu[j], x1[j]-mu[j], x2[j]-mu[j], x3[j]-mu[j]
			}
			// y_j = sum_{i <= j} diff_i U_ij: column j of U above the diagonal. Two
			// columns at a time, eight sums, twice the chains the CPU overlaps; each sum
			// takes its terms in the same order as one column at a time would.
			j := 0
			for ; j+1 < d; j += 2 {
				var a0, a1, a2, a3, b0, b1, b2, b3 float64
				for i := 0; i <= j; i++ {
					ua, ub := u[i*d+j], u[i*d+j+1]
					a0, a1, a2, a3 = math.FMA(d0[i], ua, a0), math.FMA(d1[i], ua, a1), math.FMA(d2[i], ua, a2), math.FMA(d3[i], ua, a3)
					b0, b1, b2, b3 = math.FMA(d0[i], ub, b0), math.FMA(d1[i], ub, b1), math.FMA(d2[i], ub, b2), math.FMA(d3[i], ub, b3)
				}
				ub := u[(j+1)*d+j+1]
				b0, b1, b2, b3 = math.FMA(d0[j+1], ub, b0), math.FMA(d1[j+1], ub, b1), math.FMA(d2[j+1], ub, b2), math.FMA(d3[j+1], ub, b3)
				q0, q1, q2, q3 = math.FMA(a0, a0, q0), math.FMA(a1, a1, q1), math.FMA(a2, a2, q2), math.FMA(a3, a3, q3)
				q0, q1, q2, q3 = math.FMA(b0, b0, q0), math.FMA(b1, b1, q1), math.FMA(b2, b2, q2), math.FMA(b3, b3, q3)
			}
			for ; j < d; j++ {
				var y0, y1, y2, y3 float64
				for i := 0; i <= j; i++ {
					uij := u[i*d+j]
					y0, y1, y2, y3 = math.FMA(d0[i], uij, y0), math.FMA(d1[i], uij, y1), math.FMA(d2[i], uij, y2), math.FMA(d3[i], uij, y3)
				}
				q0, q1, q2, q3 = math.FMA(y0, y0, q0), math.FMA(y1, y1, q1), math.FMA(y2, y2, q2), math.FMA(y3, y3, q3)
			}
		}
		cn := c.Const[k]
		v0, v1, v2, v3 := logJointOf(cn, q0), logJointOf(cn, q1), logJointOf(cn, q2), logJointOf(cn, q3)
		p[0][k*stride], p[1][k*stride], p[2][k*stride], p[3][k*stride] = v0, v1, v2, v3
		b0, t0 = raise(b0, t0, v0, k)
		b1, t1 = raise(b1, t1, v1, k)
		b2, t2 = raise(b2, t2, v2, k)
		b3, t3 = raise(b3, t3, v3, k)
	}
	m = [goLanes]float64{math.Float64frombits(b0), math.Float64frombits(b1), math.Float64frombits(b2), math.Float64frombits(b3)}
	return m, [goLanes]int{t0, t1, t2, t3}
}

// logJointOf is the log-joint cnst - q/2, -Inf where q is NaN: x - mu overflowed and met
// a zero of U (Inf x 0), beyond reach.
func logJointOf(cnst, q float64) float64 {
	v := cnst - q/2
	if v != v {
		return math.Inf(-1)
	}
	return v
}

// fourSamples sets x to the samples i to i+3 of in, as float64 in sc's buffer, the last
// one below n repeated where they run past it, and returns how many are below n.
func fourSamples[T Float](sc *multiScratch, in []T, i, n int, x *[goLanes][]float64) int {
	d := len(sc.xs) / goLanes
	for l := range goLanes {
		if i+l < n {
			x[l] = sample(sc.xs[l*d:(l+1)*d], in, i+l)
		} else {
			x[l] = x[l-1]
		}
	}
	return min(goLanes, n-i)
}

// sample returns sample n of x, D features, as float64 in buf.
func sample[T Float](buf []float64, x []T, n int) []float64 {
	d := len(buf)
	for j, v := range x[n*d : (n+1)*d] {
		buf[j] = float64(v)
	}
	return buf
}

// MultiEStep adds the statistics of the samples x (weights w, nil for all ones) under c to
// s: log-joints, their running maximum, the stable exp-sum, the responsibilities and the
// shifted moments in one pass, all in float64, with no per-sample storage beyond K
// numbers. Samples beyond every component (every P_k -Inf) give log p = -Inf, as the
// one-dimensional kernels do.
func MultiEStep[T Float](x []T, w []float64, c *MultiCoeffs, s *MultiStats) {
	multiEStepIn(x, w, c, s, nil)
}

// multiEStepIn is MultiEStep in a worker's scratch, a chunk of samples at a time (see
// expChunk).
func multiEStepIn[T Float](x []T, w []float64, c *MultiCoeffs, s *MultiStats, scratch *Scratch) {
	if scratch == nil {
		scratch = new(Scratch)
	}
	d, k := c.D, c.K()
	sc, ch := goScratch(scratch, c), chunkFor(scratch, k, MultiStatsSize(k, d))
	block := multiStatsIn(ch.stats, k, d)
	n, step := len(x)/d, chunkLen(k)
	for lo := 0; lo < n; lo += eStepBlock {
		block.Reset()
		for first := lo; first < min(lo+eStepBlock, n); first += step {
			last := min(first+step, lo+eStepBlock, n)
			// Each sample is converted twice, for its log-joints and its moments: into a
			// buffer of four samples that stays in L1 (one sample's, which measured 2-3%
			// faster than converting a chunk's samples once into an array of them).
			for i := first; i < last; i += goLanes {
				var xs [goLanes][]float64
				in := fourSamples(sc, x, i, last, &xs)
				p := ch.columns(i-first, last-first)
				m, top := multiLogJoints(&p, ch.stride, sc.diff, &xs, c)
				copy(ch.max[i-first:i-first+in], m[:in])
				copy(ch.top[i-first:i-first+in], top[:in])
			}
			ch.expSums(last-first, weightsOf(w, first, last))
			block.LogLik = ch.addLogLik(block.LogLik, last-first, weightsOf(w, first, last))
			for i := first; i < last; i += goLanes {
				var xs [goLanes][]float64
				var scale [goLanes]float64 // 0 past the chunk's end: those lanes add nothing
				in := fourSamples(sc, x, i, last, &xs)
				copy(scale[:in], ch.scale[i-first:])
				e := ch.columns(i-first, last-first)
				fourMoments(&xs, &e, ch.stride, &scale, c, sc, &block)
			}
		}
		s.Add(&block)
	}
}

// fourMoments adds the moments about c's centres of four samples xs[l], whose exp(P_k - max) are
// e[l][k*stride] and whose responsibilities are those times scale[l], to s. A sample adds
// nothing to a component where its responsibility is 0. Each sum takes the four samples
// in order, as one sample at a time would add them, but is loaded and stored once for the
// four, and the loops over features run once for them. Products that a sum takes are
// rounded on their own, as in eStepSums.
func fourMoments(xs, e *[goLanes][]float64, stride int, scale *[goLanes]float64, c *MultiCoeffs, sc *multiScratch, s *MultiStats) {
	d := c.D
	x0, x1, x2, x3 := xs[0][:d], xs[1][:d], xs[2][:d], xs[3][:d]
	d0, d1, d2, d3 := sc.diff[:d], sc.diff[d:2*d], sc.diff[2*d:3*d], sc.diff[3*d:4*d]
	for k := range c.K() {
		r0, r1 := float64(e[0][k*stride]*scale[0]), float64(e[1][k*stride]*scale[1])
		r2, r3 := float64(e[2][k*stride]*scale[2]), float64(e[3][k*stride]*scale[3])
		if r0 == 0 && r1 == 0 && r2 == 0 && r3 == 0 {
			continue
		}
		s.N[k] = addIf(addIf(addIf(addIf(s.N[k], r0, r0), r1, r1), r2, r2), r3, r3)
		mu := c.centre()[k*d : (k+1)*d]
		sk := s.S[k*d : (k+1)*d]
		q := s.Q[k*d*d : (k+1)*d*d]
		for j := range d {
			d0[j], d1[j], d2[j], d3[j] = x0[j]-mu[j], x1[j]-mu[j], x2[j]-mu[j], x3[j]-mu[j]
		}
		all := r0 != 0 && r1 != 0 && r2 != 0 && r3 != 0 // no sample to skip: the plain sums
		for j := range d {
			rd0, rd1, rd2, rd3 := float64(r0*d0[j]), float64(r1*d1[j]), float64(r2*d2[j]), float64(r3*d3[j])
			end := d // row j of Q from the diagonal on; only the diagonal for diagonal factors
			if c.Diag {
				end = j + 1
			}
			if all {
				sk[j] = sk[j] + rd0 + rd1 + rd2 + rd3
				row := q[j*d+j : j*d+end]
				e0, e1, e2, e3 := d0[j:end], d1[j:end], d2[j:end], d3[j:end]
				for l := range row {
					row[l] = math.FMA(rd3, e3[l], math.FMA(rd2, e2[l], math.FMA(rd1, e1[l], math.FMA(rd0, e0[l], row[l]))))
				}
				continue
			}
			sk[j] = addIf(addIf(addIf(addIf(sk[j], rd0, r0), rd1, r1), rd2, r2), rd3, r3)
			for l := j; l < end; l++ {
				q[j*d+l] = fmaIf(fmaIf(fmaIf(fmaIf(q[j*d+l], rd0, d0[l], r0), rd1, d1[l], r1), rd2, d2[l], r2), rd3, d3[l], r3)
			}
		}
	}
}

// addIf returns acc + v where r is not 0, else acc: selected as bits, without a branch
// that samples would mispredict.
func addIf(acc, v, r float64) float64 {
	b := math.Float64bits(acc + v)
	if r == 0 {
		b = math.Float64bits(acc)
	}
	return math.Float64frombits(b)
}

// fmaIf returns the fused multiply-add a b + acc where r is not 0, else acc, as addIf.
func fmaIf(acc, a, b, r float64) float64 {
	v := math.Float64bits(math.FMA(a, b, acc))
	if r == 0 {
		v = math.Float64bits(acc)
	}
	return math.Float64frombits(v)
}

// MultiClassify sets dst[n] to argmax_k P_k(x_n), the lowest k on ties.
func MultiClassify[T Float](dst []uint16, x []T, c *MultiCoeffs) {
	multiClassifyIn(dst, x, c, nil)
}

// multiClassifyIn is MultiClassify in a worker's scratch.
func multiClassifyIn[T Float](dst []uint16, x []T, c *MultiCoeffs, scratch *Scratch) {
	sc := goScratch(scratch, c)
	p := [goLanes][]float64{sc.p, sc.p, sc.p, sc.p} // the labels need no log-joints
	for i := 0; i < len(dst); i += goLanes {
		var xs [goLanes][]float64
		in := fourSamples(sc, x, i, len(dst), &xs)
		_, top := multiLogJoints(&p, 1, sc.diff, &xs, c)
		for l, t := range top[:in] {
			dst[i+l] = uint16(max(t, 0))
		}
	}
}

// MultiScores sets score[n] = log p(x_n), the stable exp-sum max_k P_k + log sum_k
// exp(P_k - max), and, if resp is not nil, resp[n*K : (n+1)*K] to the responsibilities
// (a sample beyond every component: score -Inf and responsibility 1 on component 0, its
// label).
func MultiScores[T Float](score, resp []float64, x []T, c *MultiCoeffs) {
	multiScoresIn(score, resp, x, c, nil)
}

// multiScoresIn is MultiScores in a worker's scratch.
func multiScoresIn[T Float](score, resp []float64, x []T, c *MultiCoeffs, scratch *Scratch) {
	sc := goScratch(scratch, c)
	k := c.K()
	rows := [goLanes][]float64{sc.p[:k], sc.p[k : 2*k], sc.p[2*k : 3*k], sc.p[3*k : 4*k]}
	for i0 := 0; i0 < len(score); i0 += goLanes {
		var xs [goLanes][]float64
		in := fourSamples(sc, x, i0, len(score), &xs)
		ms, _ := multiLogJoints(&rows, 1, sc.diff, &xs, c)
		for l, m := range ms[:in] {
			scoreOf(score, resp, i0+l, m, rows[l], 1, k)
		}
	}
}

// scoreOf sets score[i] to log p of sample i, whose K log-joints are p[j*stride] and the
// largest of them m, and, if resp is not nil, its row of responsibilities (a sample
// beyond every component: score -Inf and responsibility 1 on component 0, its label).
// p is overwritten.
func scoreOf(score, resp []float64, i int, m float64, p []float64, stride, k int) {
	if math.IsInf(m, -1) {
		score[i] = m
		if resp != nil {
			row := resp[i*k : (i+1)*k]
			clear(row)
			row[0] = 1
		}
		return
	}
	sum := 0.0
	for j := range k {
		p[j*stride] = vmath.Exp64(p[j*stride] - m)
		sum += p[j*stride]
	}
	score[i] = m + vmath.Log64(sum)
	if resp != nil {
		for j := range k {
			resp[i*k+j] = p[j*stride] / sum
		}
	}
}

// jointScores sets score (and resp, if not nil) from the log-joints of len(score)
// samples, p[k*n+i] for sample i of n = len(score): the first largest of each sample's
// as the Go twin takes it, then scoreOf.
func jointScores(score, resp, p []float64) {
	n := len(score)
	k := len(p) / max(n, 1)
	for i := range n {
		best, top := uint64(negInf), -1
		for j := range k {
			best, top = raise(best, top, p[j*n+i], j)
		}
		m := math.Inf(-1)
		if top >= 0 {
			m = math.Float64frombits(best)
		}
		scoreOf(score, resp, i, m, p[i:], n, k)
	}
}

// Tiles gives the multichannel passes their samples a tile at a time, row-major, D
// features each: from one slice that holds them so (Rows), or read from another form
// (image planes, say) into a buffer of one tile per worker, in cache (ReadTiles).
type Tiles[T Float] interface {
	// Tile returns the samples [lo, hi) for worker w.
	Tile(w, lo, hi int) []T
	// Planes returns a function that reads the samples as planes (see
	// Set.MultiEStepPlanes), or nil if they are only read row-major.
	Planes() func(dst []T, lo int)
}

// Rows are samples held row-major in one slice, D features each: a tile is a slice of it.
type Rows[T Float] struct {
	X []T
	D int
}

// Tile returns the samples [lo, hi) of r.
func (r Rows[T]) Tile(_, lo, hi int) []T { return r.X[lo*r.D : hi*r.D] }

// Planes returns nil: rows are not read.
func (Rows[T]) Planes() func(dst []T, lo int) { return nil }

// readTiles are samples read tile by tile into a buffer of each worker's own.
type readTiles[T Float] struct {
	d           int
	read, plane func(dst []T, lo int)
	buf         [][]T
}

func (r *readTiles[T]) Tile(w, lo, hi int) []T {
	dst := r.buf[w][:(hi-lo)*r.d]
	r.read(dst, lo)
	return dst
}

func (r *readTiles[T]) Planes() func(dst []T, lo int) { return r.plane }

// ReadTiles returns the n samples of d features that read gives, read tile by tile on
// dr's workers: read sets dst to the samples from lo on, row-major, len(dst)/d of them.
// planes, if not nil, reads them as planes (see Set.MultiEStepPlanes): kernels that
// take planes then read them a block at a time, in L1, with no transpose. Each worker
// gets a buffer of one tile now, so that the passes allocate nothing.
func ReadTiles[T Float](dr *Driver, n, d int, read, planes func(dst []T, lo int)) Tiles[T] {
	r := &readTiles[T]{d: d, read: read, plane: planes, buf: make([][]T, dr.threads)}
	dr.eachWorker(n, func(w int) { r.buf[w] = make([]T, min(dr.tile, n)*d) })
	return r
}

// multiEStepTask runs MultiEStep on a tile into statistics of its own, on planes where
// both the kernels and the tiles have them, and adds them into the pass's in tile order:
// the same additions in the same order as summing every tile's after the pass, so the
// same bits for any number of workers, with statistics for only a window of tiles held
// at once (K (1 + d + d^2) numbers each: 40 MB for K = 5, d = 1024).
type multiEStepTask[T Float] struct {
	kern    func(x []T, w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch)
	planes  func(read func(dst []T, lo int), lo, n int, w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch) bool
	scratch []Scratch // one a worker
	x       Tiles[T]
	w       []float64
	c       *MultiCoeffs
	window  orderedSums
}

func (e *multiEStepTask[T]) run(worker, t, lo, hi int) {
	p := e.window.slot(t)
	p.Reset()
	w, sc := weightsOf(e.w, lo, hi), &e.scratch[worker]
	if read := e.x.Planes(); read == nil || e.planes == nil || !e.planes(read, lo, hi-lo, w, e.c, p, sc) {
		e.kern(e.x.Tile(worker, lo, hi), w, e.c, p, sc)
	}
	e.window.done(t)
}

// orderedSums adds statistics computed tile by tile, in any order, into a total in tile
// order, holding those of at most len(slots) tiles at once: tile t takes slot t mod
// len(slots) once tile t - len(slots) has been added.
type orderedSums struct {
	total *MultiStats
	slots []MultiStats
	ready []bool
	next  int // the next tile to add
	mu    sync.Mutex
	freed sync.Cond // next moved on
}

// reset starts the sums of a pass into total, over slots.
func (o *orderedSums) reset(total *MultiStats, slots []MultiStats) {
	o.total, o.slots, o.next = total, slots, 0
	o.ready = grow(o.ready, len(slots))
	clear(o.ready)
	o.freed.L = &o.mu
	total.Reset()
}

// slot returns tile t's statistics, once the tile that held them before has been added.
// Tiles are handed out in order, so every earlier tile is being computed: the wait ends.
func (o *orderedSums) slot(t int) *MultiStats {
	o.mu.Lock()
	for t-o.next >= len(o.slots) {
		o.freed.Wait()
	}
	o.mu.Unlock()
	return &o.slots[t%len(o.slots)]
}

// done takes in tile t's statistics, and adds every tile ready in order from the next.
func (o *orderedSums) done(t int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ready[t%len(o.slots)] = true
	for i := o.next % len(o.slots); o.ready[i]; i = o.next % len(o.slots) {
		o.total.Add(&o.slots[i])
		o.ready[i] = false
		o.next++
	}
	o.freed.Broadcast()
}

// multiWindow is how many tiles' statistics a multichannel E-step over nt tiles holds at
// once: two for each worker, so that none waits on a slow neighbour often.
func (dr *Driver) multiWindow(nt int) int { return max(1, min(nt, 2*dr.threads)) }

// multiPartials returns nt statistics of k components over d features, reusing the
// driver's storage, each starting a cache line after the last one's end.
func (dr *Driver) multiPartials(nt, k, d int) []MultiStats {
	const line = 64 / 8
	size := MultiStatsSize(k, d)
	stride := (size+line-1)/line*line + line
	if len(dr.mpartial) < nt || (nt > 0 && (len(dr.mpartial[0].N) != k || len(dr.mpartial[0].S) != k*d)) {
		buf := make([]float64, stride*nt)
		dr.mpartial = make([]MultiStats, nt)
		for t := range dr.mpartial {
			dr.mpartial[t] = multiStatsIn(buf[stride*t:], k, d)
		}
	}
	return dr.mpartial[:nt]
}

// MultiPartialsBytes is how many bytes the per-tile statistics of a multichannel E-step
// over n samples take on dr: what a caller bounds before the pass allocates them.
func (dr *Driver) MultiPartialsBytes(n, k, d int) int64 {
	return int64(dr.multiWindow(dr.tiles(n))) * int64(MultiStatsSize(k, d)+16) * 8
}

// DriveMultiEStep sets s to the statistics of the n samples x (D features each, weights
// w) under c, per-tile statistics summed in tile order: the same bits for any number of
// workers.
func DriveMultiEStep[T Float](dr *Driver, x Tiles[T], n int, w []float64, c *MultiCoeffs, s *MultiStats) {
	t, set := tasksOf[T](dr)
	task := &t.multiEStep
	task.kern, task.planes, task.scratch, task.x, task.w, task.c = set.MultiEStep, set.MultiEStepPlanes, dr.scratch, x, w, c
	task.window.reset(s, dr.multiPartials(dr.multiWindow(dr.tiles(n)), c.K(), c.D))
	dr.forTiles(n, task)
	task.x, task.w, task.c, task.window.total = nil, nil, nil, nil // drop the references to the caller's data
}

// multiTask labels or scores a tile.
type multiTask[T Float] struct {
	classify    func(dst []uint16, x []T, c *MultiCoeffs, sc *Scratch)
	planes      func(dst []uint16, read func(dst []T, lo int), lo int, c *MultiCoeffs, sc *Scratch) bool
	joints      func(dst []float64, x []T, c *MultiCoeffs, sc *Scratch) bool
	scratch     []Scratch // one a worker
	x           Tiles[T]
	c           *MultiCoeffs
	labels      []uint16
	score, resp []float64
}

func (e *multiTask[T]) run(worker, _, lo, hi int) {
	sc := &e.scratch[worker]
	if e.labels != nil {
		dst := e.labels[lo:hi]
		if read := e.x.Planes(); read != nil && e.planes != nil && e.planes(dst, read, lo, e.c, sc) {
			return
		}
		e.classify(dst, e.x.Tile(worker, lo, hi), e.c, sc)
		return
	}
	k := e.c.K()
	x := e.x.Tile(worker, lo, hi)
	var resp []float64
	if e.resp != nil {
		resp = e.resp[lo*k : hi*k]
	}
	if e.joints != nil {
		p := grow(sc.multi.joints, k*(hi-lo))
		sc.multi.joints = p
		if e.joints(p, x, e.c, sc) {
			jointScores(e.score[lo:hi], resp, p)
			return
		}
	}
	multiScoresIn(e.score[lo:hi], resp, x, e.c, sc)
}

// DriveMultiClassify sets dst[n] to the most responsible component of sample n of x.
func DriveMultiClassify[T Float](dr *Driver, dst []uint16, x Tiles[T], c *MultiCoeffs) {
	t, set := tasksOf[T](dr)
	t.multi = multiTask[T]{classify: set.MultiClassify, planes: set.MultiClassifyPlanes, scratch: dr.scratch, x: x, c: c, labels: dst}
	dr.forTiles(len(dst), &t.multi)
}

// DriveMultiScores sets score[n] to log p(x_n) and, with resp, the responsibilities' rows
// (see MultiScores).
func DriveMultiScores[T Float](dr *Driver, score, resp []float64, x Tiles[T], c *MultiCoeffs) {
	t, set := tasksOf[T](dr)
	t.multi = multiTask[T]{joints: set.MultiJoints, scratch: dr.scratch, x: x, c: c, score: score, resp: resp}
	dr.forTiles(len(score), &t.multi)
}

// transpose sets planes (d planes of n) to the n samples of d features in x, row-major.
func transpose[T Float](planes, x []T, d, n int) {
	switch d {
	case 3:
		p0, p1, p2 := planes[:n], planes[n:2*n], planes[2*n:3*n]
		for i := range n {
			v := x[3*i : 3*i+3 : 3*i+3]
			p0[i], p1[i], p2[i] = v[0], v[1], v[2]
		}
	default:
		// Plane by plane, four samples a turn: each plane is written in order, and the
		// rows it reads from stay in L1 between planes.
		for j := range d {
			p := planes[j*n : (j+1)*n]
			i := 0
			for ; i+4 <= n; i += 4 {
				p[i], p[i+1], p[i+2], p[i+3] = x[i*d+j], x[(i+1)*d+j], x[(i+2)*d+j], x[(i+3)*d+j]
			}
			for ; i < n; i++ {
				p[i] = x[i*d+j]
			}
		}
	}
}
