package main

import (
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// resp emits the first sweep (see the package comment) of p's lanes for shape s.
func resp(p, dbl *emit.Prec, s shape, weighted bool) {
	fn := "multiResp" + p.ISA.Name + p.Name + s.suffix()
	weight := "1"
	if weighted {
		fn, weight = fn+"W", "w[i]"
	}
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, w []float64, coef []%[1]s, r []%[1]s, t []%[1]s, ahead []%[1]s, ll []float64, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes, for the n samples of %d features whose planes x holds (n a multiple of %d, at most %d; "+
		"plane j at x[j*n:]) and the K = len(coef)/%d components in coef (layout: see the generator), "+
		"with c = %s, P_k the weighted log-density of sample i and m its largest: r[k*n+i] = exp(P_k - m), "+
		"t[i] = m and t[n+i] = c / sum_j exp(P_j - m), so that r[k*n+i] t[n+i] is the responsibility; "+
		"it adds sum_i c log sum_k exp(P_k) to the sum of ll's %d lanes. ahead[:%d n] is fetched into the cache "+
		"(the next block's samples: a prefetch, which reads nothing and never faults).",
		fn, s.d, p.Lanes, 32*p.Lanes, s.values(p), weight, dbl.Lanes, s.d))
	if s.d == 0 {
		Doc(fmt.Sprintf("%s takes the n samples' log-joints, P_k in r[k*n+i], for the K = len(coef) components (coef's values unread), "+
			"and with c = %s and m the largest P_k of sample i sets r[k*n+i] = exp(P_k - m), t[i] = m and t[n+i] = c / sum_j exp(P_j - m) "+
			"(n a multiple of %d, at most %d), adding sum_i c log sum_k exp(P_k) to the sum of ll's %d lanes. x and ahead are unread.",
			fn, weight, p.Lanes, 32*p.Lanes, dbl.Lanes))
	}
	p.Begin()
	g := &sweep{p: p, dbl: dbl, s: s}
	g.coef = Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())
	g.end = GP64()
	LEAQ(Mem{Base: g.coef, Index: ncoef, Scale: uint8(p.Size)}, g.end)
	g.stride = GP64()
	IMUL3Q(U8(p.Size), Load(Param("n"), GP64()), g.stride)
	if s.d > 0 {
		g.logJoints()
	}
	g.maxima()
	g.exps()
	g.finishAll(weighted)
	VZEROUPPER()
	RET()
}

// sweep is the state of a resp or classify function being emitted.
type sweep struct {
	p, dbl    *emit.Prec
	s         shape
	coef, end Register // coef's base and end
	stride    Register // bytes from one plane of x, r or t to the next
}

// components emits a loop over the components: body gets the pointer to component k's
// coefficients and to plane k of r at base.
func (g *sweep) components(label string, base Register, body func(cp, rk Register)) {
	cp, rk := GP64(), GP64()
	MOVQ(g.coef, cp)
	MOVQ(base, rk)
	Label(label)
	body(cp, rk)
	ADDQ(U32(g.s.values(g.p)*g.p.Size), cp)
	ADDQ(g.stride, rk)
	CMPQ(cp, g.end)
	JB(LabelRef(label))
}

// registers emits a loop over the block's registers of samples that advances each of ptrs
// by a register of T.
func (g *sweep) registers(label string, body func(), ptrs ...Register) {
	steps := make([]emit.Ptr, len(ptrs))
	for i, r := range ptrs {
		steps[i] = emit.Ptr{Reg: r, Step: g.p.Width}
	}
	g.p.VectorLoop(label, Load(Param("n"), GP64()), steps, body)
}

// copyOf returns a new register holding r's value.
func copyOf(r Register) Register {
	c := GP64()
	MOVQ(r, c)
	return c
}

// logJoints emits the first loop: component by component, P_k of every register of the
// block into plane k of r. The registers of a component are independent of each other,
// so that the CPU overlaps their chains of dependent operations; the component's
// coefficients are broadcast once where the registers hold them all.
func (g *sweep) logJoints() {
	rb := Load(Param("r").Base(), GP64())
	g.components("joints", rb, func(cp, rk Register) {
		value := g.coefficients(cp)
		x := Load(Param("x").Base(), GP64())
		xp := newPlanes(x, Load(Param("n"), GP64()), g.s.d, g.p.Size)
		rp := copyOf(rk)
		g.registers("joint", func() { g.p.Movu(g.logJoint(g.samples(xp), value), Mem{Base: rp}) }, x, rp)
	})
}

// coefficient returns the values of the component at cp as the log-joint uses them, each
// broadcast to a register at its use.
func (g *sweep) coefficient(cp Register) func(i int) VecVirtual {
	return func(i int) VecVirtual {
		v := g.p.Vec()
		g.p.Broadcast(Mem{Base: cp, Disp: i * g.p.Size}, v)
		return v
	}
}

// coefficients returns the values of the component at cp for a loop over registers:
// broadcast once, before it, where the registers hold them beside the loop's (AVX-512),
// else at each use.
func (g *sweep) coefficients(cp Register) func(i int) VecVirtual {
	load := g.coefficient(cp)
	if !g.p.EVEX {
		return load
	}
	held := make([]VecVirtual, g.s.values(g.p))
	for i := range held {
		held[i] = load(i)
	}
	return func(i int) VecVirtual { return held[i] }
}

// samples loads the current register of each plane.
func (g *sweep) samples(xp planes) []VecVirtual {
	xs := make([]VecVirtual, g.s.d)
	for j := range xs {
		xs[j] = g.p.Vec()
		g.p.Movu(xp.at(j), xs[j])
	}
	return xs
}

// maxima emits the second loop: register by register, the maximum of P_k over the
// components into t (0 where every P_k is -Inf, which makes every exp(P_k - max) 0, as
// the Go twin has it), and the exp-sums, at t[n:], zeroed.
func (g *sweep) maxima() {
	p := g.p
	rp := Load(Param("r").Base(), GP64())
	tp := Load(Param("t").Base(), GP64())
	ap := Load(Param("ahead").Base(), GP64())
	g.registers("max", func() {
		// A register's samples of the next block, the lines that hold them.
		span := g.s.d * p.Width
		for off := 0; off < span; off += 64 {
			PREFETCHT0(Mem{Base: ap, Disp: off})
		}
		ADDQ(U32(span), ap)
		m := p.Vec()
		p.Movu(p.C(math.Inf(-1)), m)
		g.components("maxk", rp, func(_, rk Register) { p.Max(Mem{Base: rk}, m, m) })
		mask := p.Mask()
		p.Cmp(U8(emit.CmpEQ), p.C(math.Inf(-1)), m, mask)
		p.Blend(mask, p.C(0), m, m)
		p.Movu(m, Mem{Base: tp})
		p.Zero(m)
		p.Movu(m, g.sums(tp))
	}, rp, tp)
}

// sums is the exp-sums of the register at tp, then c over them.
func (g *sweep) sums(tp Register) Mem { return Mem{Base: tp, Index: g.stride, Scale: 1} }

// exps emits the third loop: component by component, exp(P_k - max) in place of P_k,
// added to the register's exp-sum. AVX-512 takes exp from a table of 2^(j/16) in its
// registers (emit.TableExp), in fewer operations than AVX2's polynomial.
func (g *sweep) exps() {
	p := g.p
	rb := Load(Param("r").Base(), GP64())
	exp := p.FlushedExp
	if p.EVEX {
		t := p.NewTableExp()
		defer t.Release()
		exp = t.Exp
	}
	g.components("exps", rb, func(_, rk Register) {
		rp, tp := copyOf(rk), Load(Param("t").Base(), GP64())
		g.registers("exp", func() {
			sum := p.Vec()
			p.Movu(g.sums(tp), sum)
			p.ExpSumTerm(Mem{Base: rp}, Mem{Base: tp}, sum, exp)
			p.Movu(sum, g.sums(tp))
		}, rp, tp)
	})
}

// finishAll emits the fourth loop: register by register, the log-likelihood's share and
// c over the exp-sum in its place. The log-likelihood's lanes stay in a register through
// the loop.
func (g *sweep) finishAll(weighted bool) {
	p := g.p
	llp := Load(Param("ll").Base(), GP64())
	ll := g.dbl.Vec()
	VMOVUPD(Mem{Base: llp}, ll)
	var prod *emit.Products
	var wp Register
	if weighted {
		wp = Load(Param("w").Base(), GP64())
	} else {
		prod = p.NewProducts(g.dbl)
	}
	n := Load(Param("n"), GP64())
	tp := Load(Param("t").Base(), GP64())
	ptrs := []emit.Ptr{{Reg: tp, Step: p.Width}}
	if weighted {
		ptrs = append(ptrs, emit.Ptr{Reg: wp, Step: 8 * p.Lanes})
	}
	p.VectorLoop("finish", n, ptrs, func() {
		m, s := p.Vec(), p.Vec()
		p.Movu(Mem{Base: tp}, m)
		p.Movu(g.sums(tp), s)
		p.Movu(g.finish(m, s, ll, wp, prod), g.sums(tp))
	})
	VMOVUPD(ll, Mem{Base: llp})
	if prod != nil {
		prod.Flush(Mem{Base: llp}, emit.LogAll, false) // a product is 0 where every component is out of reach
	}
}

// logJoint returns P_k of the samples xs for the component whose i-th value is value(i).
func (g *sweep) logJoint(xs []VecVirtual, value func(i int) VecVirtual) VecVirtual {
	p, d := g.p, g.s.d
	diff := make([]VecVirtual, d)
	for i := range diff {
		diff[i] = p.Vec()
		p.Sub(value(1+i), xs[i], diff[i])
	}
	u := func(t int) VecVirtual { return value(1 + d + t) }
	split := !p.Is64() // y_j starts from -b_j (see the package comment)
	q := p.Vec()
	t := 0
	for j := range d {
		var y VecVirtual
		switch {
		case split && p.EVEX: // a copy: the value is held for the next register
			y = p.Vec()
			p.Movu(value(1+d+len(g.s.factor())+j), y)
		case split: // broadcast at its use, into a register of its own
			y = value(1 + d + len(g.s.factor()) + j)
		default:
			y = p.Vec()
		}
		for i := range j + 1 {
			if g.s.diag && i != j {
				continue
			}
			if split || i != 0 && !g.s.diag {
				p.FMAdd231(u(t), diff[i], y)
			} else {
				p.Mul(u(t), diff[i], y)
			}
			t++
		}
		if j == 0 {
			p.Mul(y, y, q)
		} else {
			p.FMAdd231(y, y, q)
		}
	}
	pk := p.Vec()
	p.Movu(value(0), pk)         // a copy: the value may be held for the next register
	p.FNMAdd231(p.C(0.5), q, pk) // Const - q/2, q/2 exact
	if p.EVEX {
		// One fix-up by each lane's class: a quiet or signalling NaN (class 0 or 1, the
		// table's low two nibbles) takes token 4, -Inf; every other class token 0, the
		// lane unchanged.
		fixup := VFIXUPIMMPD
		if !p.Is64() {
			fixup = VFIXUPIMMPS
		}
		fixup(U8(0), p.Bits(0x44), pk, pk)
		return pk
	}
	mask := p.Mask()
	p.Cmp(U8(emit.CmpUnord), pk, pk, mask)
	p.Blend(mask, p.C(math.Inf(-1)), pk, pk)
	return pk
}

// finish adds the log-likelihood's share of the register (max m, exp-sum s) into ll
// (through prod, unweighted, else with the weights at wp) and returns c/s, which turns
// each exp(P_k - max) into r_k.
func (g *sweep) finish(m, s, ll VecVirtual, wp Register, prod *emit.Products) VecVirtual {
	p := g.p
	inv := p.Vec()
	if prod != nil {
		prod.Add(m, s, ll)
		p.Movu(p.C(1), inv)
		p.Div(s, inv, inv)
		return inv
	}
	l := p.Vec()
	p.Log(s, l, emit.LogAll) // s is 0 where every component is out of reach
	p.Add(m, l, l)
	halves := 1
	if !p.Is64() {
		halves = 2
	}
	for half := range halves {
		wide := l
		if !p.Is64() {
			wide = p.Widen(l, half)
		}
		VMULPD(Mem{Base: wp, Disp: g.dbl.Width * half}, wide, wide)
		emit.AddLanes(wide, ll)
	}
	wv := p.LoadWeights(Mem{Base: wp})
	p.Div(s, wv, inv)
	return inv
}
