package main

import (
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// classify emits the labelling of p's lanes for shape s.
func classify(p *emit.Prec, s shape) {
	fn := "multiClassify" + p.ISA.Name + p.Name + s.suffix()
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst []uint16, x []%[1]s, coef []%[1]s, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] to argmax_k P_k(sample i) (the lowest k on ties) for the n samples of %d features whose planes x holds "+
		"(n a multiple of %d, at most len(dst); plane j at x[j*n:]), under the K = len(coef)/%d components in coef (layout: see the generator).",
		fn, s.d, p.Lanes, s.values(p)))
	p.Begin()
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	xp := newPlanes(x, n, s.d, p.Size)
	dst := Load(Param("dst").Base(), GP64())
	coef := Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())
	end := GP64()
	LEAQ(Mem{Base: coef, Index: ncoef, Scale: uint8(p.Size)}, end)
	g := &sweep{p: p, s: s, coef: coef, end: end}
	p.VectorLoop("", n, []emit.Ptr{{Reg: x, Step: p.Width}, {Reg: dst, Step: 2 * p.Lanes}}, func() {
		xs := make([]VecVirtual, s.d)
		for j := range xs {
			xs[j] = p.Vec()
			p.Movu(xp.at(j), xs[j])
		}
		best, idx, k := p.Vec(), p.Vec(), p.Vec()
		p.Movu(p.C(math.Inf(-1)), best)
		p.Zero(idx)
		p.Zero(k)
		cp := GP64()
		MOVQ(coef, cp)
		Label("component")
		pk := g.logJoint(xs, g.coefficient(cp))
		// Strictly greater: an equal later component leaves the earlier index.
		better := p.Mask()
		p.Cmp(U8(emit.CmpGT), best, pk, better)
		p.Blend(better, pk, best, best)
		p.Blend(better, k, idx, idx)
		p.Add(p.C(1), k, k)
		ADDQ(U32(s.values(p)*p.Size), cp)
		CMPQ(cp, end)
		JB(LabelRef("component"))
		p.StoreLabels(idx, Mem{Base: dst})
	})
	VZEROUPPER()
	RET()
}
