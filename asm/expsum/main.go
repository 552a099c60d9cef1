// Command expsum generates the AVX2 twin of the reference program's
// compute_expsum_stable: P, its running maximum and the stable sum of exponentials.
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
	for _, p := range []*emit.Prec{emit.AVX2.Double("expsum"), emit.AVX2.Single("expsum")} {
		expSum(p)
	}
	emit.Finish()
}

// expSum emits expSumStableAVX2<P>(p, stride, pmax, expsum, x, coef): coef holds K
// quadruples (Const, Mean, HalfPrec, Lin; Lin read by float32 lanes only, see
// emit.LogJoint) as scalars; row k of p starts at p[k*stride].
func expSum(p *emit.Prec) {
	fn := "expSumStableAVX2" + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(p []%[1]s, stride int, pmax, expsum, x []%[1]s, coef []%[1]s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets, for i < len(x) (a multiple of %d), p[k*stride+i] = P_k(x[i]), pmax[i] = max_k P_k(x[i]) and expsum[i] = sum_k exp(P_k(x[i]) - pmax[i]), for the K = len(coef)/4 components whose (Const, Mean, HalfPrec, Lin) are coef[4k:4k+4] (see emit.LogJoint).", fn, p.Lanes))
	pp := Load(Param("p").Base(), GP64())
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(emit.Log2(p.Size)), stride) // in bytes
	pmax := Mem{Base: Load(Param("pmax").Base(), GP64())}
	expsum := Mem{Base: Load(Param("expsum").Base(), GP64())}
	src := Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("x").Len(), GP64())
	coef := Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())

	p.VectorLoop("", n, []emit.Ptr{{Reg: src.Base, Step: 32}, {Reg: pmax.Base, Step: 32}, {Reg: expsum.Base, Step: 32}, {Reg: pp, Step: 32}}, func() {
		x, m, s := YMM(), YMM(), YMM()
		p.Movu(src, x)
		p.Movu(p.C(negInf), m)
		// Pass 1: P_k into row k, and the running maximum from -Inf.
		eachComponent(p, "max", coef, ncoef, pp, stride, func(c []VecVirtual, row Mem) {
			pk := YMM()
			var lin Op
			if !p.Is64() {
				lin = c[3]
			}
			p.LogJoint(x, pk, c[0], c[1], c[2], lin)
			p.Movu(pk, row)
			p.Max(pk, m, m)
		})
		// Pass 2: the sum of exp(P_k - max), in component order.
		VXORPD(s, s, s)
		eachComponent(p, "sum", coef, ncoef, pp, stride, func(_ []VecVirtual, row Mem) {
			a, e := YMM(), YMM()
			p.Movu(row, a)
			p.Sub(m, a, a)
			p.Exp(a, e, emit.ExpNonPositive)
			p.Add(e, s, s)
		})
		p.Movu(m, pmax)
		p.Movu(s, expsum)
	})
	VZEROUPPER()
	RET()
}

var negInf = -1.0 / zero

var zero = 0.0

// eachComponent emits a loop over the components: body gets their coefficients
// broadcast and row k of p at the current column.
func eachComponent(p *emit.Prec, name string, coef, ncoef, pp, stride Register, body func(c []VecVirtual, row Mem)) {
	cp, left, row := GP64(), GP64(), GP64()
	MOVQ(coef, cp)
	MOVQ(ncoef, left)
	MOVQ(pp, row)
	Label(name)
	c := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for i := range c {
		p.Broadcast(Mem{Base: cp, Disp: i * p.Size}, c[i])
	}
	body(c, Mem{Base: row})
	ADDQ(U8(4*p.Size), cp)
	ADDQ(stride, row)
	SUBQ(U8(4), left)
	JNZ(LabelRef(name))
}
