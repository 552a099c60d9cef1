// Command classify generates the AVX2 hard assignment: for every sample, the index of the
// component with the largest weighted log-density, the lowest index on ties.
//
// coef is laid out as the E-step's (see ../estep): for component k, Const, Mean, HalfPrec
// and Lin each repeated across a register, at k*160 bytes + 0, 32, 64 and 96 (Lin read by
// float32 lanes only; the E-step's Centre, at + 128, not at all). Indices are carried as floating-point lanes (exact up to 2^24 in
// float32, beyond MaxComponents), converted to integers and packed to uint16 at the end.
package main

import (
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

func main() {
	emit.Header()
	for _, p := range []*emit.Prec{emit.AVX2.Double("classify"), emit.AVX2.Single("classify")} {
		classify(p)
	}
	emit.Finish()
}

func classify(p *emit.Prec) {
	fn := "classifyAVX2" + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst []uint16, x []%[1]s, coef []%[1]s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] to argmax_k P_k(x[i]) (the lowest k on ties) for i < len(x), which must be a multiple of %d and at most len(dst), under the K >= 1 components in coef (the E-step's layout).", fn, p.Lanes))
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	coef := Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())
	p.VectorLoop("", n, []emit.Ptr{{Reg: src, Step: 32}, {Reg: dst, Step: 2 * p.Lanes}}, func() {
		x, best, idx, k := YMM(), YMM(), YMM(), YMM()
		p.Movu(Mem{Base: src}, x)
		p.Movu(p.C(math.Inf(-1)), best)
		VXORPS(idx, idx, idx)
		VXORPS(k, k, k)
		cp, end := GP64(), GP64()
		MOVQ(coef, cp)
		LEAQ(Mem{Base: coef, Index: ncoef, Scale: uint8(p.Size)}, end)
		Label("component")
		pk, better := YMM(), YMM()
		var lin Op
		if !p.Is64() {
			lin = Mem{Base: cp, Disp: 96}
		}
		p.LogJoint(x, pk, Mem{Base: cp}, Mem{Base: cp, Disp: 32}, Mem{Base: cp, Disp: 64}, lin)
		// Strictly greater: an equal later component leaves the earlier index.
		p.Cmp(U8(emit.CmpGT), best, pk, better)
		p.Blend(better, pk, best, best)
		p.Blend(better, k, idx, idx)
		p.Add(p.C(1), k, k)
		ADDQ(U8(160), cp)
		CMPQ(cp, end)
		JB(LabelRef("component"))
		p.StoreLabels(idx, Mem{Base: dst})
	})
	VZEROUPPER()
	RET()
}
