// Command multi generates the multichannel fused E-step for AVX2 and AVX-512, float64 and
// float32, for samples of d = 2, 3 or 4 features and components whose precision factor U
// (precision = U U^T, U upper-triangular) is full or diagonal.
//
// The E-step of a block of samples is two sweeps, each its own function, so that neither
// spills: K = 5 components over d = 3 need 50 accumulators, more than AVX-512's 32
// registers. The caller transposes each block of samples to planes (plane j holds feature
// j of every sample) in a buffer in L1 (on AVX-512 with transpose, below), or reads them
// from their source as planes straight into it (an image's pixels: no transpose), then
// calls:
//
//   - resp, once a block, in four loops, each over the components and, inside, over the
//     block's registers of samples, or the other way round: P_k = Const_k -
//     |U_k^T (x - mu_k)|^2/2 (component by component, into r, plane k); their maximum
//     (register by register, into t); exp(P_k - max) (component by component, into r
//     again) and their sum S (into t[n:]); then, register by register, the
//     log-likelihood's share into ll and c/S (c the weight, 1 unweighted) in place of S.
//     The responsibility r_k is exp(P_k - max) c/S. Where the inner loop is over
//     registers, its iterations are independent of each other and the CPU overlaps their
//     long chains of dependent operations (a log-joint, an exp); the component's
//     coefficients and exp's constants stay in registers through it (AVX-512; AVX2 has
//     too few), and the log-likelihood's lanes through the last loop, not in memory, so
//     that no iteration waits for the last one's store. This order measured faster than
//     every component of one register at a time, the first version's.
//   - moments, once a component: from the block's planes, that component's
//     exp(P_k - max) and c/S, its responsibilities r and the sums N = sum r,
//     S_j = sum r (x_j - mu_j) and Q_jl = sum r (x_j - mu_j)(x_l - mu_l) (j <= l; j = l
//     for diagonal U), each in a register for the whole block, then added into acc. The
//     product r c/S is taken here, where r is loaded anyway, rather than stored by resp.
//     When the sums do not all fit beside the d shifted samples (d = 4, full U, on AVX2's
//     16 registers), the terms are split into groups, one sweep of the block each.
//
// coef holds, for component k, 1 + d + u values of T: Const_k, mu_k (d), then U_k's
// entries, column by column down to the diagonal ((0,0), (0,1), (1,1), (0,2), ...) for
// full U, its diagonal for diagonal U (u = d(d+1)/2 or d); float32 lanes then d more,
// -b_k (below). Each value is broadcast to a register where it is used (a load, as a
// memory operand would be), or before a loop that uses it, so that coef stays compact
// for K up to 65536. P_k is computed with the operations of the Go twin in the same
// order: d_i = x_i - mu_i, y_j = d_0 U_0j then fused multiply-adds of d_i U_ij,
// q = y_0^2 then fused multiply-adds of y_j^2, P = Const - q/2; a NaN (an infinite d met
// a zero of U) becomes -Inf, out of reach, as in the Go twin. float32 lanes take the mean
// split in two, its float32 value mu_k and the rest lo_k, which float32 cannot hold
// beside it: y_j starts from -b_j = -sum_i U_ij lo_i and takes every d_i U_ij by a fused
// multiply-add, the same operations on the arithmetic ports, so that a component far
// from zero keeps its place to float32's rounding of its terms, not half an ulp of its
// mean.
//
// resp also prefetches the next block's rows (ahead) while it works, a register's lines
// a turn of its maxima loop: the transpose then finds them in the cache.
//
// classify labels a block: per register of samples, the running maximum of P_k and the
// index of the first component that reaches it, as floating-point lanes packed to uint16.
//
// Statistics add up in float64. float32 lanes sum a block (at most 32 registers, so 32
// terms a lane) in float32 and widen the sums once into acc, as the 1-D float32 kernels do.
// The log-likelihood: unweighted, sum log S = log prod S, the lanes multiplying S into a
// float64 product whose log is taken once a call (S is in [1, K], so a block of 32
// registers stays below K^32 <= 2^512); weighted, c (max + log S) a register at a time.
package main

import (
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dims are the sample sizes with kernels of their own.
var dims = []int{2, 3, 4}

func main() {
	emit.Header()
	for _, isa := range []*emit.ISA{emit.AVX2, emit.AVX512} {
		double := isa.Double("multi")
		for _, p := range []*emit.Prec{double, isa.Single("multi")} {
			for _, d := range dims {
				if isa.EVEX {
					transpose(p, d)
				}
				for _, diag := range []bool{false, true} {
					s := shape{d: d, diag: diag}
					resp(p, double, s, false)
					resp(p, double, s, true)
					moments(p, double, s)
					classify(p, s)
				}
			}
			// Log-joints given (many features: see asm/blocked): the three loops after the
			// first.
			resp(p, double, shape{}, false)
			resp(p, double, shape{}, true)
		}
	}
	emit.Finish()
}

// shape is the features a sample has and whether U is diagonal.
type shape struct {
	d    int
	diag bool
}

// factor returns U's entries (i, j) in coef's order.
func (s shape) factor() [][2]int {
	var out [][2]int
	for j := range s.d {
		for i := range j + 1 {
			if !s.diag || i == j {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

// values is how many values of coef a component takes for p's lanes.
func (s shape) values(p *emit.Prec) int {
	v := 1 + s.d + len(s.factor())
	if !p.Is64() {
		v += s.d // -b
	}
	return v
}

// suffix names the shape in function names, e.g. D3Full; Given for no features, the
// log-joints given.
func (s shape) suffix() string {
	if s.d == 0 {
		return "Given"
	}
	if s.diag {
		return fmt.Sprintf("D%dDiag", s.d)
	}
	return fmt.Sprintf("D%dFull", s.d)
}

// planes holds the general-purpose registers that address the planes of a block: base
// points at the current register of plane 0, off[j] is plane j's offset in bytes (nil
// for plane 0).
type planes struct {
	base Register
	off  []Register
}

// newPlanes loads the offsets of d planes of n elements of size bytes from base.
func newPlanes(base, n Register, d, size int) planes {
	pl := planes{base: base, off: make([]Register, d)}
	if d < 2 {
		return pl
	}
	stride := GP64()
	IMUL3Q(U8(size), n, stride)
	for j := 1; j < d; j++ {
		pl.off[j] = GP64()
		IMUL3Q(U8(j), stride, pl.off[j])
	}
	return pl
}

// at is the current register of plane j.
func (pl planes) at(j int) Mem {
	if j == 0 {
		return Mem{Base: pl.base}
	}
	return Mem{Base: pl.base, Index: pl.off[j], Scale: 1}
}

// resp emits the first sweep (see the package comment) of p's lanes for shape s.
func resp(p, dbl *emit.Prec, s shape, weighted bool) {
	fn := "multiResp" + p.ISA.Name + p.Name + s.suffix()
	weight := "1"
	if weighted {
		fn, weight = fn+"W", "w[i]"
	}
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, w []float64, coef []%[1]s, r []%[1]s, t []%[1]s, ahead []%[1]s, ll []float64, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes, for the n samples of %d features whose planes x holds (n a multiple of %d, at most %d; "+
		"plane j at x[j*n:]) and the K = len(coef)/%d components in coef (layout: see the generator), "+
		"with c = %s, P_k the weighted log-density of sample i and m its largest: r[k*n+i] = exp(P_k - m), "+
		"t[i] = m and t[n+i] = c / sum_j exp(P_j - m), so that r[k*n+i] t[n+i] is the responsibility; "+
		"it adds sum_i c log sum_k exp(P_k) to the sum of ll's %d lanes. ahead[:%d n] is fetched into the cache "+
		"(the next block's samples: a prefetch, which reads nothing and never faults).",
		fn, s.d, p.Lanes, 32*p.Lanes, s.values(p), weight, dbl.Lanes, s.d))
	if s.d == 0 {
		Doc(fmt.Sprintf("%s takes the n samples' log-joints, P_k in r[k*n+i], for the K = len(coef) components (coef's values unread), "+
			"and with c = %s and m the largest P_k of sample i sets r[k*n+i] = exp(P_k - m), t[i] = m and t[n+i] = c / sum_j exp(P_j - m) "+
			"(n a multiple of %d, at most %d), adding sum_i c log sum_k exp(P_k) to the sum of ll's %d lanes. x and ahead are unread.",
			fn, weight, p.Lanes, 32*p.Lanes, dbl.Lanes))
	}
	p.Begin()
	g := &sweep{p: p, dbl: dbl, s: s}
	g.coef = Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())
	g.end = GP64()
	LEAQ(Mem{Base: g.coef, Index: ncoef, Scale: uint8(p.Size)}, g.end)
	g.stride = GP64()
	IMUL3Q(U8(p.Size), Load(Param("n"), GP64()), g.stride)
	if s.d > 0 {
		g.logJoints()
	}
	g.maxima()
	g.exps()
	g.finishAll(weighted)
	VZEROUPPER()
	RET()
}

// sweep is the state of a resp or classify function being emitted.
type sweep struct {
	p, dbl    *emit.Prec
	s         shape
	coef, end Register // coef's base and end
	stride    Register // bytes from one plane of x, r or t to the next
}

// components emits a loop over the components: body gets the pointer to component k's
// coefficients and to plane k of r at base.
func (g *sweep) components(label string, base Register, body func(cp, rk Register)) {
	cp, rk := GP64(), GP64()
	MOVQ(g.coef, cp)
	MOVQ(base, rk)
	Label(label)
	body(cp, rk)
	ADDQ(U32(g.s.values(g.p)*g.p.Size), cp)
	ADDQ(g.stride, rk)
	CMPQ(cp, g.end)
	JB(LabelRef(label))
}

// registers emits a loop over the block's registers of samples that advances each of ptrs
// by a register of T.
func (g *sweep) registers(label string, body func(), ptrs ...Register) {
	steps := make([]emit.Ptr, len(ptrs))
	for i, r := range ptrs {
		steps[i] = emit.Ptr{Reg: r, Step: g.p.Width}
	}
	g.p.VectorLoop(label, Load(Param("n"), GP64()), steps, body)
}

// copyOf returns a new register holding r's value.
func copyOf(r Register) Register {
	c := GP64()
	MOVQ(r, c)
	return c
}

// logJoints emits the first loop: component by component, P_k of every register of the
// block into plane k of r. The registers of a component are independent of each other,
// so that the CPU overlaps their chains of dependent operations; the component's
// coefficients are broadcast once where the registers hold them all.
func (g *sweep) logJoints() {
	rb := Load(Param("r").Base(), GP64())
	g.components("joints", rb, func(cp, rk Register) {
		value := g.coefficients(cp)
		x := Load(Param("x").Base(), GP64())
		xp := newPlanes(x, Load(Param("n"), GP64()), g.s.d, g.p.Size)
		rp := copyOf(rk)
		g.registers("joint", func() { g.p.Movu(g.logJoint(g.samples(xp), value), Mem{Base: rp}) }, x, rp)
	})
}

// coefficient returns the values of the component at cp as the log-joint uses them, each
// broadcast to a register at its use.
func (g *sweep) coefficient(cp Register) func(i int) VecVirtual {
	return func(i int) VecVirtual {
		v := g.p.Vec()
		g.p.Broadcast(Mem{Base: cp, Disp: i * g.p.Size}, v)
		return v
	}
}

// coefficients returns the values of the component at cp for a loop over registers:
// broadcast once, before it, where the registers hold them beside the loop's (AVX-512),
// else at each use.
func (g *sweep) coefficients(cp Register) func(i int) VecVirtual {
	load := g.coefficient(cp)
	if !g.p.EVEX {
		return load
	}
	held := make([]VecVirtual, g.s.values(g.p))
	for i := range held {
		held[i] = load(i)
	}
	return func(i int) VecVirtual { return held[i] }
}

// samples loads the current register of each plane.
func (g *sweep) samples(xp planes) []VecVirtual {
	xs := make([]VecVirtual, g.s.d)
	for j := range xs {
		xs[j] = g.p.Vec()
		g.p.Movu(xp.at(j), xs[j])
	}
	return xs
}

// maxima emits the second loop: register by register, the maximum of P_k over the
// components into t (0 where every P_k is -Inf, which makes every exp(P_k - max) 0, as
// the Go twin has it), and the exp-sums, at t[n:], zeroed.
func (g *sweep) maxima() {
	p := g.p
	rp := Load(Param("r").Base(), GP64())
	tp := Load(Param("t").Base(), GP64())
	ap := Load(Param("ahead").Base(), GP64())
	g.registers("max", func() {
		// A register's samples of the next block, the lines that hold them.
		span := g.s.d * p.Width
		for off := 0; off < span; off += 64 {
			PREFETCHT0(Mem{Base: ap, Disp: off})
		}
		ADDQ(U32(span), ap)
		m := p.Vec()
		p.Movu(p.C(math.Inf(-1)), m)
		g.components("maxk", rp, func(_, rk Register) { p.Max(Mem{Base: rk}, m, m) })
		mask := p.Mask()
		p.Cmp(U8(emit.CmpEQ), p.C(math.Inf(-1)), m, mask)
		p.Blend(mask, p.C(0), m, m)
		p.Movu(m, Mem{Base: tp})
		p.Zero(m)
		p.Movu(m, g.sums(tp))
	}, rp, tp)
}

// sums is the exp-sums of the register at tp, then c over them.
func (g *sweep) sums(tp Register) Mem { return Mem{Base: tp, Index: g.stride, Scale: 1} }

// exps emits the third loop: component by component, exp(P_k - max) in place of P_k,
// added to the register's exp-sum. AVX-512 takes exp from a table of 2^(j/16) in its
// registers (emit.TableExp), in fewer operations than AVX2's polynomial.
func (g *sweep) exps() {
	p := g.p
	rb := Load(Param("r").Base(), GP64())
	exp := p.FlushedExp
	if p.EVEX {
		t := p.NewTableExp()
		defer t.Release()
		exp = t.Exp
	}
	g.components("exps", rb, func(_, rk Register) {
		rp, tp := copyOf(rk), Load(Param("t").Base(), GP64())
		g.registers("exp", func() {
			sum := p.Vec()
			p.Movu(g.sums(tp), sum)
			p.ExpSumTerm(Mem{Base: rp}, Mem{Base: tp}, sum, exp)
			p.Movu(sum, g.sums(tp))
		}, rp, tp)
	})
}

// finishAll emits the fourth loop: register by register, the log-likelihood's share and
// c over the exp-sum in its place. The log-likelihood's lanes stay in a register through
// the loop.
func (g *sweep) finishAll(weighted bool) {
	p := g.p
	llp := Load(Param("ll").Base(), GP64())
	ll := g.dbl.Vec()
	VMOVUPD(Mem{Base: llp}, ll)
	var prod *emit.Products
	var wp Register
	if weighted {
		wp = Load(Param("w").Base(), GP64())
	} else {
		prod = p.NewProducts(g.dbl)
	}
	n := Load(Param("n"), GP64())
	tp := Load(Param("t").Base(), GP64())
	ptrs := []emit.Ptr{{Reg: tp, Step: p.Width}}
	if weighted {
		ptrs = append(ptrs, emit.Ptr{Reg: wp, Step: 8 * p.Lanes})
	}
	p.VectorLoop("finish", n, ptrs, func() {
		m, s := p.Vec(), p.Vec()
		p.Movu(Mem{Base: tp}, m)
		p.Movu(g.sums(tp), s)
		p.Movu(g.finish(m, s, ll, wp, prod), g.sums(tp))
	})
	VMOVUPD(ll, Mem{Base: llp})
	if prod != nil {
		prod.Flush(Mem{Base: llp}, emit.LogAll, false) // a product is 0 where every component is out of reach
	}
}

// logJoint returns P_k of the samples xs for the component whose i-th value is value(i).
func (g *sweep) logJoint(xs []VecVirtual, value func(i int) VecVirtual) VecVirtual {
	p, d := g.p, g.s.d
	diff := make([]VecVirtual, d)
	for i := range diff {
		diff[i] = p.Vec()
		p.Sub(value(1+i), xs[i], diff[i])
	}
	u := func(t int) VecVirtual { return value(1 + d + t) }
	split := !p.Is64() // y_j starts from -b_j (see the package comment)
	q := p.Vec()
	t := 0
	for j := range d {
		var y VecVirtual
		switch {
		case split && p.EVEX: // a copy: the value is held for the next register
			y = p.Vec()
			p.Movu(value(1+d+len(g.s.factor())+j), y)
		case split: // broadcast at its use, into a register of its own
			y = value(1 + d + len(g.s.factor()) + j)
		default:
			y = p.Vec()
		}
		for i := range j + 1 {
			if g.s.diag && i != j {
				continue
			}
			if split || i != 0 && !g.s.diag {
				p.FMAdd231(u(t), diff[i], y)
			} else {
				p.Mul(u(t), diff[i], y)
			}
			t++
		}
		if j == 0 {
			p.Mul(y, y, q)
		} else {
			p.FMAdd231(y, y, q)
		}
	}
	pk := p.Vec()
	p.Movu(value(0), pk)         // a copy: the value may be held for the next register
	p.FNMAdd231(p.C(0.5), q, pk) // Const - q/2, q/2 exact
	if p.EVEX {
		// One fix-up by each lane's class: a quiet or signalling NaN (class 0 or 1, the
		// table's low two nibbles) takes token 4, -Inf; every other class token 0, the
		// lane unchanged.
		fixup := VFIXUPIMMPD
		if !p.Is64() {
			fixup = VFIXUPIMMPS
		}
		fixup(U8(0), p.Bits(0x44), pk, pk)
		return pk
	}
	mask := p.Mask()
	p.Cmp(U8(emit.CmpUnord), pk, pk, mask)
	p.Blend(mask, p.C(math.Inf(-1)), pk, pk)
	return pk
}

// finish adds the log-likelihood's share of the register (max m, exp-sum s) into ll
// (through prod, unweighted, else with the weights at wp) and returns c/s, which turns
// each exp(P_k - max) into r_k.
func (g *sweep) finish(m, s, ll VecVirtual, wp Register, prod *emit.Products) VecVirtual {
	p := g.p
	inv := p.Vec()
	if prod != nil {
		prod.Add(m, s, ll)
		p.Movu(p.C(1), inv)
		p.Div(s, inv, inv)
		return inv
	}
	l := p.Vec()
	p.Log(s, l, emit.LogAll) // s is 0 where every component is out of reach
	p.Add(m, l, l)
	halves := 1
	if !p.Is64() {
		halves = 2
	}
	for half := range halves {
		wide := l
		if !p.Is64() {
			wide = p.Widen(l, half)
		}
		VMULPD(Mem{Base: wp, Disp: g.dbl.Width * half}, wide, wide)
		emit.AddLanes(wide, ll)
	}
	wv := p.LoadWeights(Mem{Base: wp})
	p.Div(s, wv, inv)
	return inv
}

// term is one of the moments' sums: N (j = l = -1), S_j (l = -1) or Q_jl.
type term struct{ j, l int }

// terms returns the sums of shape s in acc's order: N, S_0 .. S_{d-1}, then Q_jl row by
// row (j <= l; j = l for diagonal U).
func (s shape) terms() []term {
	out := []term{{-1, -1}}
	for j := range s.d {
		out = append(out, term{j, -1})
	}
	for j := range s.d {
		for l := j; l < s.d; l++ {
			if !s.diag || l == j {
				out = append(out, term{j, l})
			}
		}
	}
	return out
}

// groups splits the terms into groups whose sums fit in the registers beside the d
// shifted samples, r, r d_j and a broadcast mean.
func groups(isa *emit.ISA, s shape) [][]int {
	regs := 16
	if isa.EVEX {
		regs = 32
	}
	room := regs - s.d - 3
	var out [][]int
	all := s.terms()
	for lo := 0; lo < len(all); lo += room {
		var g []int
		for i := lo; i < min(lo+room, len(all)); i++ {
			g = append(g, i)
		}
		out = append(out, g)
	}
	return out
}

// moments emits the second sweep (see the package comment) for one component.
func moments(p, dbl *emit.Prec, s shape) {
	fn := "multiMoments" + p.ISA.Name + p.Name + s.suffix()
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, e []%[1]s, scale []%[1]s, mu []%[1]s, acc []float64, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds, for the n samples of %d features whose planes x holds (n a multiple of %d, at most %d; "+
		"plane j at x[j*n:]), their responsibilities r = e[:n] scale[:n] and d_j = x_j - mu_j (mu[:%d]), "+
		"the sums N = sum r, S_j = sum r d_j and Q_jl = sum r d_j d_l (%s) into acc, %d float64 lanes a sum, in the order N, S, Q row by row.",
		fn, s.d, p.Lanes, 32*p.Lanes, s.d, map[bool]string{false: "j <= l", true: "j = l"}[s.diag], dbl.Lanes))
	p.Begin()
	all := s.terms()
	for gi, grp := range groups(p.ISA, s) {
		x := Load(Param("x").Base(), GP64())
		n := Load(Param("n"), GP64())
		xp := newPlanes(x, n, s.d, p.Size)
		rp := Load(Param("e").Base(), GP64())
		sp := Load(Param("scale").Base(), GP64())
		mu := Load(Param("mu").Base(), GP64())
		sums := make([]VecVirtual, len(grp))
		for i := range sums {
			sums[i] = p.Vec()
			p.Zero(sums[i])
		}
		ptrs := []emit.Ptr{{Reg: x, Step: p.Width}, {Reg: rp, Step: p.Width}, {Reg: sp, Step: p.Width}}
		p.VectorLoop(fmt.Sprintf("g%d", gi), n, ptrs, func() {
			r := p.Vec()
			p.Movu(Mem{Base: rp}, r)
			p.Mul(Mem{Base: sp}, r, r)
			dx := make([]VecVirtual, s.d)
			for j := range dx {
				m := p.Vec()
				dx[j] = p.Vec()
				p.Movu(xp.at(j), dx[j])
				p.Broadcast(Mem{Base: mu, Disp: j * p.Size}, m)
				p.Sub(m, dx[j], dx[j])
			}
			accumulate(p, all, grp, sums, r, dx)
		})
		acc := Load(Param("acc").Base(), GP64())
		for i, t := range grp {
			addSum(p, sums[i], Mem{Base: acc, Disp: t * dbl.Width})
		}
	}
	VZEROUPPER()
	RET()
}

// accumulate adds one register's share to the group's sums, the Go twin's operations:
// N += r, and feature by feature rd = r d_j, S_j += rd, Q_jl = fma(rd, d_l, Q_jl). One rd
// is live at a time.
func accumulate(p *emit.Prec, all []term, grp []int, sums []VecVirtual, r VecVirtual, dx []VecVirtual) {
	for i, ti := range grp {
		if all[ti].j < 0 {
			p.Add(r, sums[i], sums[i])
		}
	}
	for j := range dx {
		var rd VecVirtual
		for i, ti := range grp {
			t := all[ti]
			if t.j != j {
				continue
			}
			if rd == nil {
				rd = p.Vec()
				p.Mul(r, dx[j], rd)
			}
			if t.l < 0 {
				p.Add(rd, sums[i], sums[i])
			} else {
				p.FMAdd231(rd, dx[t.l], sums[i])
			}
		}
	}
}

// addSum adds a register of sums into the float64 lanes at dst (float32 ones widened, both
// halves into the same lanes).
func addSum(p *emit.Prec, v VecVirtual, dst Mem) {
	if p.Is64() {
		VADDPD(dst, v, v)
		VMOVUPD(v, dst)
		return
	}
	lo, hi := p.Widen(v, 0), p.Widen(v, 1)
	VADDPD(hi, lo, lo)
	VADDPD(dst, lo, lo)
	VMOVUPD(lo, dst)
}

// classify emits the labelling of p's lanes for shape s.
func classify(p *emit.Prec, s shape) {
	fn := "multiClassify" + p.ISA.Name + p.Name + s.suffix()
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(dst []uint16, x []%[1]s, coef []%[1]s, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] to argmax_k P_k(sample i) (the lowest k on ties) for the n samples of %d features whose planes x holds "+
		"(n a multiple of %d, at most len(dst); plane j at x[j*n:]), under the K = len(coef)/%d components in coef (layout: see the generator).",
		fn, s.d, p.Lanes, s.values(p)))
	p.Begin()
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	xp := newPlanes(x, n, s.d, p.Size)
	dst := Load(Param("dst").Base(), GP64())
	coef := Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())
	end := GP64()
	LEAQ(Mem{Base: coef, Index: ncoef, Scale: uint8(p.Size)}, end)
	g := &sweep{p: p, s: s, coef: coef, end: end}
	p.VectorLoop("", n, []emit.Ptr{{Reg: x, Step: p.Width}, {Reg: dst, Step: 2 * p.Lanes}}, func() {
		xs := make([]VecVirtual, s.d)
		for j := range xs {
			xs[j] = p.Vec()
			p.Movu(xp.at(j), xs[j])
		}
		best, idx, k := p.Vec(), p.Vec(), p.Vec()
		p.Movu(p.C(math.Inf(-1)), best)
		p.Zero(idx)
		p.Zero(k)
		cp := GP64()
		MOVQ(coef, cp)
		Label("component")
		pk := g.logJoint(xs, g.coefficient(cp))
		// Strictly greater: an equal later component leaves the earlier index.
		better := p.Mask()
		p.Cmp(U8(emit.CmpGT), best, pk, better)
		p.Blend(better, pk, best, best)
		p.Blend(better, k, idx, idx)
		p.Add(p.C(1), k, k)
		ADDQ(U32(s.values(p)*p.Size), cp)
		CMPQ(cp, end)
		JB(LabelRef("component"))
		p.StoreLabels(idx, Mem{Base: dst})
	})
	VZEROUPPER()
	RET()
}

// transpose emits the AVX-512 transpose of a block's rows to planes (AVX2's permutes do
// not reach across its registers' halves; its kernels take Go's). A register of samples
// is d registers of rows, R_0 .. R_{d-1}; lane i of plane j is element i d + j of them
// all, in register (i d + j) / L (L lanes). Plane j is made from the pairs (R_0, R_1)
// and (R_2, R_3) by a two-table permute each (one register alone a pair of itself), and,
// for d > 2, a blend of the two by a mask of the lanes the second pair holds: 3
// permutes or blends a plane for d = 3 and 4, 1 for d = 2, against d loads and d stores
// an element for Go's loop. The index vectors are constants, held in registers (each
// permute overwrites a copy), the masks in mask registers.
func transpose(p *emit.Prec, d int) {
	fn := fmt.Sprintf("multiTranspose%s%sD%d", p.ISA.Name, p.Name, d)
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(planes, x []%s, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets plane j of planes (planes[j*n:(j+1)*n]) to feature j of the n samples of %d features in x, row-major "+
		"(n a multiple of %d).", fn, d, p.Lanes))
	l := p.Lanes
	pairs := (d + 1) / 2
	idx := make([][]VecVirtual, d) // idx[j][q]: plane j's lanes from pair q
	masks := make([]Register, d)   // plane j's lanes from pair 1
	tab := transposeTable(p, d)
	for j := range d {
		for q := range pairs {
			v := p.Vec()
			VMOVDQU64(tab.Offset((j*pairs+q)*p.Width), v)
			idx[j] = append(idx[j], v)
		}
		if pairs > 1 {
			bits := 0
			for i := range l {
				if (i*d+j)/l >= 2 {
					bits |= 1 << i
				}
			}
			g := GP32()
			MOVL(U32(bits), g)
			masks[j] = K()
			KMOVW(g, masks[j])
		}
	}
	pl := Load(Param("planes").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	out := newPlanes(pl, n, d, p.Size)
	p.VectorLoop("", n, []emit.Ptr{{Reg: pl, Step: p.Width}, {Reg: x, Step: d * p.Width}}, func() {
		rows := make([]VecVirtual, d)
		for r := range rows {
			rows[r] = p.Vec()
			p.Movu(Mem{Base: x, Disp: r * p.Width}, rows[r])
		}
		for j := range d {
			var got []VecVirtual
			for q := range pairs {
				a, b := rows[2*q], rows[min(2*q+1, d-1)]
				v := p.Vec()
				VMOVDQA64(idx[j][q], v)
				if p.Is64() {
					VPERMI2PD(b, a, v)
				} else {
					VPERMI2PS(b, a, v)
				}
				got = append(got, v)
			}
			if pairs > 1 {
				p.Blend(masks[j], got[1], got[0], got[0])
			}
			p.Movu(got[0], out.at(j))
		}
	})
	VZEROUPPER()
	RET()
}

// transposeTable returns the symbol of transpose's index vectors for p's lanes and d
// features: for plane j and pair q, the lane of R_2q (0 to L-1) or R_2q+1 (L to 2L-1) that
// each lane of the plane takes (0 where another pair supplies it).
func transposeTable(p *emit.Prec, d int) Mem {
	l := p.Lanes
	pairs := (d + 1) / 2
	var vals []uint64
	for j := range d {
		for q := range pairs {
			for i := range l {
				v := 0
				if src := i*d + j; src/l/2 == q {
					v = src - 2*q*l
				}
				vals = append(vals, uint64(v))
			}
		}
	}
	return p.Elements(fmt.Sprintf("multitr%s%sD%d", p.ISA.Name, p.Name, d), vals)
}
