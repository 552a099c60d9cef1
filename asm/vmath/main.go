// Command vmath generates the AVX2 versions of gmmsimd's exp and log over whole slices,
// which the tests hold to internal/vmath and the benchmarks measure.
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
	for _, p := range []*emit.Prec{emit.AVX2.Double("vmath"), emit.AVX2.Single("vmath")} {
		unary(p, "exp", func(x, y VecVirtual) { p.Exp(x, y, emit.ExpAll) })
		unary(p, "log", func(x, y VecVirtual) { p.Log(x, y, emit.LogAll) })
	}
	emit.Finish()
}

// unary emits name+"AVX2"+p.Name(dst, x), dst[i] = f(x[i]) for whole vectors.
func unary(p *emit.Prec, name string, f func(x, y VecVirtual)) {
	fn := name + "AVX2" + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst, x []%s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] = %s(x[i]) (internal/vmath's algorithm) for i < len(x), which must be a multiple of %d and at most len(dst).", fn, name, p.Lanes))
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	src := Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("x").Len(), GP64())
	SHRQ(U8(log2(p.Lanes)), n)
	Label("loop")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	x, y := YMM(), YMM()
	p.Movu(src, x)
	f(x, y)
	p.Movu(y, dst)
	ADDQ(U8(32), src.Base)
	ADDQ(U8(32), dst.Base)
	DECQ(n)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}
