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
// those of one sample alone, in the same order. sc must come from goScratch for c: it
// holds c's columns of U, packed.
func multiLogJoints(p *[goLanes][]float64, stride int, sc *multiScratch, x *[goLanes][]float64, c *MultiCoeffs) (m [goLanes]float64, top [goLanes]int) {
	d := c.D
	x0, x1, x2, x3 := x[0][:d], x[1][:d], x[2][:d], x[3][:d]
	diff := sc.diff[:d]
	tri := d * (d + 1) / 2
	b0, b1, b2, b3 := uint64(negInf), uint64(negInf), uint64(negInf), uint64(negInf)
	t0, t1, t2, t3 := -1, -1, -1, -1
	for k := range c.K() {
		mu := c.Mean[k*d : (k+1)*d]
		var q0, q1, q2, q3 float64
		if c.Diag {
			u := c.Prec[k*d*d : (k+1)*d*d]
			for j := range d {
				ujj := u[j*d+j]
				y0, y1, y2, y3 := (x0[j]-mu[j])*ujj, (x1[j]-mu[j])*ujj, (x2[j]-mu[j])*ujj, (x3[j]-mu[j])*ujj
				q0, q1, q2, q3 = math.FMA(y0, y0, q0), math.FMA(y1, y1, q1), math.FMA(y2, y2, q2), math.FMA(y3, y3, q3)
			}
		} else {
			for j := range diff {
				e := &diff[j]
				e[0], e[1], e[2], e[3] = x0[j]-mu[j], x1[j]-mu[j], x2[j]-mu[j], x3[j]-mu[j]
			}
			q0, q1, q2, q3 = fourQuads(diff, sc.cols[k*tri:(k+1)*tri])
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

// fourQuads returns |U^T diff|^2 of four samples, whose differences from the mean are
// diff[i][l], for the U whose columns above the diagonal are packed in cols (column j at
// j (j+1) / 2): y_j = sum_{i <= j} diff_i U_ij, each sum in ascending i, and the squares
// in ascending j. Two columns at a time, eight sums.
func fourQuads(diff [][goLanes]float64, cols []float64) (q0, q1, q2, q3 float64) {
	d := len(diff)
	j := d % 2 // an odd column first, alone: the rest come in pairs
	if j == 1 {
		u, e := cols[0], &diff[0]
		y0, y1, y2, y3 := math.FMA(e[0], u, 0), math.FMA(e[1], u, 0), math.FMA(e[2], u, 0), math.FMA(e[3], u, 0)
		q0, q1, q2, q3 = math.FMA(y0, y0, 0), math.FMA(y1, y1, 0), math.FMA(y2, y2, 0), math.FMA(y3, y3, 0)
	}
	for ; j+1 < d; j += 2 {
		a0, a1, a2, a3, b0, b1, b2, b3 := pairSums(diff[:j+2], cols[j*(j+1)/2:][:j+1], cols[(j+1)*(j+2)/2:][:j+2])
		q0, q1 = math.FMA(b0, b0, math.FMA(a0, a0, q0)), math.FMA(b1, b1, math.FMA(a1, a1, q1))
		q2, q3 = math.FMA(b2, b2, math.FMA(a2, a2, q2)), math.FMA(b3, b3, math.FMA(a3, a3, q3))
	}
	return q0, q1, q2, q3
}

// pairSums returns a_l = sum_i x[i][l] ua[i] and b_l = sum_i x[i][l] ub[i] of four
// samples l, each in ascending i, for two columns of U, ua and ub (one term longer). Each
// sum takes four terms in a row, one expression of fused multiply-adds, then the rest of
// both columns' terms at once. The compiler keeps in memory every value that lives across
// a math.FMA, for the call it makes where the CPU has no such instruction; so only the
// sums pass through memory, once for four terms, where one term of eight sums at a time
// stored every sum for each term.
func pairSums(x [][goLanes]float64, ua, ub []float64) (a0, a1, a2, a3, b0, b1, b2, b3 float64) {
	n := len(ua)
	x, ub = x[:n+1], ub[:n+1]
	i := 0
	for ; i+4 <= n; i += 4 {
		xs, us, vs := (*[4][goLanes]float64)(x[i:i+4]), (*[4]float64)(ua[i:i+4]), (*[4]float64)(ub[i:i+4])
		a0, a1, a2, a3 = dot4(a0, xs, 0, us), dot4(a1, xs, 1, us), dot4(a2, xs, 2, us), dot4(a3, xs, 3, us)
		b0, b1, b2, b3 = dot4(b0, xs, 0, vs), dot4(b1, xs, 1, vs), dot4(b2, xs, 2, vs), dot4(b3, xs, 3, vs)
	}
	x, ua, ub = x[i:], ua[i:], ub[i:]
	switch len(ua) { // the rest: up to three terms of a, one more of b
	case 0:
		e, v := &x[0], ub[0]
		b0, b1, b2, b3 = math.FMA(e[0], v, b0), math.FMA(e[1], v, b1), math.FMA(e[2], v, b2), math.FMA(e[3], v, b3)
	case 1:
		e, u := &x[0], ua[0]
		a0, a1, a2, a3 = math.FMA(e[0], u, a0), math.FMA(e[1], u, a1), math.FMA(e[2], u, a2), math.FMA(e[3], u, a3)
		xs, vs := (*[2][goLanes]float64)(x), (*[2]float64)(ub)
		b0, b1, b2, b3 = dot2(b0, xs, 0, vs), dot2(b1, xs, 1, vs), dot2(b2, xs, 2, vs), dot2(b3, xs, 3, vs)
	case 2:
		xs, us := (*[2][goLanes]float64)(x), (*[2]float64)(ua)
		a0, a1, a2, a3 = dot2(a0, xs, 0, us), dot2(a1, xs, 1, us), dot2(a2, xs, 2, us), dot2(a3, xs, 3, us)
		xt, vs := (*[3][goLanes]float64)(x), (*[3]float64)(ub)
		b0, b1, b2, b3 = dot3(b0, xt, 0, vs), dot3(b1, xt, 1, vs), dot3(b2, xt, 2, vs), dot3(b3, xt, 3, vs)
	case 3:
		xs, us := (*[3][goLanes]float64)(x), (*[3]float64)(ua)
		a0, a1, a2, a3 = dot3(a0, xs, 0, us), dot3(a1, xs, 1, us), dot3(a2, xs, 2, us), dot3(a3, xs, 3, us)
		xt, vs := (*[4][goLanes]float64)(x), (*[4]float64)(ub)
		b0, b1, b2, b3 = dot4(b0, xt, 0, vs), dot4(b1, xt, 1, vs), dot4(b2, xt, 2, vs), dot4(b3, xt, 3, vs)
	}
	return
}

// dot4 returns acc + x[0][l] u[0] + ... + x[3][l] u[3], fused multiply-adds in that order;
// dot3 and dot2 the same of three and two terms.
func dot4(acc float64, x *[4][goLanes]float64, l int, u *[4]float64) float64 {
	return math.FMA(x[3][l], u[3], math.FMA(x[2][l], u[2], math.FMA(x[1][l], u[1], math.FMA(x[0][l], u[0], acc))))
}

func dot3(acc float64, x *[3][goLanes]float64, l int, u *[3]float64) float64 {
	return math.FMA(x[2][l], u[2], math.FMA(x[1][l], u[1], math.FMA(x[0][l], u[0], acc)))
}

func dot2(acc float64, x *[2][goLanes]float64, l int, u *[2]float64) float64 {
	return math.FMA(x[1][l], u[1], math.FMA(x[0][l], u[0], acc))
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

// fourSamples sets x to the samples i to i+3 of in, as float64 (in sc's buffer, unless
// they are float64 already), the last one below n repeated where they run past it, and
// returns how many are below n.
func fourSamples[T Float](sc *multiScratch, in []T, i, n int, x *[goLanes][]float64) int {
	d := len(sc.xs) / goLanes
	rows, is64 := any(in).([]float64)
	for l := range goLanes {
		switch {
		case i+l < n && is64:
			x[l] = rows[(i+l)*d : (i+l+1)*d]
		case i+l < n:
			x[l] = sample(sc.xs[l*d:(l+1)*d], in, i+l)
		default:
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
	block := MultiStatsIn(ch.stats, k, d)
	n, step := len(x)/d, chunkLen(k)
	for lo := 0; lo < n; lo += eStepBlock {
		block.Reset()
		for first := lo; first < min(lo+eStepBlock, n); first += step {
			last := min(first+step, lo+eStepBlock, n)
			// Each sample is read twice, for its log-joints, four at a time (float32 ones
			// converted into a buffer of four that stays in L1, which measured 2-3% faster
			// than converting a chunk's samples once into an array of them), and for its
			// moments, gathered component by component.
			for i := first; i < last; i += goLanes {
				var xs [goLanes][]float64
				in := fourSamples(sc, x, i, last, &xs)
				p := ch.columns(i-first, last-first)
				m, top := multiLogJoints(&p, ch.stride, sc, &xs, c)
				copy(ch.max[i-first:i-first+in], m[:in])
				copy(ch.top[i-first:i-first+in], top[:in])
			}
			ch.expSums(last-first, WeightsOf(w, first, last))
			block.LogLik = ch.addLogLik(block.LogLik, last-first, WeightsOf(w, first, last))
			for k := range c.K() {
				componentMoments(sc, x[first*d:last*d], ch.plane(k, last-first), ch.scale[:last-first], c, k, &block)
			}
		}
		s.Add(&block)
	}
}

// momentLanes is how many samples the Go moments add at a time: each sum of a row of Q
// then takes that many terms in a row, with their eight factors in registers (sixteen,
// from memory, measured slower).
const momentLanes = 8

// componentMoments adds to s the moments about c's centre k of the samples x (D features
// each), whose exp(P_k - max) are e and whose responsibilities are those times scale. A
// sample adds nothing where its responsibility is 0: those are left out, and the others
// gathered momentLanes at a time, the last group made up with zeros, which add exactly
// nothing: every sum starts at +0, and a sum of two numbers is -0 only where both are.
// Each sum takes the samples in order, as one sample at a time would add them, with
// products that a sum takes rounded on their own, as in eStepSums.
func componentMoments[T Float](sc *multiScratch, x []T, e, scale []float64, c *MultiCoeffs, k int, s *MultiStats) {
	d := c.D
	mu := c.centre()[k*d : (k+1)*d]
	dd := sc.dd[:d]
	var r [momentLanes]float64
	var at [momentLanes]int // the samples of the group
	g := 0
	for i, ei := range e[:len(scale)] {
		r[g], at[g] = float64(ei*scale[i]), i
		if r[g] == 0 {
			continue
		}
		if g++; g == momentLanes {
			gather(dd, x, &at, mu)
			addLanes(s, k, &r, dd, c.Diag)
			g = 0
		}
	}
	if g > 0 {
		clear(at[g:]) // lanes past the last sample: its first one's, then zeros
		gather(dd, x, &at, mu)
		for j := range dd {
			clear(dd[j][g:])
		}
		clear(r[g:])
		addLanes(s, k, &r, dd, c.Diag)
	}
}

// gather sets dd[j][l] to x_{at[l], j} - mu_j, for the D features of the samples x.
func gather[T Float](dd [][momentLanes]float64, x []T, at *[momentLanes]int, mu []float64) {
	d := len(dd)
	mu = mu[:d]
	x0, x1, x2, x3 := x[at[0]*d:][:d], x[at[1]*d:][:d], x[at[2]*d:][:d], x[at[3]*d:][:d]
	x4, x5, x6, x7 := x[at[4]*d:][:d], x[at[5]*d:][:d], x[at[6]*d:][:d], x[at[7]*d:][:d]
	for j := range dd {
		v, m := &dd[j], mu[j]
		v[0], v[1], v[2], v[3] = float64(x0[j])-m, float64(x1[j])-m, float64(x2[j])-m, float64(x3[j])-m
		v[4], v[5], v[6], v[7] = float64(x4[j])-m, float64(x5[j])-m, float64(x6[j])-m, float64(x7[j])-m
	}
}

// addLanes adds to component k's statistics in s the momentLanes samples whose
// responsibilities are r and differences from the centre dd[j][l]: N, S and the rows of Q
// from the diagonal on (the diagonal alone for diagonal factors).
func addLanes(s *MultiStats, k int, r *[momentLanes]float64, dd [][momentLanes]float64, diag bool) {
	d := len(dd)
	s.N[k] = s.N[k] + r[0] + r[1] + r[2] + r[3] + r[4] + r[5] + r[6] + r[7]
	sk, q := s.S[k*d:(k+1)*d], s.Q[k*d*d:(k+1)*d*d]
	for j := range sk {
		v := &dd[j]
		a0, a1, a2, a3 := float64(r[0]*v[0]), float64(r[1]*v[1]), float64(r[2]*v[2]), float64(r[3]*v[3])
		a4, a5, a6, a7 := float64(r[4]*v[4]), float64(r[5]*v[5]), float64(r[6]*v[6]), float64(r[7]*v[7])
		sk[j] = sk[j] + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
		end := d
		if diag {
			end = j + 1
		}
		rank8(q[j*d+j:j*d+end], dd[j:end], a0, a1, a2, a3, a4, a5, a6, a7)
	}
}

// rank8 adds to acc[l] the products a_i b[l][i], i from 0 to 7, fused multiply-adds in
// that order: eight in a row, so that each sum is loaded and stored once for the eight,
// and nothing but the loop's index passes through memory around the math.FMAs (see
// pairSums).
func rank8(acc []float64, b [][momentLanes]float64, a0, a1, a2, a3, a4, a5, a6, a7 float64) {
	b = b[:len(acc)]
	for l := range acc {
		v := &b[l]
		acc[l] = math.FMA(a7, v[7], math.FMA(a6, v[6], math.FMA(a5, v[5], math.FMA(a4, v[4],
			math.FMA(a3, v[3], math.FMA(a2, v[2], math.FMA(a1, v[1], math.FMA(a0, v[0], acc[l]))))))))
	}
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
		_, top := multiLogJoints(&p, 1, sc, &xs, c)
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

// MultiScoresIn is MultiScores in a worker's scratch, from the table's MultiJoints where it
// has them for c (the same scores as the Go loop's, see jointScores), else by the Go loop.
func (s *Set[T]) MultiScoresIn(score, resp []float64, x []T, c *MultiCoeffs, sc *Scratch) {
	if s.MultiJoints != nil {
		p := grow(sc.multi.joints, c.K()*len(score))
		sc.multi.joints = p
		if s.MultiJoints(p, x, c, sc) {
			jointScores(score, resp, p)
			return
		}
	}
	multiScoresIn(score, resp, x, c, sc)
}

// multiScoresIn is MultiScores in a worker's scratch.
func multiScoresIn[T Float](score, resp []float64, x []T, c *MultiCoeffs, scratch *Scratch) {
	sc := goScratch(scratch, c)
	k := c.K()
	rows := [goLanes][]float64{sc.p[:k], sc.p[k : 2*k], sc.p[2*k : 3*k], sc.p[3*k : 4*k]}
	for i0 := 0; i0 < len(score); i0 += goLanes {
		var xs [goLanes][]float64
		in := fourSamples(sc, x, i0, len(score), &xs)
		ms, _ := multiLogJoints(&rows, 1, sc, &xs, c)
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
