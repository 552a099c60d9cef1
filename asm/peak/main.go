// Command peak generates loops of independent fused multiply-adds, for AVX2 and AVX-512
// in both precisions: the machine's FMA peak, the floor gmmbench sets the blocked
// kernels beside (the FMAs a shape needs over it).
package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// chains is how many independent sums a turn advances: more than two pipelines of four
// cycles' latency need, within AVX2's sixteen registers.
const chains = 12

func main() {
	emit.Header()
	for _, isa := range []*emit.ISA{emit.AVX2, emit.AVX512} {
		for _, p := range []*emit.Prec{isa.Double("peak"), isa.Single("peak")} {
			loop(p)
		}
	}
	emit.Finish()
}

// loop emits n turns of chains fused multiply-adds of whole registers, each into a sum
// of its own, and stores one lane of their total, so that nothing is idle or elided.
func loop(p *emit.Prec) {
	fn := "fmaPeak" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(n int, out []%s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs n turns of %d independent fused multiply-adds of whole registers (%d lanes each) and sets out[0] to a lane of their total.", fn, chains, p.Lanes))
	n := Load(Param("n"), GP64())
	out := Load(Param("out").Base(), GP64())
	sums := make([]VecVirtual, chains)
	for i := range sums {
		sums[i] = p.Vec()
		p.Zero(sums[i])
	}
	a, b := p.Vec(), p.Vec()
	p.Zero(a)
	p.Zero(b)
	Label("turn")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	for _, s := range sums {
		p.FMAdd231(a, b, s)
	}
	DECQ(n)
	JMP(LabelRef("turn"))
	Label("done")
	for _, s := range sums[1:] {
		p.Add(s, sums[0], sums[0])
	}
	if p.Is64() {
		VMOVSD(sums[0].AsX(), Mem{Base: out})
	} else {
		VMOVSS(sums[0].AsX(), Mem{Base: out})
	}
	VZEROUPPER()
	RET()
}
