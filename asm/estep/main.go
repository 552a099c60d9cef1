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
