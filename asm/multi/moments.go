package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
