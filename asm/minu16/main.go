// Command minu16 generates the AVX2 element-wise minimum of two slices of uint16, the
// inner loop of the segmentation's erosion (a 5x5 minimum filter is eight of them per
// row).
package main

import (
	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// lanes is how many uint16 an AVX2 register holds; unroll, how many registers a turn of
// the loop takes, so that the loop's own instructions stay a small part of it.
const (
	lanes  = 16
	unroll = 4
)

func main() {
	emit.Header()
	TEXT("minU16AVX2", NOSPLIT, "func(dst, src []uint16)")
	Pragma("noescape")
	Doc("minU16AVX2 sets dst[i] = min(dst[i], src[i]) for i < len(dst), which must be a multiple of 64 and at most len(src).")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	SHRQ(U8(6), n) // turns of lanes*unroll = 64 elements
	Label("loop")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	for u := range unroll {
		x := YMM()
		VMOVDQU(Mem{Base: src, Disp: 32 * u}, x)
		VPMINUW(Mem{Base: dst, Disp: 32 * u}, x, x)
		VMOVDQU(x, Mem{Base: dst, Disp: 32 * u})
	}
	ADDQ(U32(2*lanes*unroll), dst)
	ADDQ(U32(2*lanes*unroll), src)
	DECQ(n)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
	emit.Finish()
}
