package kernel

import (
	"math"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

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
