package emit

import (
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// LogJoint emits dst = cnst - halfPrec*(x - mean)^2, the weighted normal log-density,
// as Generic computes it: d = x - mean, then one fused multiply-add of -(halfPrec*d)*d
// onto cnst. cnst, mean and halfPrec are full-register operands.
//
// With lin (float32 lanes, nil otherwise), the mean is split in two, mean + lo, whose
// second part float32 cannot hold beside the first: cnst is Const - halfPrec lo^2, lin
// is 2 halfPrec lo, and dst = cnst - d (halfPrec d - lin), which is
// Const - halfPrec (x - mean - lo)^2, with the same three operations on the arithmetic
// ports (a load more).
func (p *Prec) LogJoint(x, dst VecVirtual, cnst, mean, halfPrec, lin operand.Op) {
	d := p.Vec()
	p.Sub(mean, x, d)
	if lin == nil {
		p.Mul(halfPrec, d, dst)
	} else {
		p.Movu(lin, dst)
		p.FMSub231(halfPrec, d, dst)
	}
	p.FNMAdd213(cnst, d, dst)
}

// ExpSumTerm replaces the register at mem, a log-joint, by exp(it - m) (m a register or
// memory; exp one of ExpFlushed's domain, such as FlushedExp or TableExp.Exp) and adds
// that to sum: one term of the stable exp-sum.
func (p *Prec) ExpSumTerm(mem operand.Mem, m operand.Op, sum VecVirtual, exp func(x, dst VecVirtual)) {
	a, e := p.Vec(), p.Vec()
	p.Movu(mem, a)
	p.Sub(m, a, a)
	exp(a, e)
	p.Movu(e, mem)
	p.Add(e, sum, sum)
}
