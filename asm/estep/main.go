// Command estep generates the AVX2 fused E-step: per pixel the weighted normal
// log-densities of K components, their maximum, the stable sum of exponentials, the
// log-likelihood, the responsibilities and the shifted sufficient statistics, in one pass.
//
// Every function takes its coefficients and accumulators from the caller:
//
//	coef: 3K registers' worth of T: for component k, Const, Mean and HalfPrec, each
//	      repeated across a register (k*96 bytes + 0, 32, 64)
//	acc:  3K+1 registers of float64x4: for component k, N, D and B (k*96 + 0, 32, 64),
//	      then the log-likelihood (96K); the caller zeroes them and adds up the lanes
//	scratch: K registers of T for P_k and then exp(P_k - max) (general K only; the
//	         unrolled variants take it too, unused, so all share one signature)
//
// K = 2, 3 and 4 are unrolled with P_k in registers; other K loop over the components.
// float32 lanes compute P, exp and log in float32 and widen the statistics to float64.
package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unrolled are the K with their own functions.
var unrolled = []int{2, 3, 4}

func main() {
	emit.Header()
	for _, p := range []*emit.Prec{emit.Double("estep"), emit.Single("estep")} {
		for _, weighted := range []bool{false, true} {
			for _, k := range unrolled {
				estep(p, k, weighted)
			}
			estep(p, 0, weighted)
		}
	}
	Generate()
}

// register offsets within a component's block of coef or acc.
const (
	offConst, offMean, offHalfPrec = 0, 32, 64
	offN, offD, offB               = 0, 32, 64
	block                          = 96
)

// kernel is the state of one function being emitted.
type kernel struct {
	p        *emit.Prec
	k        int // 0: general
	weighted bool
	x, w     Mem      // the current register of samples and weights
	coef     Register // base of coef
	acc      Register // base of acc
	scratch  Register // base of scratch (general K)
	ncomp    Register // K (general K)
	llp      Register // the log-likelihood accumulator (general K)
}

// name returns the function's name, e.g. estepAVX2F64K3W.
func name(p *emit.Prec, k int, weighted bool) string {
	s := "estepAVX2" + p.Name
	if k > 0 {
		s += fmt.Sprintf("K%d", k)
	}
	if weighted {
		s += "W"
	}
	return s
}

func estep(p *emit.Prec, k int, weighted bool) {
	fn := name(p, k, weighted)
	args := fmt.Sprintf("x []%s", p.GoType)
	if weighted {
		args += ", w []float64"
	}
	// Every variant takes scratch, so that Go can hold them all in one table by K.
	args += fmt.Sprintf(", coef []%[1]s, acc []float64, scratch []%[1]s", p.GoType)
	TEXT(fn, NOSPLIT, "func("+args+")")
	kdesc := fmt.Sprintf("%d components", k)
	if k == 0 {
		kdesc = "K = len(coef)/" + fmt.Sprint(3*p.Lanes) + " components (K >= 1), with len(scratch) >= K*" + fmt.Sprint(p.Lanes)
	} else {
		kdesc += " (scratch unused)"
	}
	wdesc := "each sample weighing 1"
	if weighted {
		wdesc = "sample i weighing w[i]"
	}
	Doc(fmt.Sprintf("%s adds to acc the E-step statistics of x (len(x) a multiple of %d), %s, under the mixture of %s in coef; see the generator for the layout.", fn, p.Lanes, wdesc, kdesc))

	g := &kernel{p: p, k: k, weighted: weighted}
	g.x = Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("x").Len(), GP64())
	ptrs := []emit.Ptr{{Reg: g.x.Base, Step: 32}}
	if weighted {
		g.w = Mem{Base: Load(Param("w").Base(), GP64())}
		ptrs = append(ptrs, emit.Ptr{Reg: g.w.Base, Step: 8 * p.Lanes}) // float64 weights
	}
	g.coef = Load(Param("coef").Base(), GP64())
	g.acc = Load(Param("acc").Base(), GP64())
	if k == 0 {
		g.scratch = Load(Param("scratch").Base(), GP64())
		g.ncomp = Load(Param("coef").Len(), GP64())
		// len(coef) is 3K registers of Lanes elements; 3*Lanes is not a power of two.
		lanes3 := GP64()
		MOVQ(U32(3*p.Lanes), lanes3)
		MOVQ(g.ncomp, RAX)
		XORQ(RDX, RDX)
		DIVQ(lanes3)
		MOVQ(RAX, g.ncomp)
		g.llp = GP64()
		IMUL3Q(U32(block), g.ncomp, g.llp)
		ADDQ(g.acc, g.llp)
	}
	p.VectorLoop("", n, ptrs, func() {
		if k > 0 {
			g.unrolledBody()
		} else {
			g.generalBody()
		}
	})
	VZEROUPPER()
	RET()
}

// coefMem returns component k's coefficient at off.
func (g *kernel) coefMem(base Register, k, off int) Mem { return Mem{Base: base, Disp: k*block + off} }

// weights loads the current samples' weights as a register of T (float32 lanes narrow
// the float64 weights). Only for the weighted kernels.
func (g *kernel) weights() VecVirtual {
	w := YMM()
	if g.p.Is64() {
		VMOVUPD(g.w, w)
		return w
	}
	hi := XMM()
	VCVTPD2PSY(g.w, w.AsX())
	VCVTPD2PSY(g.w.Offset(32), hi)
	VINSERTF128(U8(1), hi, w, w)
	return w
}

// finish emits, from the max m and the exp-sum s: the log-likelihood update, and returns
// the register of w/s (1/s unweighted), by which each exp(P_k - m) becomes r_k.
func (g *kernel) finish(m, s, w VecVirtual) VecVirtual {
	p := g.p
	l := YMM()
	p.Log(s, l, emit.LogNormalPositive)
	p.Add(m, l, l)
	// The log-likelihood register follows the K component blocks.
	ll := Mem{Base: g.acc, Disp: g.k * block}
	if g.k == 0 {
		ll = Mem{Base: g.llp}
	}
	if p.Is64() {
		if g.weighted {
			p.Mul(w, l, l)
		}
		p.Add(ll, l, l)
		p.Movu(l, ll)
	} else {
		// Widen: the low and high halves go to float64 and into the accumulator.
		for half := range 2 {
			wide := g.widen(l, half)
			if g.weighted {
				VMULPD(g.w.Offset(32*half), wide, wide)
			}
			VADDPD(ll, wide, wide)
			VMOVUPD(wide, ll)
		}
	}
	inv := YMM()
	if g.weighted {
		p.Div(s, w, inv)
	} else {
		p.Movu(p.C(1), inv)
		p.Div(s, inv, inv)
	}
	return inv
}

// widen returns half 0 (low) or 1 (high) of a float32 register as float64x4.
func (g *kernel) widen(v VecVirtual, half int) VecVirtual {
	out := YMM()
	if half == 0 {
		VCVTPS2PD(v.AsX(), out)
		return out
	}
	hi := XMM()
	VEXTRACTF128(U8(1), v, hi)
	VCVTPS2PD(hi, out)
	return out
}

// accumulate emits, for responsibility r of component k at samples x (register xv):
// N += r, D += r d, B += r d^2 with d = x - mean, into acc at base+k*block. r is consumed.
func (g *kernel) accumulate(r, xv VecVirtual, coefBase, accBase Register, k int) {
	p := g.p
	d := YMM()
	p.Sub(g.coefMem(coefBase, k, offMean), xv, d)
	n := Mem{Base: accBase, Disp: k*block + offN}
	dm := Mem{Base: accBase, Disp: k*block + offD}
	bm := Mem{Base: accBase, Disp: k*block + offB}
	t := YMM()
	if p.Is64() {
		p.Add(n, r, t)
		p.Movu(t, n)
		p.Mul(d, r, r) // r d
		p.Add(dm, r, t)
		p.Movu(t, dm)
		p.Movu(bm, t)
		p.FMAdd231(d, r, t) // B + (r d) d
		p.Movu(t, bm)
		return
	}
	rd, rdd := YMM(), YMM()
	p.Mul(d, r, rd)
	p.Mul(d, rd, rdd)
	for _, s := range []struct {
		v   VecVirtual
		dst Mem
	}{{r, n}, {rd, dm}, {rdd, bm}} {
		for half := range 2 {
			wide := g.widen(s.v, half)
			VADDPD(s.dst, wide, wide)
			VMOVUPD(wide, s.dst)
		}
	}
}

// unrolledBody is one register of samples for a fixed K, with P_k in registers.
func (g *kernel) unrolledBody() {
	p := g.p
	x := YMM()
	p.Movu(g.x, x)
	var w VecVirtual
	if g.weighted {
		w = g.weights()
	}
	pk := make([]VecVirtual, g.k)
	m := YMM()
	for k := range pk {
		pk[k] = YMM()
		p.LogJoint(x, pk[k], g.coefMem(g.coef, k, offConst), g.coefMem(g.coef, k, offMean), g.coefMem(g.coef, k, offHalfPrec))
		if k == 0 {
			p.Movu(pk[0], m)
		} else {
			p.Max(pk[k], m, m)
		}
	}
	s := YMM()
	for k := range pk {
		e := YMM()
		p.Sub(m, pk[k], pk[k])
		p.Exp(pk[k], e, emit.ExpNonPositive)
		pk[k] = e
		if k == 0 {
			p.Movu(e, s)
		} else {
			p.Add(e, s, s)
		}
	}
	inv := g.finish(m, s, w)
	for k, e := range pk {
		p.Mul(inv, e, e)
		g.accumulate(e, x, g.coef, g.acc, k)
	}
}

// generalBody is one register of samples for any K, looping over the components with
// P_k and then exp(P_k - max) kept in scratch.
func (g *kernel) generalBody() {
	p := g.p
	x := YMM()
	p.Movu(g.x, x)
	var w VecVirtual
	if g.weighted {
		w = g.weights()
	}
	m, s := YMM(), YMM()
	p.Movu(p.C(-1/zero), m)
	g.components("max", func(cp, _, sp Register) {
		pk := YMM()
		p.LogJoint(x, pk, g.coefMem(cp, 0, offConst), g.coefMem(cp, 0, offMean), g.coefMem(cp, 0, offHalfPrec))
		p.Movu(pk, Mem{Base: sp})
		p.Max(pk, m, m)
	})
	VXORPS(s, s, s)
	g.components("exp", func(_, _, sp Register) {
		a, e := YMM(), YMM()
		p.Movu(Mem{Base: sp}, a)
		p.Sub(m, a, a)
		p.Exp(a, e, emit.ExpNonPositive)
		p.Movu(e, Mem{Base: sp})
		p.Add(e, s, s)
	})
	inv := g.finish(m, s, w)
	g.components("acc", func(cp, ap, sp Register) {
		r := YMM()
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
	ADDQ(U8(block), cp)
	ADDQ(U8(block), ap)
	ADDQ(U8(32), sp)
	DECQ(left)
	JNZ(LabelRef(label))
}
