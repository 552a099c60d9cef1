package kernel

import "math"

// Float is the element type of a data slice.
type Float interface{ float32 | float64 }

// scratchK is the largest K whose per-call scratch lives on the stack.
const scratchK = 16

// scratch returns a K-length buffer, from buf when it is large enough.
func scratch(buf *[scratchK]float64, k int) []float64 {
	if k <= scratchK {
		return buf[:k]
	}
	return make([]float64, k)
}

// logJoint writes P_k(x) to p and returns max_k P_k(x), starting from -Inf.
func logJoint(p []float64, x float64, c *Coeffs) float64 {
	m := math.Inf(-1)
	for k := range p {
		d := x - c.Mean[k]
		v := c.Const[k] - c.HalfPrec[k]*d*d
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
		d := float64(v) - mean
		dst[i] = T(cnst - halfPrec*d*d)
	}
}

func expSumStable[T Float](p, pmax, expsum, x []T, c *Coeffs) {
	n := len(x)
	pmax, expsum = pmax[:n], expsum[:n]
	var buf [scratchK]float64
	pk := scratch(&buf, c.K())
	for i, v := range x {
		m := logJoint(pk, float64(v), c)
		s := 0.0
		for k, pv := range pk {
			p[k*n+i] = T(pv)
			s += math.Exp(pv - m)
		}
		pmax[i] = T(m)
		expsum[i] = T(s)
	}
}

func eStep[T Float](x []T, w []float64, c *Coeffs, s *Stats) {
	var buf [scratchK]float64
	e := scratch(&buf, c.K())
	ll := 0.0
	for i, v := range x {
		xv := float64(v)
		m := logJoint(e, xv, c)
		sum := 0.0
		for k, pv := range e {
			ek := math.Exp(pv - m)
			e[k] = ek
			sum += ek
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		ll += wi * (m + math.Log(sum))
		scale := wi / sum
		for k, ek := range e {
			r := ek * scale
			d := xv - c.Mean[k]
			rd := r * d
			s.N[k] += r
			s.D[k] += rd
			s.B[k] += rd * d
		}
	}
	s.LogLik += ll
}

func scoreSamples[T Float](dst []float64, x []T, c *Coeffs) {
	dst = dst[:len(x)]
	var buf [scratchK]float64
	p := scratch(&buf, c.K())
	for i, v := range x {
		m := logJoint(p, float64(v), c)
		sum := 0.0
		for _, pv := range p {
			sum += math.Exp(pv - m)
		}
		dst[i] = m + math.Log(sum)
	}
}

func classify[T Float](dst []uint16, x []T, c *Coeffs) {
	dst = dst[:len(x)]
	for i, v := range x {
		xv := float64(v)
		best, arg := math.Inf(-1), 0
		for k := range c.Mean {
			d := xv - c.Mean[k]
			if p := c.Const[k] - c.HalfPrec[k]*d*d; p > best {
				best, arg = p, k
			}
		}
		dst[i] = uint16(arg)
	}
}
