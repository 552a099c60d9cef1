package main

import (
	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// samples loads the current register of samples and, for the weighted kernels, their
// weights (nil otherwise).
func (g *kernel) samples() (x, w VecVirtual) {
	x = g.p.Vec()
	g.p.Movu(g.x, x)
	if g.weighted {
		w = g.weights()
	}
	return x, w
}

// weights loads the current samples' weights as a register of T (float32 lanes narrow
// the float64 weights). Only for the weighted kernels.
func (g *kernel) weights() VecVirtual { return g.p.LoadWeights(g.w) }

// finish emits, from the max m and the exp-sum s, the log-likelihood's share of these
// samples, and returns the register of w/s (1/s unweighted), by which each
// exp(P_k - m) becomes r_k.
func (g *kernel) finish(m, s, w VecVirtual) VecVirtual {
	p := g.p
	ll := g.llMem()
	switch {
	case !g.weighted:
		g.prod.Add(m, s, ll) // m now; log s later, through the products
	case p.Is64():
		l := p.Vec()
		p.Log(s, l, emit.LogNormalPositive)
		p.Add(m, l, l)
		p.Mul(w, l, l)
		p.Add(ll, l, l)
		p.Movu(l, ll)
	default:
		// Widen m + log s: the low and high halves go to float64, times their weights.
		l := p.Vec()
		p.Log(s, l, emit.LogNormalPositive)
		p.Add(m, l, l)
		for half := range 2 {
			wide := g.widen(l, half)
			VMULPD(g.w.Offset(p.Width*half), wide, wide)
			VADDPD(ll, wide, wide)
			VMOVUPD(wide, ll)
		}
	}
	inv := p.Vec()
	if g.weighted {
		p.Div(s, w, inv)
	} else {
		p.Movu(p.C(1), inv)
		p.Div(s, inv, inv)
	}
	return inv
}

// widen returns half 0 (low) or 1 (high) of a float32 register as float64.
func (g *kernel) widen(v VecVirtual, half int) VecVirtual { return g.p.Widen(v, half) }

// accumulate emits, for responsibility r of component k at samples x (register xv):
// N += r, D += r d, B += r d^2 with d = x - centre, into the component's sums (float64, or
// the block's float32 ones). r is consumed.
func (g *kernel) accumulate(r, xv VecVirtual, coefBase, accBase Register, k int) {
	p := g.p
	d := p.Vec()
	p.Sub(g.coefMem(coefBase, k, offCentre), xv, d)
	// float64 lanes add into the float64 sums, float32 lanes into the block's float32 ones.
	mem := func(off int) Mem {
		if p.Is64() {
			return Mem{Base: accBase, Disp: g.at(k, off)}
		}
		return g.stat32(accBase, k, off)
	}
	n, dm, bm := mem(offN), mem(offD), mem(offB)
	t := p.Vec()
	p.Add(n, r, t)
	p.Movu(t, n)
	p.Mul(d, r, r) // r d
	p.Add(dm, r, t)
	p.Movu(t, dm)
	p.Movu(bm, t)
	p.FMAdd231(d, r, t) // B + (r d) d
	p.Movu(t, bm)
}

// responsibilities is pass 1 for one register of samples and a fixed K, with P_k in
// registers: it adds the log-likelihood's share and returns the K responsibilities.
func (g *kernel) responsibilities() []VecVirtual {
	p := g.p
	x, w := g.samples()
	pk := make([]VecVirtual, g.k)
	m := p.Vec()
	for k := range pk {
		pk[k] = p.Vec()
		p.LogJoint(x, pk[k], g.coefMem(g.coef, k, offConst), g.coefMem(g.coef, k, offMean), g.coefMem(g.coef, k, offHalfPrec), g.lin(g.coef, k))
		if k == 0 {
			p.Movu(pk[0], m)
		} else {
			p.Max(pk[k], m, m)
		}
	}
	for k := range pk {
		p.Sub(m, pk[k], pk[k])
	}
	var s VecVirtual
	if g.k <= 3 {
		s = g.expsSkippingTheMax(pk)
	} else {
		for k := range pk {
			e := p.Vec()
			p.Exp(pk[k], e, emit.ExpFlushed)
			pk[k] = e
		}
		s = p.Vec()
		p.Movu(pk[0], s)
		for _, e := range pk[1:] {
			p.Add(e, s, s)
		}
	}
	inv := g.finish(m, s, w)
	for _, e := range pk {
		p.Mul(inv, e, e)
	}
	return pk
}

// expsSkippingTheMax replaces each a_k = P_k - max by exp(a_k), for K = 2 or 3, with one
// exp fewer: in every lane one a_k is 0, whose exp is exactly 1, so only the others need
// computing. For K = 2 that is min(a_0, a_1); for K = 3, the lowest and the median. Each
// component then takes 1 where a_k = 0, else the exp of the value it equals: the same
// bits as computing all K. It returns their sum S, taken straight from the exps (the
// smaller ones first, then 1), so that the division need not wait for the mapping.
func (g *kernel) expsSkippingTheMax(a []VecVirtual) VecVirtual {
	p := g.p
	var args []VecVirtual
	lo := p.Vec()
	p.Min(a[1], a[0], lo)
	switch len(a) {
	case 2:
		args = []VecVirtual{lo}
	case 3:
		mid, hi := p.Vec(), p.Vec()
		p.Max(a[1], a[0], hi)
		p.Min(a[2], hi, hi)
		p.Max(hi, lo, mid) // median: max(min(a0, a1), min(max(a0, a1), a2))
		p.Min(a[2], lo, lo)
		args = []VecVirtual{lo, mid}
	}
	exps := make([]VecVirtual, len(args))
	for i, v := range args {
		exps[i] = p.Vec()
		p.Exp(v, exps[i], emit.ExpFlushed)
	}
	s := p.Vec()
	p.Movu(exps[0], s)
	for _, e := range exps[1:] {
		p.Add(e, s, s)
	}
	p.Add(p.C(1), s, s)
	mask := p.Mask()
	for k, v := range a {
		e := p.Vec()
		if len(exps) == 1 {
			p.Movu(exps[0], e)
		} else {
			p.Cmp(U8(emit.CmpEQ), lo, v, mask)
			p.Blend(mask, exps[0], exps[1], e)
		}
		p.Cmp(U8(emit.CmpEQ), p.C(0), v, mask)
		p.Blend(mask, p.C(1), e, e)
		a[k] = e
	}
	return s
}

// generalBody is one register of samples for any K, looping over the components with
// P_k and then exp(P_k - max) kept in scratch.
func (g *kernel) generalBody() {
	p := g.p
	x, w := g.samples()
	m, s := p.Vec(), p.Vec()
	p.Movu(p.C(-1/zero), m)
	g.components("max", func(cp, _, sp Register) {
		pk := p.Vec()
		p.LogJoint(x, pk, g.coefMem(cp, 0, offConst), g.coefMem(cp, 0, offMean), g.coefMem(cp, 0, offHalfPrec), g.lin(cp, 0))
		p.Movu(pk, Mem{Base: sp})
		p.Max(pk, m, m)
	})
	p.Zero(s)
	g.components("exp", func(_, _, sp Register) { p.ExpSumTerm(Mem{Base: sp}, m, s, p.FlushedExp) })
	inv := g.finish(m, s, w)
	g.components("acc", func(cp, ap, sp Register) {
		r := p.Vec()
		p.Movu(Mem{Base: sp}, r)
		p.Mul(inv, r, r)
		g.accumulate(r, x, cp, ap, 0)
	})
}

var zero = 0.0

// components emits a loop over the K components; body gets pointers to component k's
// coefficients, accumulators and scratch register.
func (g *kernel) components(label string, body func(cp, ap, sp Register)) {
	cp, ap, sp, left := GP64(), GP64(), GP64(), GP64()
	MOVQ(g.coef, cp)
	MOVQ(g.acc, ap)
	MOVQ(g.scratch, sp)
	MOVQ(g.ncomp, left)
	Label(label)
	body(cp, ap, sp)
	ADDQ(imm(g.coefAt(1, 0)), cp)
	ADDQ(imm(g.at(1, 0)), ap)
	ADDQ(imm(g.p.Width), sp)
	DECQ(left)
	JNZ(LabelRef(label))
}
