package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transpose emits the AVX-512 transpose of a block's rows of d features to planes, a
// square of L features by L samples at a time (L the register's lanes): L rows' L values
// loaded, transposed in registers, stored as L registers of L planes. The features past
// the last whole group of L are left to the caller (Go's loop). An 8 x 8 square of float64
// takes three rounds of 8 shuffles: unpacks within 128-bit lanes, then two rounds of
// 128-bit lane shuffles; a 16 x 16 square of float32 four rounds of 16: unpacks, shuffles
// within lanes, two rounds across them. Go's loop takes a load and a store a value.
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
	rowBytes, planeBytes := GP64(), GP64()
	IMUL3Q(U8(p.Size), d, rowBytes)
	IMUL3Q(U8(p.Size), n, planeBytes)
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
	SHLQ(U8(emit.Log2(l)), planeBytes)
	ADDQ(planeBytes, pl)
	SHRQ(U8(emit.Log2(l)), planeBytes)
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
	// lanes(a, b, imm) is the 128-bit lanes imm picks: two of a, then two of b.
	lanes := func(a, b VecVirtual, imm uint8) VecVirtual {
		v := p.Vec()
		if p.Is64() {
			VSHUFF64X2(U8(imm), b, a, v)
		} else {
			VSHUFF32X4(U8(imm), b, a, v)
		}
		return v
	}
	const even, odd = 0x88, 0xdd // lanes 0 and 2, or 1 and 3, of each source
	if p.Is64() {
		// pairs[2q] holds, in 128-bit lane k, column 2k of rows 2q and 2q+1;
		// pairs[2q+1] column 2k+1.
		u := make([]VecVirtual, l)
		for g := 0; g < l; g += 4 {
			u[g], u[g+1] = lanes(pairs[g], pairs[g+2], even), lanes(pairs[g+1], pairs[g+3], even)
			u[g+2], u[g+3] = lanes(pairs[g], pairs[g+2], odd), lanes(pairs[g+1], pairs[g+3], odd)
		}
		out := make([]VecVirtual, l)
		for c := range 4 {
			out[c], out[c+4] = lanes(u[c], u[c+4], even), lanes(u[c], u[c+4], odd)
		}
		return out
	}
	// float32: pairs[2q] holds, in 128-bit lane k, columns 4k and 4k+1 of rows 2q and
	// 2q+1; pairs[2q+1] columns 4k+2 and 4k+3. Shuffles within lanes gather four rows'
	// column: u[4g+c] holds, in lane k, column 4k+c of rows 4g to 4g+3.
	u := make([]VecVirtual, l)
	for g := 0; g < l; g += 4 {
		for c := range 4 {
			a, b := pairs[g+c/2], pairs[g+2+c/2]
			imm := uint8(0x44) // elements 0 and 1 of each
			if c%2 == 1 {
				imm = 0xee // elements 2 and 3
			}
			u[g+c] = p.Vec()
			VSHUFPS(U8(imm), b, a, u[g+c])
		}
	}
	v := make([]VecVirtual, l)
	for c := range 4 {
		v[c], v[4+c] = lanes(u[c], u[4+c], even), lanes(u[c], u[4+c], odd)
		v[8+c], v[12+c] = lanes(u[8+c], u[12+c], even), lanes(u[8+c], u[12+c], odd)
	}
	out := make([]VecVirtual, l)
	for c := range 4 {
		out[c], out[8+c] = lanes(v[c], v[8+c], even), lanes(v[c], v[8+c], odd)
		out[4+c], out[12+c] = lanes(v[4+c], v[12+c], even), lanes(v[4+c], v[12+c], odd)
	}
	return out
}
