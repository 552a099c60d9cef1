// Package emit holds what the avo programs of gmmsimd share: a description of each
// floating-point precision's AVX2 instructions, a pool of vector constants, and the
// emitters of exp and log, which perform the operations of internal/vmath's scalar functions
// in the same order, lane by lane; and, for AVX-512 alone, a table-driven exp with fewer
// operations (TableExp), within an ulp of e^x but not vmath's bits.
package emit

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Header sets what every generated file starts with: the build constraint whose exact
// negation guards the Go fallback.
func Header() {
	// avo reads the old syntax: comma is and. The files get amd64 && gc && !purego && !noasm.
	ConstraintExpr("amd64,gc,!purego,!noasm")
}

// Comparison predicates of VCMPPD/VCMPPS (quiet; ordered but for CmpUnord and CmpNLT).
const (
	CmpEQ    = 0x00
	CmpUnord = 0x03
	CmpLT    = 0x11
	CmpNLT   = 0x15 // not less than, or unordered: the lanes where CmpLT is false
	CmpGT    = 0x1e
)

// Rounding immediates of VROUNDPD/VROUNDPS, precision exception suppressed.
const (
	RoundNearest = 0x08
	RoundFloor   = 0x09
)

// ISA is an instruction set the programs emit code for.
type ISA struct {
	Name  string // "AVX2" or "AVX512", the infix of function names
	Width int    // bytes in a vector register
	// EVEX: AVX-512 encodings on 512-bit registers, where comparisons write opmask
	// registers and blends read them.
	EVEX bool
	tag  string // told apart in the names of constants
}

// The instruction sets: AVX2 with FMA3 on 256-bit registers, and AVX-512 (F and DQ) on
// 512-bit ones.
var (
	AVX2   = &ISA{Name: "AVX2", Width: 32}
	AVX512 = &ISA{Name: "AVX512", Width: 64, EVEX: true, tag: "z"}
)

// Prec is one floating-point precision on one instruction set's registers.
type Prec struct {
	*ISA
	Name     string // "F64" or "F32", the suffix of function names
	GoType   string // "float64" or "float32"
	Lanes    int    // elements in a register
	Size     int    // bytes of an element
	MantBits int    // explicit mantissa bits
	consts   *Consts
	held     map[uint64]VecVirtual // the constants Hold put in registers, by bit pattern

	Add, Sub, Mul, Div, Max, Min, And, Or    func(ops ...operand.Op)
	AndNot, AddInt                           func(ops ...operand.Op)
	AddIntZ                                  func(a, b, mask, dst operand.Op) // AVX-512: dst = mask ? a + b : 0
	FMAdd213, FMAdd231, FNMAdd213, FNMAdd231 func(ops ...operand.Op)
	FMSub231                                 func(ops ...operand.Op)
	Round                                    func(i, mxy, xy operand.Op)
	Cmp                                      func(ops ...operand.Op)
	Blend                                    func(mask, a, b, dst operand.Op) // dst = mask ? a : b, lane by lane
	Movu                                     func(ops ...operand.Op)
	Broadcast                                func(ops ...operand.Op)
	ShiftLeft, ShiftRight                    func(ops ...operand.Op)
}

// Double and Single return the two precisions on isa, each with its own constant pool
// (prefix names the program, so that each generated file's constants are its own).
func (isa *ISA) Double(prefix string) *Prec {
	p := &Prec{
		ISA: isa, Name: "F64", GoType: "float64", Lanes: isa.Width / 8, Size: 8, MantBits: 52,
		consts: constsFor(prefix, isa, "64"),
		Add:    VADDPD, Sub: VSUBPD, Mul: VMULPD, Div: VDIVPD, Max: VMAXPD, Min: VMINPD, And: VANDPD, Or: VORPD,
		AndNot: VANDNPD, AddInt: VPADDQ,
		FMAdd213: VFMADD213PD, FMAdd231: VFMADD231PD, FNMAdd213: VFNMADD213PD, FNMAdd231: VFNMADD231PD,
		FMSub231: VFMSUB231PD, Round: VROUNDPD, Cmp: VCMPPD, Blend: VBLENDVPD, Movu: VMOVUPD, Broadcast: VBROADCASTSD,
		ShiftLeft: VPSLLQ, ShiftRight: VPSRLQ,
	}
	if isa.EVEX {
		p.And, p.Or, p.AndNot = VPANDQ, VPORQ, VPANDNQ
		p.Round = func(i, mxy, xy operand.Op) { VRNDSCALEPD(i, mxy, xy) }
		p.Blend = func(mask, a, b, dst operand.Op) { VBLENDMPD(a, b, mask, dst) }
		p.AddIntZ = func(a, b, mask, dst operand.Op) { VPADDQ_Z(a, b, mask, dst) }
	}
	return p
}

// Single is the float32 precision on isa; see Double.
func (isa *ISA) Single(prefix string) *Prec {
	p := &Prec{
		ISA: isa, Name: "F32", GoType: "float32", Lanes: isa.Width / 4, Size: 4, MantBits: 23,
		consts: constsFor(prefix, isa, "32"),
		Add:    VADDPS, Sub: VSUBPS, Mul: VMULPS, Div: VDIVPS, Max: VMAXPS, Min: VMINPS, And: VANDPS, Or: VORPS,
		AndNot: VANDNPS, AddInt: VPADDD,
		FMAdd213: VFMADD213PS, FMAdd231: VFMADD231PS, FNMAdd213: VFNMADD213PS, FNMAdd231: VFNMADD231PS,
		FMSub231: VFMSUB231PS, Round: VROUNDPS, Cmp: VCMPPS, Blend: VBLENDVPS, Movu: VMOVUPS, Broadcast: VBROADCASTSS,
		ShiftLeft: VPSLLD, ShiftRight: VPSRLD,
	}
	if isa.EVEX {
		p.And, p.Or, p.AndNot = VPANDD, VPORD, VPANDND
		p.Round = func(i, mxy, xy operand.Op) { VRNDSCALEPS(i, mxy, xy) }
		p.Blend = func(mask, a, b, dst operand.Op) { VBLENDMPS(a, b, mask, dst) }
		p.AddIntZ = func(a, b, mask, dst operand.Op) { VPADDD_Z(a, b, mask, dst) }
	}
	return p
}

// constsFor returns the constants of a precision (bits "64" or "32") of the program
// prefix on isa: its own pool, or the aligned pool it shares with the other precision.
func constsFor(prefix string, isa *ISA, bits string) *Consts {
	if isa.EVEX {
		return pool(prefix, isa)
	}
	return newConsts(prefix + isa.tag + bits)
}

// Vec allocates a vector register of the instruction set's width.
func (isa *ISA) Vec() VecVirtual {
	if isa.EVEX {
		return ZMM()
	}
	return YMM()
}

// Mask allocates what Cmp writes and Blend reads: an opmask register (AVX-512) or a
// vector register (AVX2).
func (isa *ISA) Mask() Register {
	if isa.EVEX {
		return K()
	}
	return YMM()
}

// reuse returns a mask as a vector register for AVX2, where masks are vectors, and a new
// vector register for AVX-512.
func (isa *ISA) reuse(mask Register) VecVirtual {
	if isa.EVEX {
		return isa.Vec()
	}
	return mask.(VecVirtual)
}

// Zero sets v to all zero bits.
func (isa *ISA) Zero(v VecVirtual) {
	if isa.EVEX {
		VPXORQ(v, v, v)
		return
	}
	VXORPS(v, v, v)
}

// Is64 reports whether p is float64.
func (p *Prec) Is64() bool { return p.Size == 8 }
