package emit

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// TableExp emits e^x through a table of 2^(j/16) (AVX-512 only, whose permutes read a
// 16-entry table from registers): x = (16n + j) ln2/16 + r with |r| <= ln2/32, and
// e^x = 2^n 2^(j/16) (1 + r + r^2 g(r)), g a polynomial of degree 5 (float64) or 1
// (float32) where exp's own needs 11 or 6 over |r| <= ln2/2: 12 operations on the
// multiply-add ports for float64 against 17, 7 for float32 against 11 (counted in the
// generated code). Each result is
// within about an ulp of e^x (the table's rounding and the last multiply-add's), not the
// bits of vmath's exp: the kernels that use it are checked against the exact e^x.
// NewTableExp loads the table and holds the constants in registers for the loop that
// follows; Release frees them.
type TableExp struct {
	p       *Prec
	tab     []VecVirtual // the table's entries, adjusted (see table): 2 registers for float64, 1 for float32
	release func()
}

// NewTableExp loads the table into registers and holds the constants of TableExp.Exp.
func (p *Prec) NewTableExp() *TableExp {
	if !p.EVEX {
		panic("emit: TableExp needs AVX-512's permutes")
	}
	e := &TableExp{p: p}
	sym := p.table()
	for off := 0; off < 16*p.Size; off += p.Width {
		v := p.Vec()
		VMOVDQU64(sym.Offset(off), v)
		e.tab = append(e.tab, v)
	}
	ln2hi, ln2lo, shifter, c := p.tableConsts()
	e.release = p.Hold(append([]float64{shifter, 16 * math.Log2E, ln2hi / 16, ln2lo / 16, p.flush()}, c...)...)
	return e
}

// Release returns the registers of the held constants.
func (e *TableExp) Release() { e.release() }

// Exp emits dst = e^x for finite x <= 0 or -Inf, 0 below ExpFlush (as Exp's ExpFlushed).
// x is left unchanged; dst must differ from x.
func (e *TableExp) Exp(x, dst VecVirtual) {
	p := e.p
	ln2hi, ln2lo, shifter, c := p.tableConsts()
	// k = round(16 x log2 e) in t's low bits; r = x - k ln2/16 in two steps.
	t, k, r := p.Vec(), p.Vec(), p.Vec()
	p.Movu(p.C(shifter), t)
	p.FMAdd231(p.C(16*math.Log2E), x, t)
	p.Sub(p.C(shifter), t, k)
	p.Movu(x, r)
	p.FNMAdd231(p.C(ln2hi/16), k, r)
	p.FNMAdd231(p.C(ln2lo/16), k, r)
	// e^r - 1 = r + r^2 g(r), r^2 Estrin's own where g's degree needs it.
	pows := p.Estrin(c, r, dst)
	if len(pows) < 2 {
		r2 := p.Vec()
		p.Mul(r, r, r2)
		pows = append(pows, r2)
	}
	p.FMAdd213(r, pows[1], dst)
	// 2^(j/16) from the table by k's low 4 bits, then 2^n: the entries hold the bits of
	// 2^(j/16) less j in the exponent's place, so that adding k there adds n.
	s := p.Vec()
	if p.Is64() {
		p.Movu(t, s)
		VPERMI2PD(e.tab[1], e.tab[0], s)
	} else {
		VPERMPS(e.tab[0], t, s)
	}
	p.ShiftLeft(operand.U8(p.MantBits-4), t, t)
	p.AddInt(t, s, s)
	// s (1 + (e^r - 1)), 0 in the lanes below the flush point.
	keep := p.Mask()
	p.Cmp(operand.U8(CmpNLT), p.C(p.flush()), x, keep)
	if p.Is64() {
		VFMADD213PD_Z(s, s, keep, dst)
	} else {
		VFMADD213PS_Z(s, s, keep, dst)
	}
}

// table returns the symbol of TableExp's 16 entries in p's precision: entry j holds the
// bits of 2^(j/16) less j shifted to the exponent's lowest bit less 4 (so that adding k
// shifted there, k = 16n + j, leaves 2^n 2^(j/16)).
func (p *Prec) table() operand.Mem {
	shift := uint(p.MantBits - 4)
	vals := make([]uint64, 16)
	for j := range vals {
		if p.Is64() {
			vals[j] = math.Float64bits(derived.ExpTable64[j]) - uint64(j)<<shift
		} else {
			vals[j] = uint64(math.Float32bits(derived.ExpTable32[j]) - uint32(j)<<shift)
		}
	}
	return p.Elements(fmt.Sprintf("%sexptab%d", p.consts.prefix, 8*p.Size), vals)
}
