package kernel

import (
	"math"
	"unsafe"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// Float is the element type of a data slice.
type Float interface{ float32 | float64 }

// is64 reports whether T is float64.
func is64[T Float]() bool { return unsafe.Sizeof(T(0)) == 8 }

// quad is the weighted log-density cnst - halfPrec*(x-mean)^2 as every implementation
// computes it: one fused multiply-add of -(halfPrec*d)*d onto cnst.
func quad(x, cnst, mean, halfPrec float64) float64 { return negQuad(x, cnst, mean, -halfPrec) }

// negQuad is quad of the negated half precision, which loops negate once a component:
// (-halfPrec)*d is -(halfPrec*d) exactly.
func negQuad(x, cnst, mean, negHalfPrec float64) float64 {
	d := x - mean
	return math.FMA(negHalfPrec*d, d, cnst)
}

// logJoint writes P_k(x) to p and returns max_k P_k(x), starting from -Inf, and the
// lowest k where it is reached (-1 if every P_k is -Inf or NaN).
func logJoint(p []float64, x float64, c *Coeffs) (m float64, top int) {
	best := uint64(negInf)
	top = -1
	cn, mean, hp := c.Const[:len(p)], c.Mean[:len(p)], c.HalfPrec[:len(p)]
	for k := range p {
		v := quad(x, cn[k], mean[k], hp[k])
		p[k] = v
		best, top = raise(best, top, v, k)
	}
	return math.Float64frombits(best), top
}

// negInf is the bits of -Inf, where a running maximum starts.
const negInf = 0xfff0000000000000

// raise is a step of a running maximum kept as bits, best, at index top: v at index k
// takes its place if it is greater (so ties keep the first, and NaN never enters).
// Selected as integers, which Go does without a branch: the samples of a mixture would
// mispredict one.
func raise(best uint64, top int, v float64, k int) (uint64, int) {
	bits, gt := math.Float64bits(v), v > math.Float64frombits(best)
	if gt {
		best = bits
	}
	if gt {
		top = k
	}
	return best, top
}

func logNormPDF[T Float](dst, x []T, cnst, mean, halfPrec float64) {
	dst = dst[:len(x)]
	nh := -halfPrec
	for i, v := range x {
		dst[i] = T(negQuad(float64(v), cnst, mean, nh))
	}
}

// expSumStable is the reference program's two steps: each component's weighted
// log-density over x (logNormPDF, a row of p), then the stable exp-sum of the rows,
// sample by sample (its compute_expsum_stable).
func expSumStable[T Float](p, pmax, expsum, x []T, c *Coeffs) {
	n := len(x)
	pmax, expsum = pmax[:n], expsum[:n]
	for k := range c.K() {
		logNormPDF(p[k*n:(k+1)*n], x, c.Const[k], c.Mean[k], c.HalfPrec[k])
	}
	for i := range n {
		m := math.Inf(-1)
		for k := range c.K() {
			if v := float64(p[k*n+i]); v > m {
				m = v
			}
		}
		s := 0.0
		if m > math.Inf(-1) { // else every term would be exp(NaN): the sum is 0, as in the SIMD lanes
			for k := range c.K() {
				s += vmath.Exp64(float64(p[k*n+i]) - m)
			}
		}
		pmax[i] = T(m)
		expsum[i] = T(s)
	}
}

// eStepBlock is how many samples the Go E-step sums on their own before adding them to
// the tile's statistics: two levels of sums keep the rounding error of a tile's sums near
// that of the SIMD kernels' lane-wise ones, instead of growing with the tile's length.
const eStepBlock = 256

func eStep[T Float](x []T, w []float64, c *Coeffs, s *Stats, sc *Scratch) {
	k := c.K()
	ch := chunkFor(sc, k, 3*k)
	block := StatsIn(ch.stats, k)
	for lo := 0; lo < len(x); lo += eStepBlock {
		hi := min(lo+eStepBlock, len(x))
		block.Reset()
		eStepSums(x[lo:hi], WeightsOf(w, lo, hi), c, ch, &block)
		s.Add(&block)
	}
}

// eStepSums adds the statistics of x (weights w, nil for all ones) under c into s, a
// chunk of samples at a time. Products that a sum takes are rounded on their own
// (float64(...)): Go may fuse a product into the next addition on some CPUs (arm64), and
// these sums must be the same on every one. Each component's sums run over the samples in
// order, as one sample at a time would add them.
func eStepSums[T Float](x []T, w []float64, c *Coeffs, ch *expChunk, s *Stats) {
	ll := 0.0
	for lo := 0; lo < len(x); lo += ch.stride {
		hi := min(lo+ch.stride, len(x))
		xs := logJoints(ch, x[lo:hi], c)
		ch.expSums(len(xs), WeightsOf(w, lo, hi))
		ll = ch.addLogLik(ll, len(xs), WeightsOf(w, lo, hi))
		ch.addMoments(xs, c.centre(), s)
	}
	s.LogLik += ll
}

// addMoments adds the chunk's statistics of the 1-D samples xs, their responsibilities
// set (expSums), to s: component by component, each sum over the samples in order, as one
// sample at a time would add them. Two components share a loop, so that the CPU overlaps
// their chains of dependent sums; an odd K's last pairs with the plane of zeros after the
// K planes, whose sums are dropped.
func (ch *expChunk) addMoments(xs, centre []float64, s *Stats) {
	n, k := len(xs), ch.k
	scale := ch.scale[:n]
	for j := 0; j < k; j += 2 {
		a, b := ch.plane(j, n), ch.plane(j+1, n)
		ma, na, da, ba := centre[j], s.N[j], s.D[j], s.B[j]
		var mb, nb, db, bb float64
		if j+1 < k {
			mb, nb, db, bb = centre[j+1], s.N[j+1], s.D[j+1], s.B[j+1]
		}
		for i, x := range xs {
			na, da, ba = moment(a[i], scale[i], x, ma, na, da, ba)
			nb, db, bb = moment(b[i], scale[i], x, mb, nb, db, bb)
		}
		s.N[j], s.D[j], s.B[j] = na, da, ba
		if j+1 < k {
			s.N[j+1], s.D[j+1], s.B[j+1] = nb, db, bb
		}
	}
}

// moment returns the sums n, d, b of a component's responsibilities r, shifted first
// moments r (x - centre) and second moments r (x - centre)^2 with one more sample's
// added: x, whose responsibility is e times scale.
func moment(e, scale, x, centre, n, d, b float64) (float64, float64, float64) {
	r := float64(e * scale)
	dx := x - centre
	rd := float64(r * dx)
	return n + r, d + rd, math.FMA(rd, dx, b)
}

// logJoints sets the chunk's planes to the log-joints of the 1-D samples in under c, and
// their maxima and tops, and returns the samples in float64 (in itself if it is float64,
// else converted in the loop that starts the maxima): component by component, loops over
// samples whose turns do not wait on each other. The running maximum of each sample is
// kept as bits, as logJoint keeps it, so that the maxima and tops are logJoint's.
func logJoints[T Float](ch *expChunk, in []T, c *Coeffs) []float64 {
	n := len(in)
	best, top := ch.best[:n], ch.top[:n]
	xs, ok := any(in).([]float64)
	if ok {
		for i := range best {
			best[i], top[i] = negInf, -1
		}
	} else {
		xs = ch.x[:n]
		for i, v := range in {
			xs[i], best[i], top[i] = float64(v), negInf, -1
		}
	}
	for j := range ch.k {
		cn, mean, nh := c.Const[j], c.Mean[j], -c.HalfPrec[j]
		pj := ch.plane(j, n)
		for i, v := range xs {
			q := negQuad(v, cn, mean, nh)
			pj[i] = q
			best[i], top[i] = raise(best[i], top[i], q, j)
		}
	}
	m := ch.max[:n]
	for i, b := range best {
		m[i] = math.Float64frombits(b)
	}
	return xs
}

// classify labels x four samples at a time: their running maxima (kept as bits, as
// logJoint keeps them) are four independent compare-and-select chains that the CPU
// overlaps, where one sample's components in a row wait on each other, and each
// component's numbers are loaded once for the four. The operations, and so the labels,
// are logJoint's; the last samples, fewer than four, go through logJoint itself.
func classify[T Float](dst []uint16, x []T, c *Coeffs, sc *Scratch) {
	k := c.K()
	cn, mean, hp := c.Const[:k], c.Mean[:k], c.HalfPrec[:k]
	x = x[:len(dst)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		x0, x1, x2, x3 := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		b0, b1, b2, b3 := uint64(negInf), uint64(negInf), uint64(negInf), uint64(negInf)
		t0, t1, t2, t3 := -1, -1, -1, -1
		for j := range k {
			cj, mj, nh := cn[j], mean[j], -hp[j]
			b0, t0 = raise(b0, t0, negQuad(x0, cj, mj, nh), j)
			b1, t1 = raise(b1, t1, negQuad(x1, cj, mj, nh), j)
			b2, t2 = raise(b2, t2, negQuad(x2, cj, mj, nh), j)
			b3, t3 = raise(b3, t3, negQuad(x3, cj, mj, nh), j)
		}
		d := dst[i : i+4 : i+4]
		d[0], d[1], d[2], d[3] = uint16(max(t0, 0)), uint16(max(t1, 0)), uint16(max(t2, 0)), uint16(max(t3, 0))
	}
	if i == len(x) {
		return
	}
	row := chunkFor(sc, k, 0).p[:k] // room for one sample's log-joints
	for ; i < len(x); i++ {
		_, top := logJoint(row, float64(x[i]), c)
		dst[i] = uint16(max(top, 0))
	}
}
