// Command unit8 generates the conversion of 8-bit levels to samples in [0, 1], level/255
// rounded to float64 (then to float32), for AVX2 and AVX-512: the reading of an image's
// pixels that every pass of a colour fit makes.
//
// A register of float64 lanes takes its levels from the bytes at src, src+in, ...: with
// in = 1 (a plane of bytes) eight or four bytes widened to 32-bit lanes; with in = 4 (one
// channel of RGBA pixels, src at the channel's byte) a load of as many whole pixels whose
// other bytes are masked off. The lanes are converted exactly to float64 v, and v/255
// correctly rounded is made without a division: q = v c with c = 1/255 rounded, the
// remainder e = v - 255 q exact by a fused multiply-add, then q + e c. That is v/255 for
// every level 0..255 (the tests check each); float32 lanes round it once more, as the Go
// code does with its float64 table.
package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unroll is how many registers of levels a turn of the loop converts.
const unroll = 4

func main() {
	emit.Header()
	for _, isa := range []*emit.ISA{emit.AVX2, emit.AVX512} {
		dbl := isa.Double("unit8")
		for _, out := range []*emit.Prec{dbl, isa.Single("unit8")} {
			for _, in := range []int{1, 4} {
				convert(isa, dbl, out, in)
			}
		}
	}
	emit.Finish()
}

// convert emits the function of isa that writes out's type from levels in bytes apart.
func convert(isa *emit.ISA, dbl, out *emit.Prec, in int) {
	lanes := dbl.Lanes // float64 lanes: the values a register converts
	turn := lanes * unroll
	fn := fmt.Sprintf("unit%s%sIn%d", isa.Name, out.Name, in)
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst []%s, src []uint8, n int)", out.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] to the level src[i*%d] over 255, for i < n, a multiple of %d; "+
		"it reads src[:%d*n].", fn, in, turn, in))
	dbl.Begin()
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(emit.Log2(turn)), n)
	Label("loop")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	for u := range unroll {
		v := levels(isa, dbl, Mem{Base: src, Disp: u * lanes * in}, in)
		store(isa, out, unitOf(dbl, v), Mem{Base: dst, Disp: u * lanes * out.Size})
	}
	ADDQ(U32(turn*in), src)
	ADDQ(U32(turn*out.Size), dst)
	DECQ(n)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// levels returns a register of float64 lanes holding the levels at m, in bytes apart.
func levels(isa *emit.ISA, dbl *emit.Prec, m Mem, in int) VecVirtual {
	ints := XMM() // 32-bit lanes, half the register's width
	if isa.EVEX {
		ints = YMM()
	}
	if in == 1 {
		VPMOVZXBD(m, ints)
	} else {
		VMOVDQU(m, ints)
		VPAND(dbl.Bits(0xff_0000_00ff), ints, ints) // each pixel's first byte
	}
	v := isa.Vec()
	VCVTDQ2PD(ints, v)
	return v
}

// unitOf returns v/255, correctly rounded: q = v c, e = v - 255 q (exact, into v), q + e c.
func unitOf(dbl *emit.Prec, v VecVirtual) VecVirtual {
	q := dbl.ISA.Vec()
	dbl.Mul(dbl.C(1.0/255), v, q)
	dbl.FNMAdd231(dbl.C(255), q, v)
	dbl.FMAdd231(dbl.C(1.0/255), v, q)
	return q
}

// store writes the float64 lanes v at m as out's type.
func store(isa *emit.ISA, out *emit.Prec, v VecVirtual, m Mem) {
	if out.Is64() {
		out.Movu(v, m)
		return
	}
	if isa.EVEX {
		half := YMM()
		VCVTPD2PS(v, half)
		VMOVUPS(half, m)
		return
	}
	half := XMM()
	VCVTPD2PSY(v, half)
	VMOVUPS(half, m)
}
