// Command blocked generates the multichannel E-step's pieces for samples of many features
// (d of 5 and more), for AVX2 and AVX-512, float64 and float32. The caller transposes a
// block of samples to planes (plane j holds feature j of every sample of the block, n a
// multiple of the register's lanes) and, for each component, calls:
//
//   - centre: dst_j = x_j - c_j for every plane j < d: the samples less the component's
//     mean (float32: its float32 value) or the moments' centre.
//   - joints: P = Const - |y|^2/2 with y_j = sum_{i <= j} U_ij D_i over the centred
//     planes D, U_k upper-triangular and row-major (d x d). A register tile (see tile)
//     of samples by columns of U at a time, each y_j's sum in a register of its own, the
//     products fused in the order of the Go twin (y_j = U_0j D_0 then fused
//     multiply-adds of U_ij D_i, i rising; |y|^2 = y_0^2 then fused multiply-adds of
//     y_j^2, j rising), so that a lane's P is the Go twin's bit for bit in float64.
//     float32 lanes start y_j from -b_j (the mean's rest that float32 cannot hold,
//     through U: see asm/multi) and fuse every product.
//   - weigh: r = e c/S, D_j = x_j - c_j and rd_j = r D_j for j < d, rd_d = r: the
//     responsibilities, and the planes less the moments' centre unweighted and weighted
//     by them, in one pass.
//   - moments: the sums sum_i rd_a D_b for a <= b <= d over the block, with D_d = 1 (a
//     plane of ones the caller keeps), which make N (a = b = d), S_a (b = d) and Q_ab at
//     once; a tile of them at a time (see momentTile), each a register whose lanes add
//     up the block's samples, then added, widened from float32, into acc, a register of
//     float64 lanes for each sum, which the caller adds up at the end of the tile.
//
// Statistics add up in float64; float32 lanes sum a block (at most 32 registers) before
// they widen, as the other kernels do.
package main

import (
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	emit.Header()
	for _, isa := range []*emit.ISA{emit.AVX2, emit.AVX512} {
		double := isa.Double("blocked")
		for _, p := range []*emit.Prec{double, isa.Single("blocked")} {
			centre(p)
			joints(p)
			weigh(p)
			moments(p, double)
			jointsDiag(p)
			momentsDiag(p, double)
		}
	}
	emit.Finish()
}

// rows is how many registers of samples jointsDiag takes at a time: as many independent
// chains of fused multiply-adds as fill two pipelines of four cycles' latency, and
// their sums of squares beside them, within the register file.
func rows(p *emit.Prec) int {
	if p.EVEX {
		return 8
	}
	return 6
}

// tile is the register tile of joints' triangular product: regs registers of samples by
// cols columns of U, regs x cols sums of y beside the regs samples' values and sums of
// squares and a broadcast of U, within the register file (32 registers of AVX-512, 16 of
// AVX2). Each row of U then loads regs + cols registers for regs x cols fused
// multiply-adds, all independent; a column at a time loaded one broadcast and regs
// samples for regs of them.
func tile(p *emit.Prec) (regs, cols int) {
	if p.EVEX {
		return 4, 5
	}
	return 2, 4
}

// centre emits dst_j = x_j - c_j for the d planes of n samples.
func centre(p *emit.Prec) {
	fn := "blockedCentre" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst, x []%[1]s, n int, c []%[1]s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[j*n+i] = x[j*n+i] - c[j] for the len(c) planes of n samples (n a multiple of %d).", fn, p.Lanes))
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	cp := Load(Param("c").Base(), GP64())
	planes := Load(Param("c").Len(), GP64())
	n := Load(Param("n"), GP64())
	Label("plane")
	TESTQ(planes, planes)
	JZ(LabelRef("end"))
	c := p.Vec()
	p.Broadcast(Mem{Base: cp}, c)
	left := GP64()
	MOVQ(n, left)
	p.VectorLoop("v", left, []emit.Ptr{{Reg: x, Step: p.Width}, {Reg: dst, Step: p.Width}}, func() {
		v := p.Vec()
		p.Movu(Mem{Base: x}, v)
		p.Sub(c, v, v)
		p.Movu(v, Mem{Base: dst})
	})
	ADDQ(U8(p.Size), cp)
	DECQ(planes)
	JMP(LabelRef("plane"))
	Label("end")
	VZEROUPPER()
	RET()
}

// joints emits the log-joints of one component over the d centred planes of n samples.
func joints(p *emit.Prec) {
	fn := "blockedJoints" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst, x []%[1]s, n int, u, negb []%[1]s, cnst %[1]s)", p.GoType))
	Pragma("noescape")
	what := "y_j = sum_{i <= j} u[i*d+j] x_i"
	if !p.Is64() {
		what = "y_j = negb[j] + sum_{i <= j} u[i*d+j] x_i"
	}
	Doc(fmt.Sprintf("%s sets dst[i] = cnst - |y|^2/2 (-Inf where that is NaN) for the n samples (n a multiple of %d) whose d = len(negb) planes x holds (plane j at x[j*n:]), with %s.",
		fn, p.Lanes, what))
	p.Begin()
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	u := Load(Param("u").Base(), GP64())
	negb := Load(Param("negb").Base(), GP64())
	d := Load(Param("negb").Len(), GP64())
	cnst := broadcastArg(p, "cnst")
	stride := GP64() // bytes from one plane to the next
	IMUL3Q(U8(p.Size), n, stride)
	rowBytes := GP64() // bytes from one row of u to the next
	IMUL3Q(U8(p.Size), d, rowBytes)
	regs, _ := tile(p)
	inGroups(p, regs, n, x, dst, cnst, func(group int, label string) []VecVirtual {
		g := &jointGroup{p: p, regs: group, x: x, u: u, negb: negb, d: d, stride: stride, rowBytes: rowBytes, label: label}
		return g.sumOfSquares()
	})
	VZEROUPPER()
	RET()
}

// inGroups emits the log-joints' loop over the n samples at x: group registers at a
// time, then one at a time, sums(regs, label) emitting each group's |y|^2, a register
// each, and dst's registers set to cnst - |y|^2/2 (-Inf where that is NaN).
func inGroups(p *emit.Prec, group int, n, x, dst Register, cnst VecVirtual, sums func(regs int, label string) []VecVirtual) {
	left := GP64()
	MOVQ(n, left)
	SHRQ(U8(emit.Log2(p.Lanes)), left) // registers of samples left
	for _, group := range []int{group, 1} {
		label := fmt.Sprintf("g%d", group)
		Label(label)
		CMPQ(left, U32(group))
		JB(LabelRef(label + "done"))
		q := sums(group, label)
		for k := range group {
			v := p.Vec()
			p.Movu(cnst, v)
			p.FNMAdd231(p.C(0.5), q[k], v) // Const - q/2, q/2 exact
			outOfReach(p, v)
			p.Movu(v, Mem{Base: dst, Disp: k * p.Width})
		}
		ADDQ(U32(group*p.Width), x)
		ADDQ(U32(group*p.Width), dst)
		SUBQ(U32(group), left)
		JMP(LabelRef(label))
		Label(label + "done")
	}
}

// broadcastArg returns the scalar argument name broadcast to a register, from its
// memory: a scalar load would be a legacy SSE instruction amid AVX code.
func broadcastArg(p *emit.Prec, name string) VecVirtual {
	arg, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	v := p.Vec()
	p.Broadcast(arg.Addr, v)
	return v
}

// jointGroup is the state of joints' loops over a group of regs registers of samples.
type jointGroup struct {
	p                               *emit.Prec
	regs                            int
	x, u, negb, d, stride, rowBytes Register
	label                           string
}

// sumOfSquares emits |y|^2 for the group's registers of samples and returns the regs
// sums: the columns of U a tile of tile(p)'s cols at a time, then the last d mod cols
// together, each y_j's sum over the rows i <= j in their order and the squares added in
// the columns' order, as the Go twin takes them.
func (g *jointGroup) sumOfSquares() []VecVirtual {
	p := g.p
	q := make([]VecVirtual, g.regs)
	for k := range q {
		q[k] = p.Vec()
		p.Movu(p.C(0), q[k]) // as columns zeroes y
	}
	_, cols := tile(p)
	j := GP64() // the tile's first column
	XORQ(j, j)
	Label(g.label + "tiles")
	g.columnsLeft(j, cols)
	JB(LabelRef(g.label + "last"))
	g.columns(cols, j, q, g.label+"t")
	JMP(LabelRef(g.label + "tiles"))
	Label(g.label + "last")
	for c := cols - 1; c >= 1; c-- {
		g.columnsLeft(j, c)
		JNE(LabelRef(fmt.Sprintf("%snot%d", g.label, c)))
		g.columns(c, j, q, fmt.Sprintf("%sl%d", g.label, c))
		JMP(LabelRef(g.label + "cols"))
		Label(fmt.Sprintf("%snot%d", g.label, c))
	}
	Label(g.label + "cols")
	return q
}

// columnsLeft emits the comparison of the columns left from j, d - j, with c (a
// temporary register: the general ones run short).
func (g *jointGroup) columnsLeft(j Register, c int) {
	left := GP64()
	MOVQ(g.d, left)
	SUBQ(j, left)
	CMPQ(left, U8(c))
}

// columns emits y_j for the cols columns from j and adds their squares to q in order,
// then moves j past them. Rows 0 to j feed every column;
// row j + t, for t from 1 to cols - 1, only the columns from j + t on (U is upper
// triangular).
func (g *jointGroup) columns(cols int, j Register, q []VecVirtual, label string) {
	p := g.p
	y := make([][]VecVirtual, g.regs)
	for k := range y {
		y[k] = make([]VecVirtual, cols)
		for c := range cols {
			y[k][c] = p.Vec()
			if p.Is64() {
				p.Movu(p.C(0), y[k][c]) // not a xor: avo would take it for a read, live from the start
			} else {
				p.Broadcast(Mem{Base: g.negb, Index: j, Scale: uint8(p.Size), Disp: c * p.Size}, y[k][c])
			}
		}
	}
	i, ui, xi := GP64(), GP64(), GP64() // row i; ui points at u[i][j], xi at plane i's registers
	XORQ(i, i)
	LEAQ(Mem{Base: g.u, Index: j, Scale: uint8(p.Size)}, ui)
	MOVQ(g.x, xi)
	Label(label + "row")
	g.row(y, 0, ui, xi)
	INCQ(i)
	CMPQ(i, j)
	JBE(LabelRef(label + "row"))
	for t := 1; t < cols; t++ {
		g.row(y, t, ui, xi)
	}
	for c := range cols {
		for k := range y {
			p.FMAdd231(y[k][c], y[k][c], q[k])
		}
	}
	ADDQ(U8(cols), j)
}

// row emits one row of U's terms for the columns from first on of the tile's y (the row
// i at ui, the samples' plane i at xi), and moves ui and xi to the next row.
func (g *jointGroup) row(y [][]VecVirtual, first int, ui, xi Register) {
	p := g.p
	xs := make([]VecVirtual, len(y))
	for k := range xs {
		xs[k] = p.Vec()
		p.Movu(Mem{Base: xi, Disp: k * p.Width}, xs[k])
	}
	for c := first; c < len(y[0]); c++ {
		uij := p.Vec()
		p.Broadcast(Mem{Base: ui, Disp: c * p.Size}, uij)
		for k := range y {
			p.FMAdd231(xs[k], uij, y[k][c])
		}
	}
	ADDQ(g.rowBytes, ui)
	ADDQ(g.stride, xi)
}

// outOfReach makes a NaN log-joint (an infinite difference met a zero of U) -Inf, as the
// Go twin has it.
func outOfReach(p *emit.Prec, v VecVirtual) {
	if p.EVEX {
		fixup := VFIXUPIMMPD
		if !p.Is64() {
			fixup = VFIXUPIMMPS
		}
		fixup(U8(0), p.Bits(0x44), v, v) // a NaN's classes (the table's low nibbles) take token 4, -Inf
		return
	}
	mask := p.Mask()
	p.Cmp(U8(emit.CmpUnord), v, v, mask)
	p.Blend(mask, p.C(math.Inf(-1)), v, v)
}

// weigh emits the block's responsibilities r = e s (e the component's exp(P - max), s
// the samples' c/S), the d planes less the centres c (into dst) and weighted by r (into
// rd), then r itself as plane d of rd: one pass over the planes for what the moments
// read.
func weigh(p *emit.Prec) {
	fn := "blockedWeigh" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(rd, dst, x []%[1]s, n int, c, e, s []%[1]s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets r = e[i] s[i], dst[j*n+i] = x[j*n+i] - c[j] and rd[j*n+i] = r dst[j*n+i] for j < d = len(c), rd[d*n+i] = r, for the n samples (n a multiple of %d).", fn, p.Lanes))
	rd := Load(Param("rd").Base(), GP64())
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	cp := Load(Param("c").Base(), GP64())
	d := Load(Param("c").Len(), GP64())
	e := Load(Param("e").Base(), GP64())
	s := Load(Param("s").Base(), GP64())
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	// r into plane d of rd first; then plane by plane, each a stream of its own (a loop
	// over planes inside one over registers, its streams 2^k bytes apart, measured three
	// times slower: loads waited on stores to addresses alike in their low bits).
	rp := GP64()
	MOVQ(stride, rp)
	IMULQ(d, rp)
	ADDQ(rd, rp)
	left := GP64()
	MOVQ(n, left)
	r := GP64()
	MOVQ(rp, r)
	p.VectorLoop("r", left, []emit.Ptr{{Reg: r, Step: p.Width}, {Reg: e, Step: p.Width}, {Reg: s, Step: p.Width}}, func() {
		v := p.Vec()
		p.Movu(Mem{Base: e}, v)
		p.Mul(Mem{Base: s}, v, v)
		p.Movu(v, Mem{Base: r})
	})
	Label("plane")
	TESTQ(d, d)
	JZ(LabelRef("end"))
	c := p.Vec()
	p.Broadcast(Mem{Base: cp}, c)
	MOVQ(n, left)
	ri := GP64()
	MOVQ(rp, ri)
	xj, dj, rj := GP64(), GP64(), GP64()
	MOVQ(x, xj)
	MOVQ(dst, dj)
	MOVQ(rd, rj)
	p.VectorLoop("p", left, []emit.Ptr{{Reg: xj, Step: p.Width}, {Reg: dj, Step: p.Width}, {Reg: rj, Step: p.Width}, {Reg: ri, Step: p.Width}}, func() {
		v := p.Vec()
		p.Movu(Mem{Base: xj}, v)
		p.Sub(c, v, v)
		p.Movu(v, Mem{Base: dj})
		p.Mul(Mem{Base: ri}, v, v)
		p.Movu(v, Mem{Base: rj})
	})
	ADDQ(stride, x)
	ADDQ(stride, dst)
	ADDQ(stride, rd)
	ADDQ(U8(p.Size), cp)
	DECQ(d)
	JMP(LabelRef("plane"))
	Label("end")
	VZEROUPPER()
	RET()
}

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
	m.inAcc(sums, at, func(v VecVirtual, acc Mem) { addWide(p, v, acc) })
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
	three := GP64()
	LEAQ(Mem{Base: m.stride, Index: m.stride, Scale: 2}, three)
	return Mem{Base: ri, Index: three, Scale: 1}
}

// inAcc calls f with each of the tile's sums and its register of acc: (a + r, b + c) is
// r rows below (a, b) at at, row a + r holding (d + 1 - a - r) registers from
// (a + r, a + r).
func (m *momentState) inAcc(sums [][]VecVirtual, at Register, f func(v VecVirtual, acc Mem)) {
	w := m.dbl.Width
	row, skip := GP64(), GP64() // (a + r, b); rowsLeft - 1 - r registers to the next row
	MOVQ(at, row)
	MOVQ(m.rowsLeft, skip)
	DECQ(skip)
	SHLQ(U8(emit.Log2(w)), skip)
	for r, rs := range sums {
		for c, v := range rs {
			if v != nil {
				f(v, Mem{Base: row, Disp: c * w})
			}
		}
		if r+1 < len(sums) {
			ADDQ(skip, row)
			SUBQ(U8(w), skip)
		}
	}
}

// jointsDiag emits the log-joints of one component with a diagonal factor over the d
// planes of n samples, in the Go twin's operations: y_j = (x_j - mu_j) U_jj (float32:
// U_jj (x_j - mu_j) - b_j fused, the mean split as in joints), |y|^2 = y_0^2 then fused
// multiply-adds, P = Const - |y|^2/2. R registers of samples at a time, the features one
// by one.
func jointsDiag(p *emit.Prec) {
	fn := "blockedJointsDiag" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst, x []%[1]s, n int, mu, u, negb []%[1]s, cnst %[1]s)", p.GoType))
	Pragma("noescape")
	what := "y_j = (x_j - mu[j]) u[j]"
	if !p.Is64() {
		what = "y_j = (x_j - mu[j]) u[j] + negb[j]"
	}
	Doc(fmt.Sprintf("%s sets dst[i] = cnst - |y|^2/2 (-Inf where that is NaN) for the n samples (n a multiple of %d) whose d = len(mu) planes x holds (plane j at x[j*n:]), with %s.",
		fn, p.Lanes, what))
	p.Begin()
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	mu := Load(Param("mu").Base(), GP64())
	u := Load(Param("u").Base(), GP64())
	negb := Load(Param("negb").Base(), GP64())
	d := Load(Param("mu").Len(), GP64())
	cnst := broadcastArg(p, "cnst")
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	inGroups(p, rows(p), n, x, dst, cnst, func(group int, label string) []VecVirtual {
		q := make([]VecVirtual, group)
		for k := range q {
			q[k] = p.Vec()
			p.Zero(q[k])
		}
		j, xj := GP64(), GP64()
		XORQ(j, j)
		MOVQ(x, xj)
		Label(label + "feat")
		m, uj := p.Vec(), p.Vec()
		p.Broadcast(Mem{Base: mu, Index: j, Scale: uint8(p.Size)}, m)
		p.Broadcast(Mem{Base: u, Index: j, Scale: uint8(p.Size)}, uj)
		var b VecVirtual
		if !p.Is64() {
			b = p.Vec()
			p.Broadcast(Mem{Base: negb, Index: j, Scale: uint8(p.Size)}, b)
		}
		for k := range q {
			y := p.Vec()
			p.Movu(Mem{Base: xj, Disp: k * p.Width}, y)
			p.Sub(m, y, y)
			if p.Is64() {
				p.Mul(uj, y, y)
			} else {
				p.FMAdd213(b, uj, y) // y = U_jj y - b_j
			}
			p.FMAdd231(y, y, q[k])
		}
		ADDQ(stride, xj)
		INCQ(j)
		CMPQ(j, d)
		JB(LabelRef(label + "feat"))
		return q
	})
	VZEROUPPER()
	RET()
}

// momentsDiag emits one component's sums with a diagonal factor over the block: with
// r = e s and x_j's difference from the centre c_j, N = sum r, S_j = sum r (x_j - c_j)
// and Q_jj = sum r (x_j - c_j)^2, each in a register whose lanes add up the block's
// samples, then added, widened from float32, into acc's float64 registers in the order
// N, S_0 .. S_{d-1}, Q_00 .. Q_{d-1,d-1}.
func momentsDiag(p, dbl *emit.Prec) {
	fn := "blockedMomentsDiag" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, n int, c, e, s []%[1]s, acc []float64)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds, with r = e[i] s[i] and d_j = x[j*n+i] - c[j] over the n samples (n a multiple of %d, at most %d) and the d = len(c) planes of x, "+
		"sum r, then sum r d_j for each j, then sum r d_j^2 for each j, into the %d float64 lanes of acc's registers in that order.", fn, p.Lanes, 32*p.Lanes, dbl.Lanes))
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	cp := Load(Param("c").Base(), GP64())
	d := Load(Param("c").Len(), GP64())
	e := Load(Param("e").Base(), GP64())
	s := Load(Param("s").Base(), GP64())
	acc := Load(Param("acc").Base(), GP64())
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	regs := GP64()
	MOVQ(n, regs)
	SHRQ(U8(emit.Log2(p.Lanes)), regs)
	// N: sum r.
	sum, i, ei, si := p.Vec(), GP64(), GP64(), GP64()
	p.Zero(sum)
	MOVQ(regs, i)
	MOVQ(e, ei)
	MOVQ(s, si)
	Label("n")
	r := p.Vec()
	p.Movu(Mem{Base: ei}, r)
	p.FMAdd231(Mem{Base: si}, r, sum)
	ADDQ(U8(p.Width), ei)
	ADDQ(U8(p.Width), si)
	DECQ(i)
	JNZ(LabelRef("n"))
	addWide(p, sum, Mem{Base: acc})
	// S_j and Q_jj, feature by feature: acc's S_j at 1 + j, Q_jj at 1 + d + j.
	qOff := GP64()
	IMUL3Q(U8(dbl.Width), d, qOff)
	ADDQ(U8(dbl.Width), acc)
	j, xj := GP64(), GP64()
	XORQ(j, j)
	MOVQ(x, xj)
	Label("feat")
	cj := p.Vec()
	p.Broadcast(Mem{Base: cp, Index: j, Scale: uint8(p.Size)}, cj)
	s1, s2 := p.Vec(), p.Vec()
	p.Zero(s1)
	p.Zero(s2)
	MOVQ(regs, i)
	MOVQ(e, ei)
	MOVQ(s, si)
	xi := GP64()
	MOVQ(xj, xi)
	Label("reg")
	rr, dv := p.Vec(), p.Vec()
	p.Movu(Mem{Base: ei}, rr)
	p.Mul(Mem{Base: si}, rr, rr)
	p.Movu(Mem{Base: xi}, dv)
	p.Sub(cj, dv, dv)
	p.Mul(dv, rr, rr) // r d
	p.Add(rr, s1, s1)
	p.FMAdd231(dv, rr, s2) // + (r d) d
	ADDQ(U8(p.Width), ei)
	ADDQ(U8(p.Width), si)
	ADDQ(U8(p.Width), xi)
	DECQ(i)
	JNZ(LabelRef("reg"))
	addWide(p, s1, Mem{Base: acc})
	qa := GP64()
	LEAQ(Mem{Base: acc, Index: qOff, Scale: 1}, qa)
	addWide(p, s2, Mem{Base: qa})
	ADDQ(U8(dbl.Width), acc)
	ADDQ(stride, xj)
	INCQ(j)
	CMPQ(j, d)
	JB(LabelRef("feat"))
	VZEROUPPER()
	RET()
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
