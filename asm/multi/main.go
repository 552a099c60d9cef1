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
