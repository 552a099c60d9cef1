// Command blocked generates the multichannel E-step's pieces for samples of many features
// (d of 5 and more), for AVX2 and AVX-512, float64 and float32. The caller transposes a
// block of samples to planes (plane j holds feature j of every sample of the block, n a
// multiple of the register's lanes) and, for each component, calls:
//
//   - centre: dst_j = x_j - c_j for every plane j < d: the samples less the component's
//     mean (float32: its float32 value) or the moments' centre.
//   - joints: P = Const - |y|^2/2 with y_j = sum_{i <= j} U_ij D_i over the centred
//     planes D, U_k upper-triangular and row-major (d x d). R registers of samples at a
//     time, each of y_j's sums and of |y|^2's in a register of its own, the products fused
//     in the order of the Go twin (y_j = U_0j D_0 then fused multiply-adds of U_ij D_i,
//     i rising; |y|^2 = y_0^2 then fused multiply-adds of y_j^2, j rising), so that a
//     lane's P is the Go twin's bit for bit in float64. Each fused multiply-add reads its
//     plane's register from memory: with U_ij broadcast once for the R registers, R
//     products cost R + 1 loads, which the CPU issues beside them, and the R sums are
//     independent chains that fill the multipliers' pipelines. float32 lanes start y_j
//     from -b_j (the mean's rest that float32 cannot hold, through U: see asm/multi) and
//     fuse every product.
//   - weigh: r = e c/S, D_j = x_j - c_j and rd_j = r D_j for j < d, rd_d = r: the
//     responsibilities, and the planes less the moments' centre unweighted and weighted
//     by them, in one pass.
//   - moments: the sums sum_i rd_a D_b for a <= b <= d over the block, with D_d = 1 (a
//     plane of ones the caller keeps), which make N (a = b = d), S_a (b = d) and Q_ab at
//     once; four sums at a time (b, b+1, ...), each a register whose lanes add up the
//     block's samples, then added, widened from float32, into acc, a register of float64
//     lanes for each sum, which the caller adds up at the end of the tile.
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

// sumWidths are how many of moments' sums run at once, widest first: eight registers of
// products fill two pipelines of four cycles' latency beside the register of weighted
// samples they share; a row's last sums take the narrower ones.
var sumWidths = []int{8, 4, 2, 1}

// moments emits the block's sums sum_i rd_a x_b for a <= b <= d (x_d the caller's plane
// of ones), added into acc, a register of float64 lanes each, row a's sums b = a .. d
// one after another from row 0 (acc holds (d+1)(d+2)/2 registers).
func moments(p, dbl *emit.Prec) {
	fn := "blockedMoments" + p.ISA.Name + p.Name
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(rd, x []%[1]s, n, d int, acc []float64)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds, for a <= b <= d, sum_i rd[a*n+i] x[b*n+i] over the n samples (n a multiple of %d, at most %d) into the %d float64 lanes of acc's register for (a, b), "+
		"the registers row by row from (0, 0).", fn, p.Lanes, 32*p.Lanes, dbl.Lanes))
	rd := Load(Param("rd").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	d := Load(Param("d"), GP64())
	acc := Load(Param("acc").Base(), GP64())
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	a, ra, xb := GP64(), GP64(), GP64() // row a; ra points at plane a of rd, xb at plane b of x
	XORQ(a, a)
	MOVQ(rd, ra)
	Label("row")
	b := GP64()
	MOVQ(a, b)
	MOVQ(stride, xb)
	IMULQ(a, xb)
	ADDQ(x, xb)
	for _, width := range sumWidths {
		label := fmt.Sprintf("w%d", width)
		Label(label)
		// width sums fit in the row when b + width - 1 <= d.
		last := GP64()
		LEAQ(Mem{Base: b, Disp: width - 1}, last)
		CMPQ(last, d)
		JA(LabelRef(label + "done"))
		sums := make([]VecVirtual, width)
		for k := range sums {
			sums[k] = p.Vec()
			p.Zero(sums[k])
		}
		ri, xi, left := GP64(), GP64(), GP64()
		MOVQ(ra, ri)
		MOVQ(xb, xi)
		MOVQ(n, left)
		SHRQ(U8(emit.Log2(p.Lanes)), left)
		Label(label + "reg")
		w := p.Vec()
		p.Movu(Mem{Base: ri}, w)
		xk := GP64() // plane b+k's register
		MOVQ(xi, xk)
		for k := range sums {
			p.FMAdd231(Mem{Base: xk}, w, sums[k])
			if k+1 < width {
				ADDQ(stride, xk)
			}
		}
		ADDQ(U8(p.Width), ri)
		ADDQ(U8(p.Width), xi)
		DECQ(left)
		JNZ(LabelRef(label + "reg"))
		for _, v := range sums {
			addWide(p, v, acc)
			ADDQ(U8(dbl.Width), acc)
		}
		ADDQ(U32(width), b)
		for range width {
			ADDQ(stride, xb)
		}
		JMP(LabelRef(label))
		Label(label + "done")
	}
	ADDQ(stride, ra)
	INCQ(a)
	CMPQ(a, d)
	JBE(LabelRef("row"))
	VZEROUPPER()
	RET()
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
	addWide(p, sum, acc)
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
	addWide(p, s1, acc)
	qa := GP64()
	LEAQ(Mem{Base: acc, Index: qOff, Scale: 1}, qa)
	addWide(p, s2, qa)
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
func addWide(p *emit.Prec, v VecVirtual, acc Register) {
	if p.Is64() {
		emit.AddLanes(v, Mem{Base: acc})
		return
	}
	lo, hi := p.Widen(v, 0), p.Widen(v, 1)
	VADDPD(hi, lo, lo)
	emit.AddLanes(lo, Mem{Base: acc})
}
