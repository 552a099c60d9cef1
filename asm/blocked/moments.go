package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// momentTile is the register tile of moments' sums: rows planes of rd by cols planes of
// x, rows x cols sums beside the rows registers of rd and a register of x, within the
// register file. Each register of samples then loads rows + cols registers for rows x
// cols fused multiply-adds: the planes of a block of many features outgrow the first
// level of cache, and a row at a time loaded a register for each product.
func momentTile(p *emit.Prec) (rows, cols int) {
	if p.EVEX {
		return 4, 6
	}
	return 3, 3
}

// moments emits the block's sums sum_i rd_a x_b for a <= b <= d (x_d the caller's plane
// of ones), added into acc, a register of float64 lanes each, row a's sums b = a .. d
// one after another from row 0 (acc holds (d+1)(d+2)/2 registers). Tiles of
// momentTile's rows: the triangle of the tile's own columns, then its columns past
// them a tile at a time; every sum runs over the block's registers in order, so that
// the tiling does not change it.
func moments(p, dbl *emit.Prec) {
	fn := "blockedMoments" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(rd, x []%[1]s, n, d int, acc []float64)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds, for a <= b <= d, sum_i rd[a*n+i] x[b*n+i] over the n samples (n a multiple of %d, at most %d) into the %d float64 lanes of acc's register for (a, b), "+
		"the registers row by row from (0, 0).", fn, p.Lanes, 32*p.Lanes, dbl.Lanes))
	p.Begin()
	rd := Load(Param("rd").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	d := Load(Param("d"), GP64())
	m := &momentState{p: p, dbl: dbl, ra: rd, xoff: x, rowStart: Load(Param("acc").Base(), GP64()),
		stride: GP64(), regs: n, rowsLeft: d}
	SUBQ(rd, m.xoff) // x - rd: plane b of x is plane b of rd moved by xoff
	IMUL3Q(U8(p.Size), n, m.stride)
	if rows, _ := momentTile(p); rows > 3 {
		m.stride3 = GP64()
		LEAQ(Mem{Base: m.stride, Index: m.stride, Scale: 2}, m.stride3)
	}
	SHRQ(U8(emit.Log2(p.Lanes)), m.regs)
	INCQ(m.rowsLeft)
	rows, _ := momentTile(p)
	Label("rows")
	CMPQ(m.rowsLeft, U8(rows))
	JB(LabelRef("lastrows"))
	m.rowTile(rows, "r")
	JMP(LabelRef("rows"))
	Label("lastrows")
	for r := rows - 1; r >= 1; r-- {
		CMPQ(m.rowsLeft, U8(r))
		JNE(LabelRef(fmt.Sprintf("not%d", r)))
		m.rowTile(r, fmt.Sprintf("r%d", r))
		Label(fmt.Sprintf("not%d", r))
	}
	VZEROUPPER()
	RET()
}

// momentState is moments' registers across its tiles: ra points at the tile's first
// plane of rd, ra + xoff at the same plane of x, rowStart at acc's register of (a, a)
// for the tile's first row a, regs is the block's registers of samples and rowsLeft
// d + 1 - a.
type momentState struct {
	p, dbl                                     *emit.Prec
	ra, xoff, rowStart, stride, regs, rowsLeft Register
	stride3                                    Register // 3 stride, for tiles of four rows
}

// rowTile emits the sums of rows rows from ra: the triangle of their own columns, then
// the columns after them, cols at a time and the last together, and moves to the next
// rows.
func (m *momentState) rowTile(rows int, label string) {
	p := m.p
	_, cols := momentTile(p)
	xb, at := GP64(), GP64() // plane b of x; acc's register of (a, b)
	MOVQ(m.ra, xb)
	ADDQ(m.xoff, xb)
	MOVQ(m.rowStart, at)
	m.tile(rows, rows, true, xb, at, label+"d")
	colsLeft := GP64()
	MOVQ(m.rowsLeft, colsLeft)
	SUBQ(U8(rows), colsLeft)
	Label(label + "cols")
	CMPQ(colsLeft, U8(cols))
	JB(LabelRef(label + "lastcols"))
	m.tile(rows, cols, false, xb, at, label+"c")
	SUBQ(U8(cols), colsLeft)
	JMP(LabelRef(label + "cols"))
	Label(label + "lastcols")
	for c := cols - 1; c >= 1; c-- {
		CMPQ(colsLeft, U8(c))
		JNE(LabelRef(fmt.Sprintf("%snot%d", label, c)))
		m.tile(rows, c, false, xb, at, fmt.Sprintf("%sc%d", label, c))
		Label(fmt.Sprintf("%snot%d", label, c))
	}
	// Row a + r starts (d + 1 - a - r) registers after row a + r - 1.
	for range rows {
		next := GP64()
		MOVQ(m.rowsLeft, next)
		SHLQ(U8(emit.Log2(m.dbl.Width)), next)
		ADDQ(next, m.rowStart)
		DECQ(m.rowsLeft)
		ADDQ(m.stride, m.ra)
	}
}

// tile emits the sums of rows planes of rd from ra by cols planes of x from xb (the
// triangle alone, a <= b, where diag says the columns are the rows' own), added into
// acc from at, the register of (a, b) for the tile's first row and column; then moves
// xb and at past the tile's columns.
func (m *momentState) tile(rows, cols int, diag bool, xb, at Register, label string) {
	p := m.p
	sums := make([][]VecVirtual, rows)
	for r := range sums {
		sums[r] = make([]VecVirtual, cols)
		for c := range cols {
			if !diag || c >= r {
				sums[r][c] = p.Vec()
				p.Movu(p.C(0), sums[r][c]) // not a xor: avo would take it for a read, live from the start
			}
		}
	}
	ri, xi, left := GP64(), GP64(), GP64()
	MOVQ(m.ra, ri)
	MOVQ(xb, xi)
	MOVQ(m.regs, left)
	Label(label + "reg")
	w := make([]VecVirtual, rows)
	for r := range w {
		w[r] = p.Vec()
		p.Movu(m.plane(ri, r), w[r])
	}
	xk := GP64()
	MOVQ(xi, xk)
	for c := range cols {
		v := p.Vec()
		p.Movu(Mem{Base: xk}, v)
		for r := range rows {
			if !diag || c >= r {
				p.FMAdd231(v, w[r], sums[r][c])
			}
		}
		if c+1 < cols {
			ADDQ(m.stride, xk)
		}
	}
	ADDQ(U8(p.Width), ri)
	ADDQ(U8(p.Width), xi)
	DECQ(left)
	JNZ(LabelRef(label + "reg"))
	m.addSums(sums, at)
	for range cols {
		ADDQ(m.stride, xb)
	}
	ADDQ(U32(cols*m.dbl.Width), at)
}

// plane returns the register at ri in plane r of the tile's rows (r < 4).
func (m *momentState) plane(ri Register, r int) Mem {
	switch r {
	case 0:
		return Mem{Base: ri}
	case 1, 2:
		return Mem{Base: ri, Index: m.stride, Scale: uint8(r)}
	}
	return Mem{Base: ri, Index: m.stride3, Scale: 1}
}

// addSums adds the tile's sums into their registers of acc: (a + r, b + c) is r rows
// below (a, b) at at, row a + r holding (d + 1 - a - r) registers from (a + r, a + r).
func (m *momentState) addSums(sums [][]VecVirtual, at Register) {
	w := m.dbl.Width
	row, skip := GP64(), GP64() // (a + r, b); rowsLeft - 1 - r registers to the next row
	MOVQ(at, row)
	MOVQ(m.rowsLeft, skip)
	DECQ(skip)
	SHLQ(U8(emit.Log2(w)), skip)
	for r, rs := range sums {
		for c, v := range rs {
			if v != nil {
				addWide(m.p, v, Mem{Base: row, Disp: c * w})
			}
		}
		if r+1 < len(sums) {
			ADDQ(skip, row)
			SUBQ(U8(w), skip)
		}
	}
}

// addWide adds the lanes of v into the float64 register at acc: float32 lanes widened, a
// half at a time, and added.
func addWide(p *emit.Prec, v VecVirtual, acc Mem) {
	if p.Is64() {
		emit.AddLanes(v, acc)
		return
	}
	lo, hi := p.Widen(v, 0), p.Widen(v, 1)
	VADDPD(hi, lo, lo)
	emit.AddLanes(lo, acc)
}
