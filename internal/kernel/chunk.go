package kernel

import (
	"math"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// The Go E-steps take samples a chunk at a time, in phases: every sample's log-joints,
// then every exp of the chunk, then every sum's log, then the statistics. A sample's exps
// and log form one long chain of dependent operations (tens of cycles each); laid out as
// loops over independent values, the CPU overlaps the chains of many samples instead of
// waiting on each. The operations, and so the bits, are those of one sample at a time.

// chunkValues bounds the log-joints of a chunk (n samples x K components): 4 KiB, in L1.
const chunkValues = 512

// chunkLen is how many samples of K components a chunk holds: at least one.
func chunkLen(k int) int { return max(1, chunkValues/k) }

// expChunk is the working memory of a chunk and what the exp-sum makes of it.
type expChunk struct {
	k    int
	x    []float64 // the samples, in float64 (1-D)
	p    []float64 // n x K: the log-joints P_k, then exp(P_k - max)
	args []float64 // the exps' arguments, n (K-1) of them, and a spare
	top  []int     // the first k where P_k is largest; -1 where every P_k is -Inf or NaN
	max  []float64 // max_k P_k
	sum  []float64 // sum_k exp(P_k - max), in component order
	log  []float64 // log sum, or the logs of products of sums (see addLogLik)
	// stats holds the statistics of a block of samples, summed on their own before they
	// join a tile's.
	stats []float64
}

// chunkFor returns sc's chunk memory (new memory for nil sc), sized for K components and
// statistics of stats float64s.
func chunkFor(sc *Scratch, k, stats int) *expChunk {
	if sc == nil {
		sc = new(Scratch)
	}
	ch, n := &sc.chunk, chunkLen(k)
	ch.k = k
	ch.p, ch.args = grow(ch.p, n*k), grow(ch.args, n*(k-1)+1)
	ch.x, ch.top, ch.max = grow(ch.x, n), grow(ch.top, n), grow(ch.max, n)
	ch.sum, ch.log = grow(ch.sum, n), grow(ch.log, n)
	ch.stats = grow(ch.stats, stats)
	return ch
}

// inFloat64 returns the samples of the 1-D chunk in, in float64: converted in a loop of
// their own, where float32's conversion, which writes only part of a register and so
// waits on its last use, delays nothing else.
func inFloat64[T Float](ch *expChunk, in []T) []float64 {
	x := ch.x[:len(in)]
	for i, v := range in {
		x[i] = float64(v)
	}
	return x
}

// row returns sample i's K entries of p.
func (ch *expChunk) row(i int) []float64 { return ch.p[i*ch.k : (i+1)*ch.k : (i+1)*ch.k] }

// expSums turns the log-joints of the chunk's first n samples, with their max and top
// set, into exp(P_k - max) (0 for every k where top is -1), and sets sum. The
// largest term's exp is exp(0) = 1 exactly and is not computed, as in the SIMD lanes:
// each sample's other K-1 arguments are packed, without a branch, before the exps run.
func (ch *expChunk) expSums(n int) {
	k := ch.k
	args := ch.args[:n*(k-1)+1]
	for i := range n {
		top, m := max(ch.top[i], 0), ch.max[i]
		out := args[i*(k-1):]
		for j, v := range ch.row(i) {
			out[j-after(j, top)] = v - m // the top's slot is taken by the next one's
		}
	}
	vmath.ExpFlushed64s(args, args[:n*(k-1)])
	for i := range n {
		row, top := ch.row(i), ch.top[i]
		if top < 0 { // beyond every component, as in the SIMD lanes: log p is -Inf
			clear(row)
			ch.sum[i] = 0
			continue
		}
		in, s := args[i*(k-1):], 0.0
		for j := range row {
			e := math.Float64bits(in[j-after(j, top)])
			if j == top { // selected as bits: Go selects integers without a branch
				e = one
			}
			row[j] = math.Float64frombits(e)
			s += row[j]
		}
		ch.sum[i] = s
	}
}

// productGroup is how many exp-sums are multiplied before one log, as in the SIMD lanes:
// each is in [1, K], so 32 of them stay below K^32 <= 2^512 (K <= MaxComponents).
const productGroup = 32

// addLogLik returns ll plus the log-likelihood of the chunk's first n samples, with sum
// set, whose weights are w (nil for all ones): sum_i w_i (max_i + log sum_i), added in
// sample order. Unweighted, as the SIMD lanes take it: the maxima, then the logs of
// products of productGroup sums, one log for 32 samples rather than one each.
func (ch *expChunk) addLogLik(ll float64, n int, w []float64) float64 {
	if w != nil {
		vmath.Log64s(ch.log, ch.sum[:n])
		for i, wi := range w[:n] {
			ll += float64(wi * (ch.max[i] + ch.log[i]))
		}
		return ll
	}
	for _, m := range ch.max[:n] {
		ll += m
	}
	prods := ch.log[:0]
	for lo := 0; lo < n; lo += productGroup {
		p := 1.0
		for _, s := range ch.sum[lo:min(lo+productGroup, n)] {
			p *= s
		}
		prods = append(prods, p)
	}
	vmath.Log64s(prods, prods)
	for _, l := range prods {
		ll += l
	}
	return ll
}

// one is the bits of 1.0.
const one = 0x3ff0000000000000

// after is 1 if j comes after top, else 0.
func after(j, top int) int {
	if j > top {
		return 1
	}
	return 0
}
