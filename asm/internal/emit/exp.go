package emit

import (
	"math"

	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Estrin emits sum_k c[k] x^k into dst, evaluated in internal/vmath's Estrin order (the
// same operations, so the same bits), depth first to keep few registers live. dst must
// differ from x. It returns the powers x^(2^l) it uses, x itself first.
func (p *Prec) Estrin(c []float64, x, dst VecVirtual) (pows []VecVirtual) {
	levels := 0
	for 1<<levels < len(c) {
		levels++
	}
	pows = []VecVirtual{x} // pows[l] = x^(2^l)
	for l := 1; l < levels; l++ {
		q := p.Vec()
		p.Mul(pows[l-1], pows[l-1], q)
		pows = append(pows, q)
	}
	// node(l, j) is the sum over c[j 2^l : (j+1) 2^l], times powers of x from x^0.
	var node func(l, j int) VecVirtual
	node = func(l, j int) VecVirtual {
		if l == 1 {
			v := dst // the leftmost leaf is the root's register: the sum ends there
			if j > 0 {
				v = p.Vec()
			}
			p.Movu(p.C(c[2*j]), v)
			if 2*j+1 < len(c) {
				p.FMAdd231(p.C(c[2*j+1]), x, v)
			}
			return v
		}
		left := node(l-1, 2*j)
		if (2*j+1)<<(l-1) < len(c) {
			right := node(l-1, 2*j+1)
			p.FMAdd231(right, pows[l-1], left)
		}
		return left
	}
	node(levels, 0)
	return pows
}

// ExpDomain says what arguments an inlined Exp must handle.
type ExpDomain int

const (
	// ExpAll: any argument, NaN and infinities included.
	ExpAll ExpDomain = iota
	// ExpNonPositive: finite arguments <= 0, as in ExpSumStable (P - max P). The upper
	// clamp and the NaN fix-up are left out; the results are the same bits as ExpAll's.
	ExpNonPositive
	// ExpFlushed: finite arguments <= 0 in the E-step, vmath.ExpFlushed64's bits: 0 below
	// ExpFlush, and above it 2^n added straight into the exponent bits, which is shorter
	// and quicker than the two-part scaling the subnormal range needs.
	ExpFlushed
)

// Exp emits dst = e^x lane by lane, the operations of vmath.Exp64/Exp32. x is left
// unchanged; dst must differ from x.
func (p *Prec) Exp(x, dst VecVirtual, dom ExpDomain) {
	lo, hi, flush, ln2hi, ln2lo, shifter, magic, c := p.expConsts()
	r := p.Vec()
	switch dom {
	case ExpAll:
		p.Max(p.C(lo), x, r)
		p.Min(p.C(hi), r, r)
	case ExpNonPositive:
		p.Max(p.C(lo), x, r)
	case ExpFlushed:
		// No clamp: the lanes below the flush point, whatever garbage they compute
		// (infinities, NaN), are cleared at the end.
		p.Movu(x, r)
	}
	// n = round(r log2 e): t = r log2 e + shifter in one rounding, n = t - shifter.
	t, n := p.Vec(), p.Vec()
	p.Movu(p.C(shifter), t)
	p.FMAdd231(p.C(math.Log2E), r, t)
	p.Sub(p.C(shifter), t, n)
	p.FNMAdd231(p.C(ln2hi), n, r)
	p.FNMAdd231(p.C(ln2lo), n, r)
	// (Estrin(c[2:]) r + c1) r + c0.
	p.Estrin(c[2:], r, dst)
	p.FMAdd213(p.C(c[1]), r, dst)
	p.FMAdd213(p.C(c[0]), r, dst)
	if dom == ExpFlushed {
		// 2^n into the exponent field: the low bits of t = shifter + n hold n.
		p.ShiftLeft(operand.U8(p.MantBits), t, t)
		if p.EVEX { // the lanes below the flush point zeroed by the addition's mask
			keep := p.Mask()
			p.Cmp(operand.U8(CmpNLT), p.C(flush), x, keep)
			p.AddIntZ(t, dst, keep, dst)
			return
		}
		p.AddInt(t, dst, dst)
		p.Cmp(operand.U8(CmpLT), p.C(flush), x, n) // n is spent: it holds the lanes to clear
		p.AndNot(dst, n, dst)
		return
	}
	n1 := r // r is no longer needed
	p.expScale(n, n1, dst, magic)
	if dom == ExpAll {
		var nan Register = n1
		if p.EVEX {
			nan = p.Mask()
		}
		p.Cmp(operand.U8(CmpUnord), x, x, nan)
		p.Blend(nan, x, dst, dst)
	}
}

// FlushedExp is Exp of the domain ExpFlushed.
func (p *Prec) FlushedExp(x, dst VecVirtual) { p.Exp(x, dst, ExpFlushed) }

// expScale multiplies dst by 2^n, built in the exponent bits as 2^n1 * 2^n2 with
// n1 = floor(n/2) so that subnormal and near-overflow results are right; n1 is a free
// register, and n is overwritten.
func (p *Prec) expScale(n, n1, dst VecVirtual, magic float64) {
	p.Mul(p.C(0.5), n, n1)
	p.Round(operand.U8(RoundFloor), n1, n1)
	p.Sub(n1, n, n)
	for _, part := range []VecVirtual{n1, n} {
		p.Add(p.C(magic), part, part)
		p.ShiftLeft(operand.U8(p.MantBits), part, part)
		p.Mul(part, dst, dst)
	}
}
