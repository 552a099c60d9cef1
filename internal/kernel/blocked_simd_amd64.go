//go:build amd64 && gc && !purego && !noasm

package kernel

import "math"

// blockedFuncs are one instruction set's generated pieces of the multichannel E-step for
// many features (see ../../asm/blocked) in one precision, with the exp-sum of log-joints
// given (../../asm/multi's resp without its first loop).
type blockedFuncs[T Float] struct {
	joints      func(dst, x []T, n int, mu, u, negb []T, cnst T)
	weigh       func(rd, dst, x []T, n int, c, e, s []T)
	moments     func(rd, x []T, n, d int, acc []float64)
	jointsDiag  func(dst, x []T, n int, mu, u, negb []T, cnst T)
	momentsDiag func(x []T, n int, c, e, s []T, acc []float64)
	given       multiResp[T]
	givenW      multiResp[T]
	// transpose turns a block's rows into planes a square of features by samples at a
	// time, up to the last whole group of lanes' features (nil: Go's loop does it all).
	transpose func(planes, x []T, d, n int)
}

// blockedFrame is a worker's memory for the blocked kernels of one precision.
type blockedFrame[T Float] struct {
	planes  []T // the block's samples as planes
	centred []T // d planes of the samples less the moments' centre, then a plane of ones
	rd      []T // d + 1 planes: the centred ones weighted by a component's responsibilities, then those
	r, t    []T // K planes of log-joints, then exp(P_k - max); the maxima and c/S
	u       []T // K factors U_k, d x d, in T
	mean    []T // K x d: the means in T (float32: their float32 values)
	negb    []T // K x d: -b_k (float32; zeros for float64), see ../../asm/multi
	cnst    []T // K constants
	centre  []T // K x d: the centres of the moments in T
	acc     []float64
	ll      []float64
	sums    []float64 // one component's sums, in terms' order
	delta   []float64
	terms   [][2]int
	rounded MultiCoeffs
}

// blockRegs is how many registers of samples a block of d features holds: planes of about
// 32 KiB, and no more than multiBlock registers (float32 sums, products of exp-sums).
func blockRegs(d, bytes int) int { return max(1, min(multiBlock, 32768/(d*bytes))) }

// blockedFrame returns sc's blocked frame for T, c in the kernels' form and the sums
// zeroed.
func (t *multiTable[T]) blockedFrame(c *MultiCoeffs, sc *Scratch) *blockedFrame[T] {
	f := frameIn[T, blockedFrame[T]](sc, func(sc *Scratch) *[2]any { return &sc.blocked })
	k, d := c.K(), c.D
	nb := blockRegs(d, t.bytes) * lanes[T](t.bytes)
	f.planes = grow(f.planes, d*nb)
	f.centred, f.rd = grow(f.centred, (d+1)*nb), grow(f.rd, (d+1)*nb)
	for i := range nb {
		f.centred[d*nb+i] = 1
	}
	f.r, f.t = grow(f.r, k*nb), grow(f.t, 2*nb)
	f.mean, f.negb, f.cnst, f.centre = grow(f.mean, k*d), grow(f.negb, k*d), grow(f.cnst, k), grow(f.centre, k*d)
	if c.Diag { // U_k's diagonal alone, d values a component
		f.u = grow(f.u, k*d)
		for j := range k {
			for a := range d {
				f.u[j*d+a] = T(c.Prec[j*d*d+a*d+a])
			}
		}
	} else {
		f.u = grow(f.u, k*d*d)
		for i, v := range c.Prec {
			f.u[i] = T(v)
		}
	}
	centre := c.centre()
	for j := range k {
		f.cnst[j] = T(c.Const[j])
		for a := range d {
			mu := c.Mean[j*d+a]
			f.mean[j*d+a] = T(mu)
			f.centre[j*d+a] = T(centre[j*d+a])
			f.negb[j*d+a] = 0
		}
		if !is64[T]() {
			f.splitMean(c, j)
		}
	}
	f.terms = termsFor(f.terms, d, c.Diag)
	f.acc = grow(f.acc, k*accRegs(d, c.Diag)*lanes[float64](t.bytes))
	f.ll = grow(f.ll, lanes[float64](t.bytes))
	f.sums, f.delta = grow(f.sums, len(f.terms)), grow(f.delta, d)
	clear(f.acc)
	clear(f.ll)
	return f
}

// splitMean sets component j's -b, the rest of its means that float32 cannot hold beside
// their float32 values, through U: -b_l = -sum_{a <= l} U_al lo_a (see ../../asm/multi),
// -U_ll lo_l for diagonal factors.
func (f *blockedFrame[T]) splitMean(c *MultiCoeffs, j int) {
	d := c.D
	for a := range d {
		mu := c.Mean[j*d+a]
		lo := mu - float64(T(mu))
		if math.IsInf(lo, 0) || math.IsNaN(lo) || lo == 0 { // beyond float32 anyway, or nothing left
			continue
		}
		for l := a; l < d; l++ {
			if c.Diag && l != a {
				continue
			}
			f.negb[j*d+l] -= T(c.Prec[j*d*d+a*d+l] * lo)
		}
	}
}

// termsFor returns, in buf's memory, the moments' sums of d features in multiLayout's
// order: N ({-1, -1}), S_a ({a, -1}), then Q_ab ({a, b}, a <= b; a = b alone for
// diagonal factors) row by row.
func termsFor(buf [][2]int, d int, diag bool) [][2]int {
	buf = append(buf[:0], [2]int{-1, -1})
	for a := range d {
		buf = append(buf, [2]int{a, -1})
	}
	for a := range d {
		for b := a; b < d; b++ {
			if !diag || a == b {
				buf = append(buf, [2]int{a, b})
			}
		}
	}
	return buf
}

// accRegs is how many of acc's registers a component's sums take.
func accRegs(d int, diag bool) int {
	if diag {
		return 1 + 2*d
	}
	return (d + 1) * (d + 2) / 2
}

// accIndex returns where the blocked kernels' acc holds the sum of term tm of d
// features. Full factors: row a of the sums of a <= b <= d, where b = d stands for the
// plane of ones, so that (a, d) is S_a and (d, d) is N. Diagonal ones: N, S_0 .. S_{d-1},
// Q_00 .. Q_{d-1,d-1}.
func accIndex(tm [2]int, d int, diag bool) int {
	a, b := tm[0], tm[1]
	switch {
	case diag && a < 0:
		return 0
	case diag && b < 0:
		return 1 + a
	case diag:
		return 1 + d + a
	case a < 0:
		a, b = d, d
	case b < 0:
		b = d
	}
	return a*(d+1) - a*(a-1)/2 + b - a
}

// blockedEStep is the table's MultiEStep for d of BlockedDims or more: blocks of whole
// registers of samples as planes through the blocked kernels, the samples past the last
// whole register through Go's.
func (t *multiTable[T]) blockedEStep(in *multiInput[T], w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch) {
	f := t.blockedFrame(c, sc)
	k, d := c.K(), c.D
	nb := blockRegs(d, t.bytes) * lanes[T](t.bytes)
	bf := &t.blocked
	stride := accRegs(d, c.Diag) * lanes[float64](t.bytes)
	whole := t.blocks(f.planes, in, d, nb, func(lo, n int, planes, _ []T) {
		centred := f.centred[:(d+1)*n]
		for i := range n { // the plane of ones, at this block's stride
			centred[d*n+i] = 1
		}
		r := f.r[:k*n]
		t.blockedJoints(f, planes, n, c)
		if w == nil {
			bf.given(nil, nil, f.cnst, r, f.t, nil, f.ll, n)
		} else {
			bf.givenW(nil, w[lo:lo+n], f.cnst, r, f.t, nil, f.ll, n)
		}
		for j := range k {
			acc := f.acc[j*stride : (j+1)*stride]
			if c.Diag {
				bf.momentsDiag(planes, n, f.centre[j*d:(j+1)*d], r[j*n:(j+1)*n], f.t[n:2*n], acc)
				continue
			}
			bf.weigh(f.rd[:(d+1)*n], centred, planes, n, f.centre[j*d:(j+1)*d], r[j*n:(j+1)*n], f.t[n:2*n])
			bf.moments(f.rd[:(d+1)*n], centred, n, d, acc)
		}
	})
	f.addInto(s, c, lanes[float64](t.bytes))
	multiEStepIn(t.blockedTailRows(f, in, d, whole), WeightsOf(w, whole, in.n), f.tail(c), s, sc)
}

// blockedJoints sets f.r to the log-joints of the block's n samples, as planes, under
// every component of c (f in its form).
func (t *multiTable[T]) blockedJoints(f *blockedFrame[T], planes []T, n int, c *MultiCoeffs) {
	k, d := c.K(), c.D
	bf := &t.blocked
	for j := range k {
		dst := f.r[j*n : (j+1)*n]
		if c.Diag {
			bf.jointsDiag(dst, planes, n, f.mean[j*d:(j+1)*d], f.u[j*d:(j+1)*d], f.negb[j*d:(j+1)*d], f.cnst[j])
			continue
		}
		bf.joints(dst, planes, n, f.mean[j*d:(j+1)*d], f.u[j*d*d:(j+1)*d*d], f.negb[j*d:(j+1)*d], f.cnst[j])
	}
}

// blockedClassify is the table's MultiClassify for d of BlockedDims or more: the
// log-joints of blocks of whole registers of samples through the blocked kernels, the
// first largest of each sample's as the Go twin takes it (raise); the samples past the
// last whole register through Go's loop.
func (t *multiTable[T]) blockedClassify(dst []uint16, in *multiInput[T], c *MultiCoeffs, sc *Scratch) {
	f := t.blockedFrame(c, sc)
	k, d := c.K(), c.D
	whole := t.blocks(f.planes, in, d, blockRegs(d, t.bytes)*lanes[T](t.bytes), func(lo, n int, planes, _ []T) {
		t.blockedJoints(f, planes, n, c)
		for i := range n {
			best, top := uint64(negInf), -1
			for j := range k {
				best, top = raise(best, top, float64(f.r[j*n+i]), j)
			}
			dst[lo+i] = uint16(max(top, 0))
		}
	})
	multiClassifyIn(dst[whole:], t.blockedTailRows(f, in, d, whole), f.tail(c), sc)
}

// multiJoints is the table's MultiJoints: for d of BlockedDims or more, blocks of whole
// registers of samples through the blocked log-joints, the samples past the last whole
// register through Go's loop (under c as the lanes see it).
func (t *multiTable[T]) multiJoints(dst []float64, x []T, c *MultiCoeffs, sc *Scratch) bool {
	if c.D < BlockedDims {
		return false
	}
	f := t.blockedFrame(c, sc)
	k, d := c.K(), c.D
	total := len(x) / d
	whole := t.blocks(f.planes, &multiInput[T]{rows: x, n: total}, d, blockRegs(d, t.bytes)*lanes[T](t.bytes), func(lo, n int, planes, _ []T) {
		t.blockedJoints(f, planes, n, c)
		for j := range k {
			for i, v := range f.r[j*n : (j+1)*n] {
				dst[j*total+lo+i] = float64(v)
			}
		}
	})
	tail := f.tail(c)
	g := goScratch(sc, tail)
	var rows [goLanes][]float64
	for i := whole; i < total; i += goLanes {
		var xs [goLanes][]float64
		in := fourSamples(g, x, i, total, &xs)
		for r := range rows {
			rows[r] = g.p[r*k : (r+1)*k]
		}
		multiLogJoints(&rows, 1, g, &xs, tail)
		for r := range in {
			for j := range k {
				dst[j*total+i+r] = rows[r][j]
			}
		}
	}
	return true
}

// blockedTailRows returns in's samples from whole on, row-major: a slice of rows, or read
// as planes into f's buffer and turned into rows in another.
func (t *multiTable[T]) blockedTailRows(f *blockedFrame[T], in *multiInput[T], d, whole int) []T {
	if in.rows != nil {
		return in.rows[whole*d:]
	}
	nt := in.n - whole
	if nt == 0 {
		return nil
	}
	planes := f.planes[:d*nt]
	in.read(planes, in.lo+whole)
	rows := f.rd[:d*nt]
	for i := range nt {
		for j := range d {
			rows[i*d+j] = planes[j*nt+i]
		}
	}
	return rows
}

// tail returns c as the lanes of T see it (see multiFrame.tail).
func (f *blockedFrame[T]) tail(c *MultiCoeffs) *MultiCoeffs {
	if is64[T]() {
		return c
	}
	r := &f.rounded
	*r = MultiCoeffs{D: c.D, Diag: c.Diag, Const: rounded32(r.Const, c.Const), Mean: c.Mean,
		Prec: rounded32(r.Prec, c.Prec), Centre: c.centre()}
	return r
}

// addInto adds the frame's lane sums into s: each component's moments about its centre
// in T, moved onto c's centres where they differ (the diagonal alone of the second
// moments for diagonal factors), and the log-likelihood.
func (f *blockedFrame[T]) addInto(s *MultiStats, c *MultiCoeffs, l int) {
	d := c.D
	centre := c.centre()
	per := accRegs(d, c.Diag)
	for j := range c.K() {
		moved := false
		for a, o := range centre[j*d : (j+1)*d] {
			f.delta[a] = float64(f.centre[j*d+a]) - o
			moved = moved || f.delta[a] != 0
		}
		for ti, tm := range f.terms {
			i := j*per + accIndex(tm, d, c.Diag)
			f.sums[ti] = laneSum(f.acc[i*l : (i+1)*l])
		}
		if moved {
			moveSums(f.sums, f.terms, f.delta)
		}
		for ti, tm := range f.terms {
			switch {
			case tm[0] < 0:
				s.N[j] += f.sums[ti]
			case tm[1] < 0:
				s.S[j*d+tm[0]] += f.sums[ti]
			case !c.Diag || tm[0] == tm[1]:
				s.Q[(j*d+tm[0])*d+tm[1]] += f.sums[ti]
			}
		}
	}
	s.LogLik += laneSum(f.ll)
}
