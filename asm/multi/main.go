// Command multi generates the multichannel fused E-step for AVX2 and AVX-512, float64 and
// float32, for samples of d = 2, 3 or 4 features and components whose precision factor U
// (precision = U U^T, U upper-triangular) is full or diagonal.
//
// The E-step of a block of samples is two sweeps, each its own function, so that neither
// spills: K = 5 components over d = 3 need 50 accumulators, more than AVX-512's 32
// registers. The caller transposes each block of samples to planes (plane j holds feature
// j of every sample) in a buffer in L1, or reads them from their source as planes straight
// into it (an image's pixels: no transpose), then calls:
//
//   - resp, once a block: per register of samples, P_k = Const_k - |U_k^T (x - mu_k)|^2/2
//     for every component (into r, plane k), their maximum, exp(P_k - max) and their sum S
//     (into r again), and r_k = c exp(P_k - max) / S (c the weight, 1 unweighted); the
//     log-likelihood's share goes into ll. The components are a loop: the per-component
//     work (d subtractions, d(d+1)/2 multiply-adds for full U, an exp) is long enough that
//     the loop's cost does not show.
//   - moments, once a component: from the block's planes and that component's r, the
//     sums N = sum r, S_j = sum r (x_j - mu_j) and Q_jl = sum r (x_j - mu_j)(x_l - mu_l)
//     (j <= l; j = l for diagonal U), each in a register for the whole block, then added
//     into acc. When they do not all fit beside the d shifted samples (d = 4, full U, on
//     AVX2's 16 registers), the terms are split into groups, one sweep of the block each.
//
// coef holds, for component k, 1 + d + u values of T: Const_k, mu_k (d), then U_k's
// entries, column by column down to the diagonal ((0,0), (0,1), (1,1), (0,2), ...) for
// full U, its diagonal for diagonal U (u = d(d+1)/2 or d). Each value is broadcast to a
// register where it is used (a load, as a memory operand would be), so that coef stays
// compact for K up to 65536. P_k is computed with the operations of the Go twin in the same order: d_i = x_i -
// mu_i, y_j = d_0 U_0j then fused multiply-adds of d_i U_ij, q = y_0^2 then fused
// multiply-adds of y_j^2, P = Const - q/2; a NaN (an infinite d met a zero of U) becomes
// -Inf, out of reach, as in the Go twin.
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
				for _, diag := range []bool{false, true} {
					s := shape{d: d, diag: diag}
					resp(p, double, s, false)
					resp(p, double, s, true)
					moments(p, double, s)
					classify(p, s)
				}
			}
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

// values is how many values of coef a component takes.
func (s shape) values() int { return 1 + s.d + len(s.factor()) }

// suffix names the shape in function names, e.g. D3Full.
func (s shape) suffix() string {
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
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, w []float64, coef []%[1]s, r []%[1]s, ll []float64, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes, for the n samples of %d features whose planes x holds (n a multiple of %d, at most %d; "+
		"plane j at x[j*n:]) and the K = len(coef)/%d components in coef (layout: see the generator), "+
		"with c = %s and P_k the weighted log-density of sample i: r[k*n+i] = c exp(P_k) / sum_j exp(P_j); "+
		"it adds sum_i c log sum_k exp(P_k) to the sum of ll's %d lanes.",
		fn, s.d, p.Lanes, 32*p.Lanes, s.values(), weight, dbl.Lanes))
	p.Begin()
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	xp := newPlanes(x, n, s.d, p.Size)
	rb := Load(Param("r").Base(), GP64())
	stride := GP64()
	IMUL3Q(U8(p.Size), n, stride)
	coef := Load(Param("coef").Base(), GP64())
	ncoef := Load(Param("coef").Len(), GP64())
	end := GP64()
	LEAQ(Mem{Base: coef, Index: ncoef, Scale: uint8(p.Size)}, end)
	llp := Load(Param("ll").Base(), GP64())
	var wp Register
	ptrs := []emit.Ptr{{Reg: x, Step: p.Width}, {Reg: rb, Step: p.Width}}
	if weighted {
		wp = Load(Param("w").Base(), GP64())
		ptrs = append(ptrs, emit.Ptr{Reg: wp, Step: 8 * p.Lanes})
	}
	g := &sweep{p: p, dbl: dbl, s: s, coef: coef, end: end, stride: stride, llp: llp, w: wp}
	if !weighted {
		g.prod = p.NewProducts(dbl)
	}
	p.VectorLoop("", n, ptrs, func() { g.respBody(xp, rb) })
	if g.prod != nil {
		g.prod.Flush(Mem{Base: llp}, emit.LogAll, false) // a product is 0 where every component is out of reach
	}
	VZEROUPPER()
	RET()
}

// sweep is the state of a resp function being emitted.
type sweep struct {
	p, dbl    *emit.Prec
	s         shape
	coef, end Register       // coef's base and end
	stride    Register       // bytes from one plane of r to the next
	llp       Register       // ll
	w         Register       // the current weights (weighted), else nil
	prod      *emit.Products // unweighted
}

// components emits a loop over the components: body gets the pointer to component k's
// coefficients and to plane k of r at the current register.
func (g *sweep) components(label string, rb Register, body func(cp, rk Register)) {
	cp, rk := GP64(), GP64()
	MOVQ(g.coef, cp)
	MOVQ(rb, rk)
	Label(label)
	body(cp, rk)
	ADDQ(U32(g.s.values()*g.p.Size), cp)
	ADDQ(g.stride, rk)
	CMPQ(cp, g.end)
	JB(LabelRef(label))
}

// respBody is one register of samples: the three loops over the components.
func (g *sweep) respBody(xp planes, rb Register) {
	p := g.p
	xs := make([]VecVirtual, g.s.d)
	for j := range xs {
		xs[j] = p.Vec()
		p.Movu(xp.at(j), xs[j])
	}
	m := p.Vec()
	p.Movu(p.C(math.Inf(-1)), m)
	g.components("max", rb, func(cp, rk Register) {
		pk := g.logJoint(xs, cp)
		p.Movu(pk, Mem{Base: rk})
		p.Max(pk, m, m)
	})
	// Where every P_k is -Inf, max 0 makes every exp(P_k - max) 0, as the Go twin has it.
	mask := p.Mask()
	p.Cmp(U8(emit.CmpEQ), p.C(math.Inf(-1)), m, mask)
	p.Blend(mask, p.C(0), m, m)
	sum := p.Vec()
	p.Zero(sum)
	g.components("exp", rb, func(_, rk Register) { p.ExpSumTerm(Mem{Base: rk}, m, sum) })
	inv := g.finish(m, sum)
	g.components("resp", rb, func(_, rk Register) {
		e := p.Vec()
		p.Movu(Mem{Base: rk}, e)
		p.Mul(inv, e, e)
		p.Movu(e, Mem{Base: rk})
	})
}

// logJoint returns P_k of the samples xs for the component at cp.
func (g *sweep) logJoint(xs []VecVirtual, cp Register) VecVirtual {
	p, d := g.p, g.s.d
	value := func(i int) VecVirtual {
		v := p.Vec()
		p.Broadcast(Mem{Base: cp, Disp: i * p.Size}, v)
		return v
	}
	diff := make([]VecVirtual, d)
	for i := range diff {
		diff[i] = p.Vec()
		p.Sub(value(1+i), xs[i], diff[i])
	}
	u := func(t int) VecVirtual { return value(1 + d + t) }
	q := p.Vec()
	t := 0
	for j := range d {
		y := p.Vec()
		if g.s.diag {
			p.Mul(u(t), diff[j], y)
			t++
		} else {
			for i := range j + 1 {
				if i == 0 {
					p.Mul(u(t), diff[0], y)
				} else {
					p.FMAdd231(u(t), diff[i], y)
				}
				t++
			}
		}
		if j == 0 {
			p.Mul(y, y, q)
		} else {
			p.FMAdd231(y, y, q)
		}
	}
	pk := value(0)
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

// finish adds the log-likelihood's share of the register (max m, exp-sum s) and returns
// c/s, which turns each exp(P_k - max) into r_k.
func (g *sweep) finish(m, s VecVirtual) VecVirtual {
	p := g.p
	ll := Mem{Base: g.llp}
	inv := p.Vec()
	if g.w == nil {
		g.prod.Add(m, s, ll)
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
		VMULPD(Mem{Base: g.w, Disp: g.dbl.Width * half}, wide, wide)
		VADDPD(ll, wide, wide)
		VMOVUPD(wide, ll)
	}
	wv := p.LoadWeights(Mem{Base: g.w})
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
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(x []%[1]s, r []%[1]s, mu []%[1]s, acc []float64, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds, for the n samples of %d features whose planes x holds (n a multiple of %d, at most %d; "+
		"plane j at x[j*n:]), their responsibilities r[:n] and d_j = x_j - mu_j (mu[:%d]), "+
		"the sums N = sum r, S_j = sum r d_j and Q_jl = sum r d_j d_l (%s) into acc, %d float64 lanes a sum, in the order N, S, Q row by row.",
		fn, s.d, p.Lanes, 32*p.Lanes, s.d, map[bool]string{false: "j <= l", true: "j = l"}[s.diag], dbl.Lanes))
	p.Begin()
	all := s.terms()
	for gi, grp := range groups(p.ISA, s) {
		x := Load(Param("x").Base(), GP64())
		n := Load(Param("n"), GP64())
		xp := newPlanes(x, n, s.d, p.Size)
		rp := Load(Param("r").Base(), GP64())
		mu := Load(Param("mu").Base(), GP64())
		sums := make([]VecVirtual, len(grp))
		for i := range sums {
			sums[i] = p.Vec()
			p.Zero(sums[i])
		}
		p.VectorLoop(fmt.Sprintf("g%d", gi), n, []emit.Ptr{{Reg: x, Step: p.Width}, {Reg: rp, Step: p.Width}}, func() {
			r := p.Vec()
			p.Movu(Mem{Base: rp}, r)
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

// accumulate adds one register's share to the group's sums: N += r, S_j = fma(r, d_j, S_j),
// Q_jl = fma(r d_j, d_l, Q_jl), the Go twin's operations.
func accumulate(p *emit.Prec, all []term, grp []int, sums []VecVirtual, r VecVirtual, dx []VecVirtual) {
	rd := map[int]VecVirtual{}
	for i, ti := range grp {
		t := all[ti]
		switch {
		case t.j < 0:
			p.Add(r, sums[i], sums[i])
		case t.l < 0:
			p.FMAdd231(r, dx[t.j], sums[i])
		default:
			v, ok := rd[t.j]
			if !ok {
				v = p.Vec()
				p.Mul(r, dx[t.j], v)
				rd = map[int]VecVirtual{t.j: v} // rows come in order: one r d_j live at a time
			}
			p.FMAdd231(v, dx[t.l], sums[i])
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
		fn, s.d, p.Lanes, s.values()))
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
		pk := g.logJoint(xs, cp)
		// Strictly greater: an equal later component leaves the earlier index.
		better := p.Mask()
		p.Cmp(U8(emit.CmpGT), best, pk, better)
		p.Blend(better, pk, best, best)
		p.Blend(better, k, idx, idx)
		p.Add(p.C(1), k, k)
		ADDQ(U32(s.values()*p.Size), cp)
		CMPQ(cp, end)
		JB(LabelRef("component"))
		p.StoreLabels(idx, Mem{Base: dst})
	})
	VZEROUPPER()
	RET()
}
