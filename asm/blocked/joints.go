package main

import (
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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

// jointArgs are the registers of a joints kernel's arguments, shared by joints and
// jointsDiag: func(dst, x []T, n int, mu, u, negb []T, cnst T), d = len(mu).
type jointArgs struct {
	dst, x, n, mu, u, negb, d, stride Register // stride: bytes from one plane to the next
	cnst                              VecVirtual
}

// jointArgsOf declares the joints kernel fn, documented as setting dst to the log-joints
// with y as what says, and loads its arguments.
func jointArgsOf(p *emit.Prec, fn, what string) *jointArgs {
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst, x []%[1]s, n int, mu, u, negb []%[1]s, cnst %[1]s)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] = cnst - |y|^2/2 (-Inf where that is NaN) for the n samples (n a multiple of %d) whose d = len(mu) planes x holds (plane j at x[j*n:]), with %s.",
		fn, p.Lanes, what))
	p.Begin()
	a := &jointArgs{dst: Load(Param("dst").Base(), GP64()), x: Load(Param("x").Base(), GP64()), n: Load(Param("n"), GP64()),
		mu: Load(Param("mu").Base(), GP64()), u: Load(Param("u").Base(), GP64()), negb: Load(Param("negb").Base(), GP64()),
		d: Load(Param("mu").Len(), GP64()), cnst: broadcastArg(p, "cnst"), stride: GP64()}
	IMUL3Q(U8(p.Size), a.n, a.stride)
	return a
}

// joints emits the log-joints of one component over the d planes of n samples.
func joints(p *emit.Prec) {
	what := "y_j = sum_{i <= j} u[i*d+j] (x_i - mu[i])"
	if !p.Is64() {
		what = "y_j = negb[j] + sum_{i <= j} u[i*d+j] (x_i - mu[i])"
	}
	a := jointArgsOf(p, "blockedJoints"+p.ISA.Name+p.Name, what)
	rowBytes := GP64() // bytes from one row of u to the next
	IMUL3Q(U8(p.Size), a.d, rowBytes)
	regs, _ := tile(p)
	inGroups(p, regs, a.n, a.x, a.dst, a.cnst, func(group int, label string) []VecVirtual {
		g := &jointGroup{p: p, regs: group, x: a.x, mu: a.mu, u: a.u, negb: a.negb, d: a.d, stride: a.stride, rowBytes: rowBytes, label: label}
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

// jointGroup is the state of joints' loops over a group of regs registers of samples.
type jointGroup struct {
	p                                   *emit.Prec
	regs                                int
	x, mu, u, negb, d, stride, rowBytes Register
	label                               string
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
	// Row i; ui points at u[i][j], xi at plane i's registers, mi at mu[i].
	i, ui, xi, mi := GP64(), GP64(), GP64(), GP64()
	XORQ(i, i)
	LEAQ(Mem{Base: g.u, Index: j, Scale: uint8(p.Size)}, ui)
	MOVQ(g.x, xi)
	MOVQ(g.mu, mi)
	Label(label + "row")
	g.row(y, 0, ui, xi, mi)
	INCQ(i)
	CMPQ(i, j)
	JBE(LabelRef(label + "row"))
	for t := 1; t < cols; t++ {
		g.row(y, t, ui, xi, mi)
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
func (g *jointGroup) row(y [][]VecVirtual, first int, ui, xi, mi Register) {
	p := g.p
	m := p.Vec()
	p.Broadcast(Mem{Base: mi}, m)
	xs := make([]VecVirtual, len(y))
	for k := range xs {
		xs[k] = p.Vec()
		p.Movu(Mem{Base: xi, Disp: k * p.Width}, xs[k])
		p.Sub(m, xs[k], xs[k]) // the sample less the mean, as centre took it
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
	ADDQ(U8(p.Size), mi)
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
