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

// scratchK is the largest K whose per-call scratch lives on the stack.
const scratchK = 16

// scratch returns a K-length buffer, from buf when it is large enough.
func scratch(buf *[scratchK]float64, k int) []float64 {
	if k <= scratchK {
		return buf[:k]
	}
	return make([]float64, k)
}

// quad is the weighted log-density cnst - halfPrec*(x-mean)^2 as every implementation
// computes it: one fused multiply-add of -(halfPrec*d)*d onto cnst.
func quad(x, cnst, mean, halfPrec float64) float64 {
	d := x - mean
	return math.FMA(-(halfPrec * d), d, cnst)
}

// logJoint writes P_k(x) to p and returns max_k P_k(x), starting from -Inf.
func logJoint(p []float64, x float64, c *Coeffs) float64 {
	m := math.Inf(-1)
	for k := range p {
		v := quad(x, c.Const[k], c.Mean[k], c.HalfPrec[k])
		p[k] = v
		if v > m {
			m = v
		}
	}
	return m
}

func logNormPDF[T Float](dst, x []T, cnst, mean, halfPrec float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = T(quad(float64(v), cnst, mean, halfPrec))
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

func eStep[T Float](x []T, w []float64, c *Coeffs, s *Stats) {
	var buf [scratchK]float64
	e := scratch(&buf, c.K())
	// The block's sums live on the stack up to scratchK components.
	var blockBuf [3 * scratchK]float64
	k := c.K()
	blockSums := blockBuf[:]
	if 3*k > len(blockBuf) {
		blockSums = make([]float64, 3*k)
	}
	block := statsIn(blockSums, k)
	for lo := 0; lo < len(x); lo += eStepBlock {
		hi := min(lo+eStepBlock, len(x))
		block.Reset()
		eStepSums(x[lo:hi], weightsOf(w, lo, hi), c, e, &block)
		s.Add(&block)
	}
}

// eStepSums adds the statistics of x (weights w, nil for all ones) under c into s; e is
// scratch of K entries.
func eStepSums[T Float](x []T, w []float64, c *Coeffs, e []float64, s *Stats) {
	ll := 0.0
	for i, v := range x {
		xv := float64(v)
		m := logJoint(e, xv, c)
		sum := 0.0
		for k, pv := range e {
			ek := 0.0 // where every P_k is -Inf, as in the SIMD lanes: log p is -Inf
			if m > math.Inf(-1) {
				ek = vmath.ExpFlushed64(pv - m)
			}
			e[k] = ek
			sum += ek
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		ll += wi * (m + vmath.Log64(sum))
		scale := wi / sum
		for k, ek := range e {
			r := ek * scale
			d := xv - c.Mean[k]
			rd := r * d
			s.N[k] += r
			s.D[k] += rd
			s.B[k] = math.FMA(rd, d, s.B[k])
		}
	}
	s.LogLik += ll
}

func classify[T Float](dst []uint16, x []T, c *Coeffs) {
	dst = dst[:len(x)]
	for i, v := range x {
		xv := float64(v)
		best, arg := math.Inf(-1), 0
		for k := range c.Mean {
			if p := quad(xv, c.Const[k], c.Mean[k], c.HalfPrec[k]); p > best {
				best, arg = p, k
			}
		}
		dst[i] = uint16(arg)
	}
}
