package emit

import (
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Products are the float64 products of exp-sums S by which the unweighted E-step kernels
// take the log-likelihood: sum log S = log prod S, one log a block instead of one a sample.
type Products struct {
	p, dbl *Prec
	regs   []VecVirtual
}

// NewProducts starts products at 1 for registers of p (dbl is float64 on p's instruction
// set): one register, or one per half of a float32 register.
func (p *Prec) NewProducts(dbl *Prec) *Products {
	pr := &Products{p: p, dbl: dbl, regs: []VecVirtual{dbl.Vec()}}
	if !p.Is64() {
		pr.regs = append(pr.regs, dbl.Vec())
	}
	for _, r := range pr.regs {
		VMOVUPD(dbl.C(1), r)
	}
	return pr
}

// Add multiplies a register of exp-sums s into the products and adds the register of
// maxima m into the float64 lanes ll (a float32 register's halves widened and added
// together; see AddLanes). m is consumed.
func (pr *Products) Add(m, s VecVirtual, ll operand.Op) {
	if pr.p.Is64() {
		VMULPD(s, pr.regs[0], pr.regs[0])
		AddLanes(m, ll)
		return
	}
	lo, hi := pr.p.Widen(s, 0), pr.p.Widen(s, 1)
	VMULPD(lo, pr.regs[0], pr.regs[0])
	VMULPD(hi, pr.regs[1], pr.regs[1])
	mlo, mhi := pr.p.Widen(m, 0), pr.p.Widen(m, 1)
	VADDPD(mlo, mhi, mlo)
	AddLanes(mlo, ll)
}

// AddLanes adds the float64 lanes v into ll: a register, or memory (read, added to and
// written; v is then consumed). A loop that adds into the same lanes every iteration
// keeps them in a register: through memory, each addition waits for the last one's
// store to be forwarded.
func AddLanes(v VecVirtual, ll operand.Op) {
	if mem, ok := ll.(operand.Mem); ok {
		VADDPD(mem, v, v)
		VMOVUPD(v, mem)
		return
	}
	VADDPD(v, ll, ll)
}

// Flush adds the logs of the products (of the domain dom) into the float64 lanes at ll,
// and with reset starts them at 1 again.
func (pr *Products) Flush(ll operand.Mem, dom LogDomain, reset bool) {
	for _, r := range pr.regs {
		l := pr.dbl.Vec()
		pr.dbl.Log(r, l, dom)
		VADDPD(ll, l, l)
		VMOVUPD(l, ll)
		if reset {
			VMOVUPD(pr.dbl.C(1), r)
		}
	}
}
