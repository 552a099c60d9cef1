// Command blocked generates the multichannel E-step's pieces for samples of many features
// (d of 5 and more), for AVX2 and AVX-512, float64 and float32. The caller transposes a
// block of samples to planes (plane j holds feature j of every sample of the block, n a
// multiple of the register's lanes; through transpose, squares of as many features as
// samples in registers) and, for each component, calls:
//
//   - joints: P = Const - |y|^2/2 with y_j = sum_{i <= j} U_ij D_i, D_i = x_i - mu_i the
//     planes less the component's mean (float32: its float32 value), each register of
//     samples less its mean as it is loaded (a pass that stored the centred planes cost
//     6% of a fit at 8 and 16 features), U_k upper-triangular and row-major (d x d). A
//     register tile (see tile) of samples by columns of U at a time, each y_j's sum in a
//     register of its own, the products fused in the order of the Go twin (y_j = U_0j D_0
//     then fused multiply-adds of U_ij D_i, i rising; |y|^2 = y_0^2 then fused
//     multiply-adds of y_j^2, j rising), so that a lane's P is the Go twin's bit for bit
//     in float64.
//     float32 lanes start y_j from -b_j (the mean's rest that float32 cannot hold,
//     through U: see asm/multi) and fuse every product.
//   - weigh: r = e c/S, D_j = x_j - c_j and rd_j = r D_j for j < d, rd_d = r: the
//     responsibilities, and the planes less the moments' centre unweighted and weighted
//     by them, in one pass.
//   - moments: the sums sum_i rd_a D_b for a <= b <= d over the block, with D_d = 1 (a
//     plane of ones the caller keeps), which make N (a = b = d), S_a (b = d) and Q_ab at
//     once; a tile of them at a time (see momentTile), each a register whose lanes add
//     up the block's samples, then added, widened from float32, into acc, a register of
//     float64 lanes for each sum, which the caller adds up at the end of the tile.
//
// Statistics add up in float64; float32 lanes sum a block (at most 32 registers) before
// they widen, as the other kernels do.
package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	emit.Header()
	for _, isa := range []*emit.ISA{emit.AVX2, emit.AVX512} {
		double := isa.Double("blocked")
		for _, p := range []*emit.Prec{double, isa.Single("blocked")} {
			joints(p)
			weigh(p)
			moments(p, double)
			jointsDiag(p)
			momentsDiag(p, double)
			transpose(p)
		}
	}
	emit.Finish()
}

// broadcastArg returns the scalar argument name broadcast to a register, from its
// memory: a scalar load would be a legacy SSE instruction amid AVX code.
func broadcastArg(p *emit.Prec, name string) VecVirtual {
	arg, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	v := p.Vec()
	p.Broadcast(arg.Addr, v)
	return v
}

// weigh emits the block's responsibilities r = e s (e the component's exp(P - max), s
// the samples' c/S), the d planes less the centres c (into dst) and weighted by r (into
// rd), then r itself as plane d of rd: one pass over the planes for what the moments
// read.
func weigh(p *emit.Prec) {
	fn := "blockedWeigh" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(rd, dst, x []%[1]s, n int, c, e, s []%[1]s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets r = e[i] s[i], dst[j*n+i] = x[j*n+i] - c[j] and rd[j*n+i] = r dst[j*n+i] for j < d = len(c), rd[d*n+i] = r, for the n samples (n a multiple of %d).", fn, p.Lanes))
	rd := Load(Param("rd").Base(), GP64())
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	cp := Load(Param("c").Base(), GP64())
	d := Load(Param("c").Len(), GP64())
	e := Load(Param("e").Base(), GP64())
	s := Load(Param("s").Base(), GP64())
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	// r into plane d of rd first; then plane by plane, each a stream of its own (a loop
	// over planes inside one over registers, its streams 2^k bytes apart, measured three
	// times slower: loads waited on stores to addresses alike in their low bits).
	rp := GP64()
	MOVQ(stride, rp)
	IMULQ(d, rp)
	ADDQ(rd, rp)
	left := GP64()
	MOVQ(n, left)
	r := GP64()
	MOVQ(rp, r)
	p.VectorLoop("r", left, []emit.Ptr{{Reg: r, Step: p.Width}, {Reg: e, Step: p.Width}, {Reg: s, Step: p.Width}}, func() {
		v := p.Vec()
		p.Movu(Mem{Base: e}, v)
		p.Mul(Mem{Base: s}, v, v)
		p.Movu(v, Mem{Base: r})
	})
	Label("plane")
	TESTQ(d, d)
	JZ(LabelRef("end"))
	c := p.Vec()
	p.Broadcast(Mem{Base: cp}, c)
	MOVQ(n, left)
	ri := GP64()
	MOVQ(rp, ri)
	xj, dj, rj := GP64(), GP64(), GP64()
	MOVQ(x, xj)
	MOVQ(dst, dj)
	MOVQ(rd, rj)
	p.VectorLoop("p", left, []emit.Ptr{{Reg: xj, Step: p.Width}, {Reg: dj, Step: p.Width}, {Reg: rj, Step: p.Width}, {Reg: ri, Step: p.Width}}, func() {
		v := p.Vec()
		p.Movu(Mem{Base: xj}, v)
		p.Sub(c, v, v)
		p.Movu(v, Mem{Base: dj})
		p.Mul(Mem{Base: ri}, v, v)
		p.Movu(v, Mem{Base: rj})
	})
	ADDQ(stride, x)
	ADDQ(stride, dst)
	ADDQ(stride, rd)
	ADDQ(U8(p.Size), cp)
	DECQ(d)
	JMP(LabelRef("plane"))
	Label("end")
	VZEROUPPER()
	RET()
}
