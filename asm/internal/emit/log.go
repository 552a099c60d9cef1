package emit

import (
	"math"

	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// LogDomain says what arguments an inlined Log must handle.
type LogDomain int

const (
	// LogAll: any argument: subnormals, zero, negatives, infinities, NaN.
	LogAll LogDomain = iota
	// LogNormalPositive: finite normal arguments > 0, such as the E-step's sum of
	// exponentials in [1, K]; the results are the same bits as LogAll's.
	LogNormalPositive
)

// Log emits dst = log(x) lane by lane, the operations of vmath.Log64/Log32. x is left
// unchanged; dst must differ from x.
func (p *Prec) Log(x, dst VecVirtual, dom LogDomain) {
	tiny, scale, expMagic, sqrt2, ln2hi, ln2lo, nan, a := p.logConsts()
	one := p.C(1)
	xs := x
	var adj VecVirtual
	if dom == LogAll {
		xs, adj = p.logScaleSubnormals(x, tiny, scale)
	}
	e, m, t, big := p.logSplit(xs, adj, one, scale, expMagic, sqrt2)
	f := p.logSeries(e, m, t, big, one, a, ln2hi, ln2lo)
	if dom == LogAll {
		p.logSpecials(x, f, nan)
	}
	p.Movu(f, dst)
}

// logScaleSubnormals returns x with its subnormal lanes scaled by 2^MantBits, and the
// amount (-MantBits there, 0 elsewhere) to take off their exponent.
func (p *Prec) logScaleSubnormals(x VecVirtual, tiny, scale float64) (scaled, adj VecVirtual) {
	mask := p.Mask()
	scaled, adj = p.Vec(), p.Vec()
	p.Cmp(operand.U8(CmpLT), p.C(tiny), x, mask)
	p.Mul(p.C(scale), x, scaled)
	p.Blend(mask, scaled, x, scaled)
	if p.EVEX {
		p.Zero(adj)
		p.Blend(mask, p.C(-float64(p.MantBits)), adj, adj)
	} else {
		p.And(p.C(-float64(p.MantBits)), mask, adj)
	}
	return scaled, adj
}

// logSplit splits the positive normal xs into its exponent e (plus adj, when set) and
// its mantissa m in [sqrt(1/2), sqrt(2)); t and big are registers it leaves free.
func (p *Prec) logSplit(xs, adj VecVirtual, one operand.Op, scale, expMagic, sqrt2 float64) (e, m, t VecVirtual, big Register) {
	e = p.Vec()
	p.ShiftRight(operand.U8(p.MantBits), xs, e)
	p.Or(p.C(scale), e, e) // 2^MantBits + the biased exponent
	p.Sub(p.C(expMagic), e, e)
	if adj != nil {
		p.Add(adj, e, e)
	}
	m = p.Vec()
	p.And(p.Bits(p.mantMask()), xs, m)
	p.Or(one, m, m)
	big, t = p.Mask(), p.Vec()
	p.Cmp(operand.U8(CmpGT), p.C(sqrt2), m, big)
	p.Mul(p.C(0.5), m, t)
	p.Blend(big, t, m, m)
	if p.EVEX {
		p.Add(one, e, big, e) // merge-masked: only where big
	} else {
		p.And(one, big, big)
		p.Add(big, e, e)
	}
	return e, m, t, big
}

// logSeries returns log(m) + e ln2 = f - s (f - R(s^2)) + e ln2, f = m - 1, s = f/(2+f),
// in m's register; t and big are free registers.
func (p *Prec) logSeries(e, m, t VecVirtual, big Register, one operand.Op, a []float64, ln2hi, ln2lo float64) VecVirtual {
	f := m // m - 1
	p.Sub(one, m, f)
	s := p.reuse(big)
	p.Add(p.C(2), f, t)
	p.Div(t, f, s)
	z := t
	p.Mul(s, s, z)
	rz := p.Vec()
	p.Movu(p.C(a[len(a)-1]), rz)
	for j := len(a) - 2; j >= 0; j-- {
		p.FMAdd213(p.C(a[j]), z, rz)
	}
	p.Mul(z, rz, rz)
	p.Sub(rz, f, rz) // f - R
	p.FNMAdd231(s, rz, f)
	p.FMAdd231(p.C(ln2lo), e, f)
	p.FMAdd231(p.C(ln2hi), e, f)
	return f
}

// logSpecials sets the lanes of f whose x is 0, +Inf, negative or NaN to log's value
// there.
func (p *Prec) logSpecials(x, f VecVirtual, nan float64) {
	mask := p.Mask()
	for _, c := range []struct {
		pred int
		cmp  operand.Op
		val  operand.Op
	}{
		{CmpEQ, p.C(0), p.C(math.Inf(-1))},
		{CmpEQ, p.C(math.Inf(1)), p.C(math.Inf(1))},
		{CmpLT, p.C(0), p.C(nan)},
		{CmpUnord, x, x},
	} {
		p.Cmp(operand.U8(c.pred), c.cmp, x, mask)
		p.Blend(mask, c.val, f, f)
	}
}

// mantMask is the mask of the explicit mantissa bits.
func (p *Prec) mantMask() uint64 { return 1<<p.MantBits - 1 }
