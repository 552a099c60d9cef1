// Command estep generates the fused E-step for AVX2 (256-bit registers) and AVX-512
// (512-bit registers, the same operations in twice the lanes): per pixel the weighted
// normal log-densities of K components, their maximum, the stable sum of exponentials, the
// log-likelihood, the responsibilities and the shifted sufficient statistics, in one pass.
//
// Every function takes its coefficients and accumulators from the caller, in registers of
// W bytes (32 for AVX2, 64 for AVX-512):
//
//	coef: 5K registers of T: for component k, Const, Mean, HalfPrec, Lin (float32: see
//	      emit.LogJoint; unread by float64 lanes) and Centre (the origin of the moments),
//	      each repeated across a register (at (5k + 0, 1, 2, 3, 4) W bytes)
//	acc:  3K+1 registers of float64: for component k, N, D and B (at (3k + 0, 1, 2) W),
//	      then the log-likelihood (3K W); the caller zeroes them and adds up the lanes.
//	      float32 kernels: then 3K registers of float32 more, N, D and B per component
//	      again, where a block of samples adds up before it is widened into the float64
//	      ones; they are zero again when the function returns
//	scratch: general K: K registers of T for P_k and then exp(P_k - max); unrolled K:
//	         32K registers of T for the responsibilities of a block (see below)
//
// K = 2, 3 and 4 are unrolled with P_k in registers, in two passes over each block of 32
// registers: the first computes the responsibilities into scratch, the second sums the
// statistics in registers, free of the store-to-load chains that sums in memory make.
// Other K loop over the components.
// float32 lanes compute P and exp in float32 and widen the statistics to float64.
//
// float32 statistics add up in float32 for a block of 32 registers (32 samples a lane, so a
// relative error of at most 32 float32 roundings), then widen into the float64 sums:
// widening every term costs as much as the rest of the kernel.
//
// The log-likelihood needs log S per sample. Unweighted, sum_n log S_n = log prod_n S_n:
// the lanes multiply S into a float64 product and take one log every 32 registers (S is
// in [1, K], so the product stays below K^32 <= 2^512 for K <= 65536), which takes the log,
// the longest dependency chain of a sample, off the loop. Weighted, each sample's log S is
// scaled by its weight and taken one by one.
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

// logBlock is how many registers of S go into one product before its log is taken.
const logBlock = 32

func main() {
	emit.Header()
	for _, isa := range []*emit.ISA{emit.AVX2, emit.AVX512} {
		double := isa.Double("estep")
		for _, p := range []*emit.Prec{double, isa.Single("estep")} {
			for _, weighted := range []bool{false, true} {
				for _, k := range unrolled {
					estep(p, double, k, weighted)
				}
				estep(p, double, 0, weighted)
			}
		}
	}
	emit.Finish()
}

// The registers of a component's block of coef or acc, in order.
const (
	offConst, offMean, offHalfPrec, offLin, offCentre = 0, 1, 2, 3, 4
	offN, offD, offB                                  = 0, 1, 2
)

// coefRegs is how many registers of coef a component takes.
const coefRegs = 5

// at returns the byte offset of register slot of component k's block of acc.
func (g *kernel) at(k, slot int) int { return (3*k + slot) * g.p.Width }

// coefAt returns the byte offset of register slot of component k's block of coef.
func (g *kernel) coefAt(k, slot int) int { return (coefRegs*k + slot) * g.p.Width }

// imm is a byte count as an immediate: 8 bits when they hold it.
func imm(n int) Constant {
	if n < 128 {
		return U8(n)
	}
	return U32(n)
}

// kernel is the state of one function being emitted.
type kernel struct {
	p        *emit.Prec
	d        *emit.Prec // float64, for the products and their log
	k        int        // 0: general
	weighted bool
	x, w     Mem            // the current register of samples and weights
	coef     Register       // base of coef
	acc      Register       // base of acc
	scratch  Register       // base of scratch (general K)
	ncomp    Register       // K (general K)
	llp      Register       // the log-likelihood accumulator (general K)
	prod     *emit.Products // float64 products of S (unweighted)
	off32    Register       // general K, float32: bytes from a component's float64 block to its float32 one
}

// name returns the function's name, e.g. estepAVX2F64K3W.
func name(p *emit.Prec, k int, weighted bool) string {
	s := "estep" + p.ISA.Name + p.Name
	if k > 0 {
		s += fmt.Sprintf("K%d", k)
	}
	if weighted {
		s += "W"
	}
	return s
}

// declare starts the function of p for k components (0: any), with its Go declaration and
// a doc comment that states the loop it computes.
func declare(p *emit.Prec, k int, weighted bool) {
	fn := name(p, k, weighted)
	args, weight := fmt.Sprintf("x []%s", p.GoType), "1"
	if weighted {
		args, weight = args+", w []float64", "w[i]"
	}
	// Every variant takes scratch, so that Go calls them all alike.
	args += fmt.Sprintf(", coef []%[1]s, acc []float64, scratch []%[1]s", p.GoType)
	TEXT(fn, NOSPLIT, "func("+args+")")
	kdesc := fmt.Sprintf("the %d components", k)
	if k == 0 {
		kdesc = fmt.Sprintf("the K = len(coef)/%d components (K >= 1; len(scratch) >= K*%d)", coefRegs*p.Lanes, p.Lanes)
	}
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes, for i < len(x) (a multiple of %d) and %s in coef (layout: see the generator), "+
		"with c = %s, r_k = c exp(P_k(x[i])) / sum_j exp(P_j(x[i])) and d_k = x[i] - Centre_k: "+
		"N_k += r_k, D_k += r_k d_k, B_k += r_k d_k d_k and LogLik += c log sum_k exp(P_k(x[i])), into acc's lanes.",
		fn, p.Lanes, kdesc, weight))
}

func estep(p, d *emit.Prec, k int, weighted bool) {
	declare(p, k, weighted)
	p.Begin() // d shares p's constants
	g := &kernel{p: p, d: d, k: k, weighted: weighted}
	g.x = Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("x").Len(), GP64())
	ptrs := []emit.Ptr{{Reg: g.x.Base, Step: p.Width}}
	if weighted {
		g.w = Mem{Base: Load(Param("w").Base(), GP64())}
		ptrs = append(ptrs, emit.Ptr{Reg: g.w.Base, Step: 8 * p.Lanes}) // float64 weights
	}
	g.coef = Load(Param("coef").Base(), GP64())
	g.acc = Load(Param("acc").Base(), GP64())
	if k == 0 {
		g.scratch = Load(Param("scratch").Base(), GP64())
		g.ncomp = Load(Param("coef").Len(), GP64())
		// len(coef) is 5K registers of Lanes elements; 5 Lanes is not a power of two.
		regs := GP64()
		MOVQ(U32(coefRegs*p.Lanes), regs)
		MOVQ(g.ncomp, RAX)
		XORQ(RDX, RDX)
		DIVQ(regs)
		MOVQ(RAX, g.ncomp)
		g.llp = GP64()
		IMUL3Q(U32(g.at(1, 0)), g.ncomp, g.llp)
		if !p.Is64() {
			g.off32 = GP64()
			LEAQ(Mem{Base: g.llp, Disp: p.Width}, g.off32)
		}
		ADDQ(g.acc, g.llp)
	}
	switch {
	case k > 0:
		g.scratch = Load(Param("scratch").Base(), GP64())
		g.twoPassLoop(n, ptrs)
	case weighted && p.Is64():
		p.VectorLoop("", n, ptrs, g.generalBody)
	default:
		g.blockLoop(n, ptrs, g.generalBody)
	}
	VZEROUPPER()
	RET()
}

// initProducts starts the products of S at 1 (unweighted kernels).
func (g *kernel) initProducts() {
	if !g.weighted {
		g.prod = g.p.NewProducts(g.d)
	}
}

// twoPassLoop runs the unrolled kernels over blocks of logBlock registers: pass 1
// computes each register's responsibilities into scratch and the log-likelihood; pass 2
// sums r, r d and r d^2 in registers; then the sums go into acc (float32 ones widened)
// and the products' logs into the log-likelihood.
func (g *kernel) twoPassLoop(n Register, ptrs []emit.Ptr) {
	p := g.p
	g.initProducts()
	SHRQ(U8(emit.Log2(p.Lanes)), n)
	Label("block")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	count := GP64()
	MOVQ(U32(logBlock), count)
	CMPQ(n, count)
	CMOVQLT(n, count)
	SUBQ(count, n)
	start, left, sp := GP64(), GP64(), GP64()
	MOVQ(g.x.Base, start)
	g.responsibilityPass(count, left, sp, ptrs)
	sums := g.momentPass(count, left, sp, start)
	g.addSums(sums)
	g.flushProducts()
	JMP(LabelRef("block"))
	Label("done")
}

// responsibilityPass is pass 1 over count registers: every sample's responsibilities
// into the scratch (sp walks it, left counts down), the pointers ptrs stepping on.
func (g *kernel) responsibilityPass(count, left, sp Register, ptrs []emit.Ptr) {
	p := g.p
	MOVQ(count, left)
	MOVQ(g.scratch, sp)
	Label("pass1")
	for k, r := range g.responsibilities() {
		p.Movu(r, Mem{Base: sp, Disp: p.Width * k})
	}
	for _, r := range ptrs {
		ADDQ(imm(r.Step), r.Reg)
	}
	ADDQ(U32(p.Width*g.k), sp)
	DECQ(left)
	JNZ(LabelRef("pass1"))
}

// momentPass is pass 2 over the same count registers, from the samples at start: each
// component's N, D and B sums of the block, returned as 3K registers.
func (g *kernel) momentPass(count, left, sp, start Register) []VecVirtual {
	p := g.p
	sums := make([]VecVirtual, 3*g.k)
	for i := range sums {
		sums[i] = p.Vec()
		p.Zero(sums[i])
	}
	MOVQ(count, left)
	MOVQ(g.scratch, sp)
	Label("pass2")
	x := p.Vec()
	p.Movu(Mem{Base: start}, x)
	for k := range g.k {
		r, d := p.Vec(), p.Vec()
		p.Movu(Mem{Base: sp, Disp: p.Width * k}, r)
		p.Sub(g.coefMem(g.coef, k, offCentre), x, d)
		p.Add(r, sums[3*k], sums[3*k])
		p.Mul(d, r, r) // r d
		p.Add(r, sums[3*k+1], sums[3*k+1])
		p.FMAdd231(d, r, sums[3*k+2]) // + (r d) d
	}
	ADDQ(imm(p.Width), start)
	ADDQ(U32(p.Width*g.k), sp)
	DECQ(left)
	JNZ(LabelRef("pass2"))
	return sums
}

// addSums adds a block's sums into the float64 accumulators (float32 sums widened, half
// a register at a time).
func (g *kernel) addSums(sums []VecVirtual) {
	p := g.p
	for k := range g.k {
		for i, off := range []int{offN, offD, offB} {
			dst := Mem{Base: g.acc, Disp: g.at(k, off)}
			v := sums[3*k+i]
			if p.Is64() {
				VADDPD(dst, v, v)
				VMOVUPD(v, dst)
				continue
			}
			for half := range 2 {
				w := g.widen(v, half)
				VADDPD(dst, w, w)
				VMOVUPD(w, dst)
			}
		}
	}
}

// blockLoop is VectorLoop in blocks of logBlock registers: after each block, and at the
// end, flush adds the products' logs to the log-likelihood (unweighted) and widens the
// float32 sums (float32).
func (g *kernel) blockLoop(n Register, ptrs []emit.Ptr, body func()) {
	g.initProducts()
	left := GP64()
	MOVQ(U32(logBlock), left)
	SHRQ(U8(emit.Log2(g.p.Lanes)), n)
	Label("loop")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	body()
	for _, r := range ptrs {
		ADDQ(imm(r.Step), r.Reg)
	}
	DECQ(n)
	DECQ(left)
	JNZ(LabelRef("loop"))
	g.flush("inner")
	MOVQ(U32(logBlock), left)
	JMP(LabelRef("loop"))
	Label("done")
	g.flush("final")
}

// flush adds the logs of the products to the log-likelihood and resets them to 1, and
// widens the float32 sums into the float64 ones and zeroes them. label names the copy
// (flush is emitted twice).
func (g *kernel) flush(label string) {
	if !g.p.Is64() {
		g.flushSingle(label)
	}
	g.flushProducts()
}

// flushProducts adds the logs of the products to the log-likelihood and resets them to 1.
func (g *kernel) flushProducts() {
	if g.prod != nil {
		g.prod.Flush(g.llMem(), emit.LogNormalPositive, true)
	}
}

// flushSingle widens every float32 sum into its float64 one and zeroes it.
func (g *kernel) flushSingle(label string) {
	each := func(ap Register, k int) {
		for _, off := range []int{offN, offD, offB} {
			wide := g.stat32(ap, k, off)
			v := g.p.Vec()
			VMOVUPS(wide, v)
			for half := range 2 {
				w := g.widen(v, half)
				dst := Mem{Base: ap, Disp: g.at(k, off)}
				VADDPD(dst, w, w)
				VMOVUPD(w, dst)
			}
			g.p.Zero(v)
			VMOVUPS(v, wide)
		}
	}
	if g.k > 0 {
		for k := range g.k {
			each(g.acc, k)
		}
		return
	}
	ap, left := GP64(), GP64()
	MOVQ(g.acc, ap)
	MOVQ(g.ncomp, left)
	Label("flush" + label)
	each(ap, 0)
	ADDQ(imm(g.at(1, 0)), ap)
	DECQ(left)
	JNZ(LabelRef("flush" + label))
}

// stat32 is the float32 sum at off of component k, given the base of its float64 block
// (acc for fixed K, the loop's pointer for general K).
func (g *kernel) stat32(ap Register, k, off int) Mem {
	if g.k > 0 {
		return Mem{Base: ap, Disp: g.at(g.k, 1) + g.at(k, off)}
	}
	return Mem{Base: ap, Index: g.off32, Scale: 1, Disp: g.at(k, off)}
}

// llMem is the log-likelihood accumulator: it follows the K component blocks.
func (g *kernel) llMem() Mem {
	if g.k == 0 {
		return Mem{Base: g.llp}
	}
	return Mem{Base: g.acc, Disp: g.at(g.k, 0)}
}

// lin returns component k's Lin for float32 lanes, nil for float64 ones (see
// emit.LogJoint).
func (g *kernel) lin(base Register, k int) Op {
	if g.p.Is64() {
		return nil
	}
	return g.coefMem(base, k, offLin)
}

// coefMem returns component k's coefficient at off.
func (g *kernel) coefMem(base Register, k, off int) Mem {
	return Mem{Base: base, Disp: g.coefAt(k, off)}
}

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
