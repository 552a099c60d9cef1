// Command lognormal generates the AVX2 weighted normal log-density of a slice.
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
	for _, p := range []*emit.Prec{emit.AVX2.Double("lognormal"), emit.AVX2.Single("lognormal")} {
		fn := "logNormPDFAVX2" + p.Name
		TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst, x []%s, cnst, mean, halfPrec, lin %s)", p.GoType, p.GoType))
		Pragma("noescape")
		Doc(fmt.Sprintf("%s sets dst[i] = cnst - halfPrec*(x[i]-mean)^2 for i < len(x), which must be a multiple of %d and at most len(dst)"+
			" (float32: cnst - d (halfPrec d - lin) with d = x[i]-mean, a split mean; see emit.LogJoint; float64 ignores lin).", fn, p.Lanes))
		dst := Mem{Base: Load(Param("dst").Base(), GP64())}
		src := Mem{Base: Load(Param("x").Base(), GP64())}
		n := Load(Param("x").Len(), GP64())
		coef := make([]VecVirtual, 4)
		for i, name := range []string{"cnst", "mean", "halfPrec", "lin"} {
			// Broadcast from the argument's memory: a scalar load would be a legacy SSE
			// instruction amid AVX code.
			arg, err := Param(name).Resolve()
			if err != nil {
				panic(err)
			}
			coef[i] = YMM()
			p.Broadcast(arg.Addr, coef[i])
		}
		p.VectorLoop("", n, []emit.Ptr{{Reg: src.Base, Step: 32}, {Reg: dst.Base, Step: 32}}, func() {
			x, y := YMM(), YMM()
			p.Movu(src, x)
			var lin Op
			if !p.Is64() {
				lin = coef[3]
			}
			p.LogJoint(x, y, coef[0], coef[1], coef[2], lin)
			p.Movu(y, dst)
		})
		VZEROUPPER()
		RET()
	}
	emit.Finish()
}
