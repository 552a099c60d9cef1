package main

import (
	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
