package emit

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Log2 returns the base-2 logarithm of a power of two.
func Log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}

// Ptr is a pointer that a loop advances by Step bytes an iteration.
type Ptr struct {
	Reg  Register
	Step int
}

// VectorLoop emits a loop that runs body once per whole register of n elements (n, a
// general-purpose register holding an element count, is consumed), then advances each of
// ptrs by its step. Labels are prefixed with name.
func (p *Prec) VectorLoop(name string, n Register, ptrs []Ptr, body func()) {
	SHRQ(operand.U8(Log2(p.Lanes)), n)
	Label(name + "loop")
	TESTQ(n, n)
	JZ(operand.LabelRef(name + "done"))
	body()
	for _, r := range ptrs {
		if r.Step > 255 {
			ADDQ(operand.U32(r.Step), r.Reg)
		} else {
			ADDQ(operand.U8(r.Step), r.Reg)
		}
	}
	DECQ(n)
	JMP(operand.LabelRef(name + "loop"))
	Label(name + "done")
}
