//go:build amd64 && gc && !purego && !noasm

package kernel

import "math"

// multiResp, multiMoments, multiClassify and multiTranspose are the signatures of the
// generated multichannel sweeps, labelling and transpose (see ../../asm/multi).
type (
	multiResp[T Float]      func(x []T, w []float64, coef []T, r, t, ahead []T, ll []float64, n int)
	multiMoments[T Float]   func(x, e, scale, mu []T, acc []float64, n int)
	multiClassify[T Float]  func(dst []uint16, x []T, coef []T, n int)
	multiTranspose[T Float] func(planes, x []T, n int)
)

// multiShape is one shape's generated functions: the two sweeps (unweighted and weighted
// responsibilities, and the moments) and the labelling.
type multiShape[T Float] struct {
	resp, respW multiResp[T]
	moments     multiMoments[T]
	classify    multiClassify[T]
}

// multiTable is one instruction set's multichannel E-step for one precision: its sweeps
// by D (2 to 4) and diagonal or full factor, its transposes of rows to planes by D (nil
// where Go's loop does it), and the width of its registers.
type multiTable[T Float] struct {
	bytes     int
	full      [5]multiShape[T]
	diag      [5]multiShape[T]
	transpose [5]multiTranspose[T]
	blocked   blockedFuncs[T] // d of BlockedDims and more
}

// install sets s's multichannel kernels to t's.
func (t *multiTable[T]) install(s *Set[T]) {
	s.MultiEStep, s.MultiEStepPlanes = t.eStep, t.eStepPlanes
	s.MultiClassify, s.MultiClassifyPlanes = t.classify, t.classifyPlanes
	s.MultiJoints = t.multiJoints
}

// shape returns the sweeps for c, or nil where there are none (D above 4).
func (t *multiTable[T]) shape(c *MultiCoeffs) *multiShape[T] {
	if c.D < 2 || c.D > 4 {
		return nil
	}
	if c.Diag {
		return &t.diag[c.D]
	}
	return &t.full[c.D]
}

// multiFrame is a worker's memory for the multichannel kernels of one precision: c in the
// sweeps' layout and its centres in T, a block of samples as planes, their exp(P_k - max) (r) and their
// maxima and c/S (t), the moments' lanes (K x terms registers of float64) and the
// log-likelihood's lanes.
type multiFrame[T Float] struct {
	coef, centre, planes, r, t []T
	rows                       []T // the samples past the last whole register, when read as planes
	acc, ll                    []float64
	sums, delta                []float64 // one component's sums and the shift of their origin (addInto)
	// rounded is c rounded to float32, as float32 lanes see it: the samples past the
	// last whole register go one by one through Generic's code under it.
	rounded MultiCoeffs
}

// multiLayout is where the sweeps of one shape find their numbers: U's entries (i, j)
// in coef's order, column by column down to the diagonal (or the diagonal alone), and the
// moments' sums in acc's order, as indices into MultiStats' S (one feature, l = -1) and Q
// (j, l): N first ({-1, -1}), then S_j, then Q_jl row by row.
type multiLayout struct{ factor, terms [][2]int }

// multiLayouts are the layouts by diagonal factor and D (2 to 4), made once.
var multiLayouts = func() (out [2][5]multiLayout) {
	for di, diag := range []bool{false, true} {
		for d := 2; d <= 4; d++ {
			l := &out[di][d]
			for j := range d {
				for i := range j + 1 {
					if !diag || i == j {
						l.factor = append(l.factor, [2]int{i, j})
					}
				}
			}
			l.terms = append(l.terms, [2]int{-1, -1})
			for j := range d {
				l.terms = append(l.terms, [2]int{j, -1})
			}
			for j := range d {
				for m := j; m < d; m++ {
					if !diag || m == j {
						l.terms = append(l.terms, [2]int{j, m})
					}
				}
			}
		}
	}
	return out
}()

// layoutOf returns the layout of c's shape (D of 2 to 4).
func layoutOf(c *MultiCoeffs) *multiLayout {
	if c.Diag {
		return &multiLayouts[1][c.D]
	}
	return &multiLayouts[0][c.D]
}

// frame returns sc's frame for T (a new one for nil sc), c in its layout and the sums
// zeroed.
func (t *multiTable[T]) frame(c *MultiCoeffs, sc *Scratch) *multiFrame[T] {
	f := frameIn[T, multiFrame[T]](sc, func(sc *Scratch) *[2]any { return &sc.multiFrame })
	k, d, l := c.K(), c.D, lanes[T](t.bytes)
	u := layoutOf(c).factor
	vals := 1 + d + len(u)
	if !is64[T]() {
		vals += d // -b, the means' rest (see ../../asm/multi)
	}
	f.coef = grow(f.coef, k*vals)
	f.centre = grow(f.centre, k*d)
	for i, v := range c.centre() {
		f.centre[i] = T(v)
	}
	for j := range k {
		v := f.coef[j*vals : (j+1)*vals]
		v[0] = T(c.Const[j])
		for a := range d {
			v[1+a] = T(c.Mean[j*d+a])
		}
		for i, e := range u {
			v[1+d+i] = T(c.Prec[j*d*d+e[0]*d+e[1]])
		}
		if !is64[T]() {
			var b [4]float64 // b_j = sum_i U_ij lo_i, lo_i the rest of mean i; D is 2 to 4 here
			for _, e := range u {
				mu := c.Mean[j*d+e[0]]
				if lo := mu - float64(T(mu)); !math.IsInf(lo, 0) && !math.IsNaN(lo) { // else beyond float32 anyway
					b[e[1]] += c.Prec[j*d*d+e[0]*d+e[1]] * lo
				}
			}
			for i := range d {
				v[1+d+len(u)+i] = T(-b[i])
			}
		}
	}
	f.planes = grow(f.planes, d*multiBlock*l)
	f.r = grow(f.r, k*multiBlock*l)
	f.t = grow(f.t, 2*multiBlock*l)
	f.acc = grow(f.acc, k*len(layoutOf(c).terms)*lanes[float64](t.bytes))
	f.ll = grow(f.ll, lanes[float64](t.bytes))
	clear(f.acc)
	clear(f.ll)
	return f
}

// tail returns c as the lanes of T see it, for the samples past the last whole register:
// c itself in float64, else c rounded to float32 in f, but for the means, which the lanes
// take split in two (see ../../asm/multi), and the centres, about which Go's loop takes
// the moments exactly.
func (f *multiFrame[T]) tail(c *MultiCoeffs) *MultiCoeffs {
	if is64[T]() {
		return c
	}
	r := &f.rounded
	*r = MultiCoeffs{D: c.D, Diag: c.Diag, Const: rounded32(r.Const, c.Const), Mean: c.Mean,
		Prec: rounded32(r.Prec, c.Prec), Centre: c.centre()}
	return r
}

// rounded32 returns v's values rounded to float32, in buf's memory if it is large enough.
func rounded32(buf, v []float64) []float64 {
	buf = grow(buf, len(v))
	for i, x := range v {
		buf[i] = float64(float32(x))
	}
	return buf
}

// multiInput is the n samples of D features a sweep call takes: row-major in rows, or,
// where rows is nil, read as planes by read from sample lo on (see Set.MultiEStepPlanes).
type multiInput[T Float] struct {
	rows  []T
	read  func(dst []T, lo int)
	lo, n int
}

// blocks calls f for each block of whole registers of in's samples, size samples a block
// at most (a whole number of registers), with the block's first sample, its length, its
// samples as planes in buf, and the memory to fetch into the cache meanwhile: the next
// block's rows, or, where there are none in memory, the planes themselves. It returns
// how many samples the blocks cover.
func (t *multiTable[T]) blocks(buf []T, in *multiInput[T], d, size int, f func(lo, nb int, planes, ahead []T)) int {
	l := lanes[T](t.bytes)
	whole := in.n &^ (l - 1)
	for lo := 0; lo < whole; lo += size {
		nb := min(size, whole-lo)
		planes := buf[:d*nb]
		ahead := planes
		if in.rows != nil {
			t.transposeRows(planes, in.rows[lo*d:(lo+nb)*d], d, nb)
			if next := in.rows[(lo+nb)*d:]; len(next) >= d*nb {
				ahead = next[:d*nb]
			}
		} else {
			in.read(planes, in.lo+lo)
		}
		f(lo, nb, planes, ahead)
	}
	return whole
}

// transposeRows sets planes to the n rows of d features in x (n whole registers),
// through the table's transposes where it has them: the sweeps' by d, or the blocked
// kernels' squares, Go's loop taking the features past their last whole square.
func (t *multiTable[T]) transposeRows(planes, x []T, d, n int) {
	switch {
	case d < len(t.transpose) && t.transpose[d] != nil:
		t.transpose[d](planes, x, n)
	case d >= BlockedDims && t.blocked.transpose != nil:
		t.blocked.transpose(planes, x, d, n)
		transposeFrom(planes, x, d, n, d&^(lanes[T](t.bytes)-1))
	default:
		transpose(planes, x, d, n)
	}
}

// tailRows returns in's samples from whole on, row-major: a slice of rows, or read as
// planes into fr's buffer and turned into rows in another.
func (fr *multiFrame[T]) tailRows(in *multiInput[T], d, whole int) []T {
	if in.rows != nil {
		return in.rows[whole*d:]
	}
	nt := in.n - whole
	if nt == 0 {
		return nil
	}
	planes := fr.planes[:d*nt]
	in.read(planes, in.lo+whole)
	fr.rows = grow(fr.rows, d*nt)
	for i := range nt {
		for j := range d {
			fr.rows[i*d+j] = planes[j*nt+i]
		}
	}
	return fr.rows[:d*nt]
}

// eStep is the table's MultiEStep: for D of 2 to 4, blocks of whole registers of samples,
// transposed to planes, through the two sweeps; the samples past the last whole register
// one by one through Generic's code, under c rounded to T. Other D run Generic's kernel.
func (t *multiTable[T]) eStep(x []T, w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch) {
	in := &multiInput[T]{rows: x, n: len(x) / c.D}
	if c.D >= BlockedDims {
		t.blockedEStep(in, w, c, s, sc)
	} else if !t.eStepOf(in, w, c, s, sc) {
		multiEStepIn(x, w, c, s, sc)
	}
}

// eStepPlanes is the table's MultiEStepPlanes: eStep's sweeps on samples read as planes,
// a block at a time, straight into the buffer eStep transposes rows to.
func (t *multiTable[T]) eStepPlanes(read func(dst []T, lo int), lo, n int, w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch) bool {
	in := &multiInput[T]{read: read, lo: lo, n: n}
	if c.D >= BlockedDims {
		t.blockedEStep(in, w, c, s, sc)
		return true
	}
	return t.eStepOf(in, w, c, s, sc)
}

// eStepOf runs the sweeps on in and returns true, or returns false for a shape they do
// not cover.
func (t *multiTable[T]) eStepOf(in *multiInput[T], w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch) bool {
	sh := t.shape(c)
	if sh == nil {
		return false
	}
	f := t.frame(c, sc)
	d, k := c.D, c.K()
	terms := layoutOf(c).terms
	stride := len(terms) * lanes[float64](t.bytes)
	whole := t.blocks(f.planes, in, d, multiBlock*lanes[T](t.bytes), func(lo, nb int, planes, ahead []T) {
		r := f.r[:k*nb]
		if w == nil {
			sh.resp(planes, nil, f.coef, r, f.t, ahead, f.ll, nb)
		} else {
			sh.respW(planes, w[lo:lo+nb], f.coef, r, f.t, ahead, f.ll, nb)
		}
		for j := range k {
			sh.moments(planes, r[j*nb:(j+1)*nb], f.t[nb:2*nb], f.centre[j*d:(j+1)*d], f.acc[j*stride:(j+1)*stride], nb)
		}
	})
	f.addInto(s, c.centre(), terms, d, lanes[float64](t.bytes))
	multiEStepIn(f.tailRows(in, d, whole), WeightsOf(w, whole, in.n), f.tail(c), s, sc)
	return true
}

// addInto adds the frame's lane sums into s: the moments of the components about the
// centres (the terms' order) and the log-likelihood. The lanes took the moments about
// f.centre, the centres in T: float32 ones are moved onto the float64 centres.
func (f *multiFrame[T]) addInto(s *MultiStats, centre []float64, terms [][2]int, d, l int) {
	f.sums, f.delta = grow(f.sums, len(terms)), grow(f.delta, d)
	for j := range len(centre) / d {
		moved := false
		for a, o := range centre[j*d : (j+1)*d] {
			f.delta[a] = float64(f.centre[j*d+a]) - o
			moved = moved || f.delta[a] != 0
		}
		for ti := range terms {
			f.sums[ti] = laneSum(f.acc[(j*len(terms)+ti)*l : (j*len(terms)+ti+1)*l])
		}
		if moved {
			moveSums(f.sums, terms, f.delta)
		}
		for ti, tm := range terms {
			switch {
			case tm[0] < 0:
				s.N[j] += f.sums[ti]
			case tm[1] < 0:
				s.S[j*d+tm[0]] += f.sums[ti]
			default:
				s.Q[(j*d+tm[0])*d+tm[1]] += f.sums[ti]
			}
		}
	}
	s.LogLik += laneSum(f.ll)
}

// oneDimTerms is the order of the one-dimensional E-step's sums, as a multiLayout's terms:
// N, D, B.
var oneDimTerms = [][2]int{{-1, -1}, {0, -1}, {0, 0}}

// moveSums moves one component's sums v, in the order of terms (N first, then S_a at
// 1 + a), from moments about an origin o + delta onto o: S_a gains N delta_a, and Q_ab
// gains delta_a S_b + delta_b S_a + N delta_a delta_b. The float32 lanes take moments
// about centres rounded to float32: delta is below float32's resolution of the centre,
// far below the spread of any data float32 resolves, so every term added is a small
// correction.
func moveSums(v []float64, terms [][2]int, delta []float64) {
	n := v[0]
	for ti, tm := range terms {
		if a, b := tm[0], tm[1]; b >= 0 {
			da, db := delta[a], delta[b]
			v[ti] += float64(da*v[1+b]) + float64(db*v[1+a]) + float64(float64(n*da)*db)
		}
	}
	for a, da := range delta {
		v[1+a] += float64(n * da)
	}
}

// classify is the table's MultiClassify: for D of 2 to 4, blocks of whole registers of
// samples, transposed to planes, through the generated labelling; the samples past the
// last whole register one by one through Generic's code, under c rounded to T. Other D
// run Generic's kernel.
func (t *multiTable[T]) classify(dst []uint16, x []T, c *MultiCoeffs, sc *Scratch) {
	in := &multiInput[T]{rows: x, n: len(dst)}
	if c.D >= BlockedDims {
		t.blockedClassify(dst, in, c, sc)
	} else if !t.classifyOf(dst, in, c, sc) {
		multiClassifyIn(dst, x, c, sc)
	}
}

// classifyPlanes is the table's MultiClassifyPlanes: classify's labelling on samples
// read as planes, a block at a time.
func (t *multiTable[T]) classifyPlanes(dst []uint16, read func(dst []T, lo int), lo int, c *MultiCoeffs, sc *Scratch) bool {
	in := &multiInput[T]{read: read, lo: lo, n: len(dst)}
	if c.D >= BlockedDims {
		t.blockedClassify(dst, in, c, sc)
		return true
	}
	return t.classifyOf(dst, in, c, sc)
}

// classifyOf labels in into dst and returns true, or returns false for a shape the
// labelling does not cover.
func (t *multiTable[T]) classifyOf(dst []uint16, in *multiInput[T], c *MultiCoeffs, sc *Scratch) bool {
	sh := t.shape(c)
	if sh == nil {
		return false
	}
	f := t.frame(c, sc)
	whole := t.blocks(f.planes, in, c.D, multiBlock*lanes[T](t.bytes), func(lo, nb int, planes, _ []T) {
		sh.classify(dst[lo:lo+nb], planes, f.coef, nb)
	})
	multiClassifyIn(dst[whole:], f.tailRows(in, c.D, whole), f.tail(c), sc)
	return true
}
