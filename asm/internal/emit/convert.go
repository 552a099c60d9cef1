package emit

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Widen returns half 0 (low) or 1 (high) of a float32 register as a register of float64.
func (isa *ISA) Widen(v VecVirtual, half int) VecVirtual {
	out := isa.Vec()
	switch {
	case half == 0 && isa.EVEX:
		VCVTPS2PD(v.AsY(), out)
	case half == 0:
		VCVTPS2PD(v.AsX(), out)
	case isa.EVEX:
		hi := YMM()
		VEXTRACTF64X4(operand.U8(1), v, hi)
		VCVTPS2PD(hi, out)
	default:
		hi := XMM()
		VEXTRACTF128(operand.U8(1), v, hi)
		VCVTPS2PD(hi, out)
	}
	return out
}

// LoadWeights loads a register's worth of float64 weights from w as a register of p's
// type (float32 lanes narrow them).
func (p *Prec) LoadWeights(w operand.Mem) VecVirtual {
	v := p.Vec()
	switch {
	case p.Is64():
		VMOVUPD(w, v)
	case p.EVEX:
		hi := YMM()
		VCVTPD2PS(w, v.AsY())
		VCVTPD2PS(w.Offset(64), hi)
		VINSERTF64X4(operand.U8(1), hi, v, v)
	default:
		hi := XMM()
		VCVTPD2PSY(w, v.AsX())
		VCVTPD2PSY(w.Offset(32), hi)
		VINSERTF128(operand.U8(1), hi, v, v)
	}
	return v
}

// StoreLabels writes the lanes of idx, whole numbers below 65536 as floating-point
// values, as uint16 at dst.
func (p *Prec) StoreLabels(idx VecVirtual, dst operand.Mem) {
	switch {
	case p.Is64() && p.EVEX:
		w, hi := YMM(), XMM()
		VCVTTPD2DQ(idx, w)
		VEXTRACTI128(operand.U8(1), w, hi)
		VPACKUSDW(hi, w.AsX(), hi)
		VMOVDQU(hi, dst)
	case p.EVEX:
		w, out := ZMM(), YMM()
		VCVTTPS2DQ(idx, w)
		VPMOVDW(w, out)
		VMOVDQU(out, dst)
	case p.Is64():
		w := XMM()
		VCVTTPD2DQY(idx, w)
		VPACKUSDW(w, w, w)
		VMOVQ(w, dst)
	default:
		w, hi := YMM(), XMM()
		VCVTTPS2DQ(idx, w)
		VEXTRACTI128(operand.U8(1), w, hi)
		VPACKUSDW(hi, w.AsX(), hi)
		VMOVDQU(hi, dst)
	}
}
