package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transpose emits the transpose of a block's rows of d features to planes, a square of L
// features by L samples at a time (L the register's lanes): L rows' L values loaded,
// transposed in registers, stored as L registers of L planes. The features past the last
// whole group of L are left to the caller (Go's loop). The unpacks interleave pairs of
// rows within each 128-bit lane (float32 then gathers four rows a lane by a shuffle
// within lanes), and the lanes are then gathered across the register: by one round of
// VPERM2F128 on AVX2 (4 x 4 float64 in 8 shuffles, 8 x 8 float32 in 24), by two rounds of
// lane shuffles on AVX-512 (8 x 8 float64 in 24, 16 x 16 float32 in 64). Go's loop takes a
// load and a store a value.
func transpose(p *emit.Prec) {
	fn := "blockedTranspose" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(planes, x []%s, d, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets plane j of planes (planes[j*n:(j+1)*n]) to feature j of the n samples of d features in x, "+
		"row-major, for j below d rounded down to a multiple of %d (n a multiple of %d).", fn, p.Lanes, p.Lanes))
	l := p.Lanes
	pl := Load(Param("planes").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	d := Load(Param("d"), GP64())
	n := Load(Param("n"), GP64())
	rowBytes, planeBytes, groupBytes := GP64(), GP64(), GP64()
	IMUL3Q(U8(p.Size), d, rowBytes)
	IMUL3Q(U8(p.Size), n, planeBytes)
	IMUL3Q(U8(l*p.Size), n, groupBytes) // l planes
	groups := d
	SHRQ(U8(emit.Log2(l)), groups)
	Label("group")
	TESTQ(groups, groups)
	JZ(LabelRef("end"))
	xi, pi, left := GP64(), GP64(), GP64()
	MOVQ(x, xi)
	MOVQ(pl, pi)
	MOVQ(n, left)
	p.VectorLoop("square", left, []emit.Ptr{{Reg: pi, Step: p.Width}}, func() {
		rows := make([]VecVirtual, l)
		for s := range rows {
			rows[s] = p.Vec()
			p.Movu(Mem{Base: xi}, rows[s])
			ADDQ(rowBytes, xi)
		}
		out := transposed(p, rows)
		at := GP64()
		MOVQ(pi, at)
		for t := range out {
			p.Movu(out[t], Mem{Base: at})
			ADDQ(planeBytes, at)
		}
	})
	// The next group: l features on in the rows, l planes on.
	ADDQ(U8(l*p.Size), x)
	ADDQ(groupBytes, pl)
	DECQ(groups)
	JMP(LabelRef("group"))
	Label("end")
	VZEROUPPER()
	RET()
}

// transposed returns the columns of the square of registers rows (row s, lane t):
// register t holds lane t of every row, in order.
func transposed(p *emit.Prec, rows []VecVirtual) []VecVirtual {
	l := len(rows)
	pairs := make([]VecVirtual, l) // unpacked: rows 2q and 2q+1 interleaved
	for q := 0; q < l; q += 2 {
		pairs[q], pairs[q+1] = p.Vec(), p.Vec()
		if p.Is64() {
			VUNPCKLPD(rows[q+1], rows[q], pairs[q])
			VUNPCKHPD(rows[q+1], rows[q], pairs[q+1])
		} else {
			VUNPCKLPS(rows[q+1], rows[q], pairs[q])
			VUNPCKHPS(rows[q+1], rows[q], pairs[q+1])
		}
	}
	cols := pairs
	if !p.Is64() {
		// float32: pairs[2q] holds, in 128-bit lane k, columns 4k and 4k+1 of rows 2q
		// and 2q+1; pairs[2q+1] columns 4k+2 and 4k+3. Shuffles within lanes gather
		// four rows' column: cols[4g+c] holds, in lane k, column 4k+c of rows 4g to 4g+3.
		cols = make([]VecVirtual, l)
		for g := 0; g < l; g += 4 {
			for c := range 4 {
				a, b := pairs[g+c/2], pairs[g+2+c/2]
				imm := uint8(0x44) // elements 0 and 1 of each
				if c%2 == 1 {
					imm = 0xee // elements 2 and 3
				}
				cols[g+c] = p.Vec()
				VSHUFPS(U8(imm), b, a, cols[g+c])
			}
		}
	}
	// Now cols[r*w+c] (w = 2 in float64, 4 in float32: the elements of a 128-bit lane)
	// holds, in 128-bit lane k, column k*w+c of rows r*w to r*w+w-1: what is left is to
	// gather the lanes, whose order is that of a transpose of a square of lanes.
	w := 16 / p.Size
	if !p.ISA.EVEX { // two lanes: one round of VPERM2F128
		out := make([]VecVirtual, l)
		for c := range w {
			out[c], out[w+c] = p.Vec(), p.Vec()
			VPERM2F128(U8(0x20), cols[w+c], cols[c], out[c])   // the low lanes
			VPERM2F128(U8(0x31), cols[w+c], cols[c], out[w+c]) // the high lanes
		}
		return out
	}
	// Four lanes: two rounds of lane shuffles, each taking lanes 0 and 2 (even) or 1 and
	// 3 (odd) of two registers.
	lanes := func(a, b VecVirtual, imm uint8) VecVirtual {
		v := p.Vec()
		if p.Is64() {
			VSHUFF64X2(U8(imm), b, a, v)
		} else {
			VSHUFF32X4(U8(imm), b, a, v)
		}
		return v
	}
	const even, odd = 0x88, 0xdd
	mid := make([]VecVirtual, l)
	for r := 0; r < 4; r += 2 {
		for c := range w {
			a, b := cols[r*w+c], cols[(r+1)*w+c]
			mid[r*w+c], mid[(r+1)*w+c] = lanes(a, b, even), lanes(a, b, odd)
		}
	}
	out := make([]VecVirtual, l)
	for r := range 2 {
		for c := range w {
			a, b := mid[r*w+c], mid[(r+2)*w+c]
			out[r*w+c], out[(r+2)*w+c] = lanes(a, b, even), lanes(a, b, odd)
		}
	}
	return out
}
