package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// rows is how many registers of samples jointsDiag takes at a time: as many independent
// chains of fused multiply-adds as fill two pipelines of four cycles' latency, and
// their sums of squares beside them, within the register file.
func rows(p *emit.Prec) int {
	if p.EVEX {
		return 8
	}
	return 6
}

// jointsDiag emits the log-joints of one component with a diagonal factor over the d
// planes of n samples, in the Go twin's operations: y_j = (x_j - mu_j) U_jj (float32:
// U_jj (x_j - mu_j) - b_j fused, the mean split as in joints), |y|^2 = y_0^2 then fused
// multiply-adds, P = Const - |y|^2/2. R registers of samples at a time, the features one
// by one.
func jointsDiag(p *emit.Prec) {
	what := "y_j = (x_j - mu[j]) u[j]"
	if !p.Is64() {
		what = "y_j = (x_j - mu[j]) u[j] + negb[j]"
	}
	a := jointArgsOf(p, "blockedJointsDiag"+p.ISA.Name+p.Name, what)
	x, mu, u, negb, d, stride := a.x, a.mu, a.u, a.negb, a.d, a.stride
	inGroups(p, rows(p), a.n, x, a.dst, a.cnst, func(group int, label string) []VecVirtual {
		q := make([]VecVirtual, group)
		for k := range q {
			q[k] = p.Vec()
			p.Zero(q[k])
		}
		j, xj := GP64(), GP64()
		XORQ(j, j)
		MOVQ(x, xj)
		Label(label + "feat")
		m, uj := p.Vec(), p.Vec()
		p.Broadcast(Mem{Base: mu, Index: j, Scale: uint8(p.Size)}, m)
		p.Broadcast(Mem{Base: u, Index: j, Scale: uint8(p.Size)}, uj)
		var b VecVirtual
		if !p.Is64() {
			b = p.Vec()
			p.Broadcast(Mem{Base: negb, Index: j, Scale: uint8(p.Size)}, b)
		}
		for k := range q {
			y := p.Vec()
			p.Movu(Mem{Base: xj, Disp: k * p.Width}, y)
			p.Sub(m, y, y)
			if p.Is64() {
				p.Mul(uj, y, y)
			} else {
				p.FMAdd213(b, uj, y) // y = U_jj y - b_j
			}
			p.FMAdd231(y, y, q[k])
		}
		ADDQ(stride, xj)
		INCQ(j)
		CMPQ(j, d)
		JB(LabelRef(label + "feat"))
		return q
	})
	VZEROUPPER()
	RET()
}

// momentsDiag emits one component's sums with a diagonal factor over the block: with
// r = e s and x_j's difference from the centre c_j, N = sum r, S_j = sum r (x_j - c_j)
// and Q_jj = sum r (x_j - c_j)^2, each in a register whose lanes add up the block's
// samples, then added, widened from float32, into acc's float64 registers in the order
// N, S_0 .. S_{d-1}, Q_00 .. Q_{d-1,d-1}.
func momentsDiag(p, dbl *emit.Prec) {
	fn := "blockedMomentsDiag" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, n int, c, e, s []%[1]s, acc []float64)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds, with r = e[i] s[i] and d_j = x[j*n+i] - c[j] over the n samples (n a multiple of %d, at most %d) and the d = len(c) planes of x, "+
		"sum r, then sum r d_j for each j, then sum r d_j^2 for each j, into the %d float64 lanes of acc's registers in that order.", fn, p.Lanes, 32*p.Lanes, dbl.Lanes))
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	cp := Load(Param("c").Base(), GP64())
	d := Load(Param("c").Len(), GP64())
	e := Load(Param("e").Base(), GP64())
	s := Load(Param("s").Base(), GP64())
	acc := Load(Param("acc").Base(), GP64())
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	regs := GP64()
	MOVQ(n, regs)
	SHRQ(U8(emit.Log2(p.Lanes)), regs)
	// N: sum r.
	sum, i, ei, si := p.Vec(), GP64(), GP64(), GP64()
	p.Zero(sum)
	MOVQ(regs, i)
	MOVQ(e, ei)
	MOVQ(s, si)
	Label("n")
	r := p.Vec()
	p.Movu(Mem{Base: ei}, r)
	p.FMAdd231(Mem{Base: si}, r, sum)
	ADDQ(U8(p.Width), ei)
	ADDQ(U8(p.Width), si)
	DECQ(i)
	JNZ(LabelRef("n"))
	addWide(p, sum, Mem{Base: acc})
	// S_j and Q_jj, feature by feature: acc's S_j at 1 + j, Q_jj at 1 + d + j.
	qOff := GP64()
	IMUL3Q(U8(dbl.Width), d, qOff)
	ADDQ(U8(dbl.Width), acc)
	j, xj := GP64(), GP64()
	XORQ(j, j)
	MOVQ(x, xj)
	Label("feat")
	cj := p.Vec()
	p.Broadcast(Mem{Base: cp, Index: j, Scale: uint8(p.Size)}, cj)
	s1, s2 := p.Vec(), p.Vec()
	p.Zero(s1)
	p.Zero(s2)
	MOVQ(regs, i)
	MOVQ(e, ei)
	MOVQ(s, si)
	xi := GP64()
	MOVQ(xj, xi)
	Label("reg")
	rr, dv := p.Vec(), p.Vec()
	p.Movu(Mem{Base: ei}, rr)
	p.Mul(Mem{Base: si}, rr, rr)
	p.Movu(Mem{Base: xi}, dv)
	p.Sub(cj, dv, dv)
	p.Mul(dv, rr, rr) // r d
	p.Add(rr, s1, s1)
	p.FMAdd231(dv, rr, s2) // + (r d) d
	ADDQ(U8(p.Width), ei)
	ADDQ(U8(p.Width), si)
	ADDQ(U8(p.Width), xi)
	DECQ(i)
	JNZ(LabelRef("reg"))
	addWide(p, s1, Mem{Base: acc})
	qa := GP64()
	LEAQ(Mem{Base: acc, Index: qOff, Scale: 1}, qa)
	addWide(p, s2, Mem{Base: qa})
	ADDQ(U8(dbl.Width), acc)
	ADDQ(stride, xj)
	INCQ(j)
	CMPQ(j, d)
	JB(LabelRef("feat"))
	VZEROUPPER()
	RET()
}
