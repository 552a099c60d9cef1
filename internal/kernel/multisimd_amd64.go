//go:build amd64 && gc && !purego && !noasm

package kernel

import "sync"

// multiResp and multiMoments are the signatures of the generated multichannel sweeps (see
// ../../asm/multi).
type (
	multiResp[T Float]     func(x []T, w []float64, coef []T, r []T, ll []float64, n int)
	multiMoments[T Float]  func(x []T, r []T, mu []T, acc []float64, n int)
	multiClassify[T Float] func(dst []uint16, x []T, coef []T, n int)
)

// multiShape is one shape's generated functions: the two sweeps (unweighted and weighted
// responsibilities, and the moments) and the labelling.
type multiShape[T Float] struct {
	resp, respW multiResp[T]
	moments     multiMoments[T]
	classify    multiClassify[T]
}

// multiTable is one instruction set's multichannel E-step for one precision: its sweeps
// by D (2 to 4) and diagonal or full factor, the width of its registers, and a pool of
// frames.
type multiTable[T Float] struct {
	bytes  int
	full   [5]multiShape[T]
	diag   [5]multiShape[T]
	frames sync.Pool
}

// multiBlock is how many registers of samples a block holds: the sweeps' limit (float32
// sums of a block stay within 32 terms a lane, and the products of S within 2^512).
const multiBlock = 32

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

// multiFrame is the memory of a multichannel E-step call: c in the sweeps' layout, a block of samples as planes, its responsibilities, the moments' lanes (K x
// terms registers of float64) and the log-likelihood's lanes.
type multiFrame[T Float] struct {
	coef, planes, r []T
	acc, ll         []float64
	// The samples past the last whole register go one by one through Generic's code,
	// under c rounded to T, as the lanes see it.
	tail MultiCoeffs
	gen  multiScratch
	xs   []float64
}

// factorTerms returns U's entries (i, j) in the sweeps' order: column by column down to
// the diagonal, or the diagonal alone.
func factorTerms(d int, diag bool) [][2]int {
	var out [][2]int
	for j := range d {
		for i := range j + 1 {
			if !diag || i == j {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

// momentTerms returns the moments' sums in the sweeps' order as indices into MultiStats'
// S (one feature, l = -1) and Q (j, l): N first ({-1, -1}), then S_j, then Q_jl row by row.
func momentTerms(d int, diag bool) [][2]int {
	out := [][2]int{{-1, -1}}
	for j := range d {
		out = append(out, [2]int{j, -1})
	}
	for j := range d {
		for l := j; l < d; l++ {
			if !diag || l == j {
				out = append(out, [2]int{j, l})
			}
		}
	}
	return out
}

// frame returns a frame for c from the pool, c in its layout and the sums zeroed; put it back
// with t.frames.Put.
func (t *multiTable[T]) frame(c *MultiCoeffs) *multiFrame[T] {
	f, _ := t.frames.Get().(*multiFrame[T])
	if f == nil {
		f = new(multiFrame[T])
	}
	k, d, l := c.K(), c.D, lanes[T](t.bytes)
	u := factorTerms(d, c.Diag)
	vals := 1 + d + len(u)
	f.coef = grow(f.coef, k*vals)
	for j := range k {
		v := f.coef[j*vals : (j+1)*vals]
		v[0] = T(c.Const[j])
		for a := range d {
			v[1+a] = T(c.Mean[j*d+a])
		}
		for i, e := range u {
			v[1+d+i] = T(c.Prec[j*d*d+e[0]*d+e[1]])
		}
	}
	f.planes = grow(f.planes, d*multiBlock*l)
	f.r = grow(f.r, k*multiBlock*l)
	f.acc = grow(f.acc, k*len(momentTerms(d, c.Diag))*lanes[float64](t.bytes))
	f.ll = grow(f.ll, lanes[float64](t.bytes))
	clear(f.acc)
	clear(f.ll)
	f.gen = multiScratch{p: grow(f.gen.p, k), diff: grow(f.gen.diff, d)}
	f.xs = grow(f.xs, d)
	f.tail = MultiCoeffs{D: d, Diag: c.Diag, Const: roundedTo[T](f.tail.Const, c.Const),
		Mean: roundedTo[T](f.tail.Mean, c.Mean), Prec: roundedTo[T](f.tail.Prec, c.Prec)}
	return f
}

// roundedTo returns v's values rounded to T, in buf's memory if it is large enough.
func roundedTo[T Float](buf, v []float64) []float64 {
	buf = grow(buf, len(v))
	for i, x := range v {
		buf[i] = float64(T(x))
	}
	return buf
}

// eStep is the table's MultiEStep: for D of 2 to 4, blocks of whole registers of samples,
// transposed to planes, through the two sweeps; the samples past the last whole register
// one by one through Generic's code, under c rounded to T. Other D run Generic's kernel.
func (t *multiTable[T]) eStep(x []T, w []float64, c *MultiCoeffs, s *MultiStats) {
	sh := t.shape(c)
	if sh == nil {
		MultiEStep(x, w, c, s)
		return
	}
	f := t.frame(c)
	defer t.frames.Put(f)
	d, k, l := c.D, c.K(), lanes[T](t.bytes)
	n := len(x) / d
	whole := n &^ (l - 1)
	vals := 1 + d + len(factorTerms(d, c.Diag))
	terms := momentTerms(d, c.Diag)
	stride := len(terms) * lanes[float64](t.bytes)
	for lo := 0; lo < whole; lo += multiBlock * l {
		nb := min(multiBlock*l, whole-lo)
		planes := f.planes[:d*nb]
		transpose(planes, x[lo*d:(lo+nb)*d], d, nb)
		r := f.r[:k*nb]
		if w == nil {
			sh.resp(planes, nil, f.coef, r, f.ll, nb)
		} else {
			sh.respW(planes, w[lo:lo+nb], f.coef, r, f.ll, nb)
		}
		for j := range k {
			mu := f.coef[j*vals+1 : j*vals+1+d]
			sh.moments(planes, r[j*nb:(j+1)*nb], mu, f.acc[j*stride:(j+1)*stride], nb)
		}
	}
	f.addInto(s, terms, k, d, lanes[float64](t.bytes))
	for i := whole; i < n; i++ {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		multiSampleStats(sample(f.xs, x, i), wi, &f.tail, f.gen, s)
	}
}

// addInto adds the frame's lane sums into s: the moments of the k components (the
// terms' order) and the log-likelihood.
func (f *multiFrame[T]) addInto(s *MultiStats, terms [][2]int, k, d, l int) {
	for j := range k {
		for ti, tm := range terms {
			v := laneSum(f.acc[(j*len(terms)+ti)*l : (j*len(terms)+ti+1)*l])
			switch {
			case tm[0] < 0:
				s.N[j] += v
			case tm[1] < 0:
				s.S[j*d+tm[0]] += v
			default:
				s.Q[(j*d+tm[0])*d+tm[1]] += v
			}
		}
	}
	s.LogLik += laneSum(f.ll)
}

// classify is the table's MultiClassify: for D of 2 to 4, blocks of whole registers of
// samples, transposed to planes, through the generated labelling; the samples past the
// last whole register one by one through Generic's code, under c rounded to T. Other D
// run Generic's kernel.
func (t *multiTable[T]) classify(dst []uint16, x []T, c *MultiCoeffs) {
	sh := t.shape(c)
	if sh == nil {
		MultiClassify(dst, x, c)
		return
	}
	f := t.frame(c)
	defer t.frames.Put(f)
	d, l := c.D, lanes[T](t.bytes)
	n := len(dst)
	whole := n &^ (l - 1)
	for lo := 0; lo < whole; lo += multiBlock * l {
		nb := min(multiBlock*l, whole-lo)
		planes := f.planes[:d*nb]
		transpose(planes, x[lo*d:(lo+nb)*d], d, nb)
		sh.classify(dst[lo:lo+nb], planes, f.coef, nb)
	}
	MultiClassify(dst[whole:], x[whole*d:], &f.tail)
}
