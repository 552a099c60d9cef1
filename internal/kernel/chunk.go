package kernel

import (
	"math"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// The Go E-steps take samples a chunk at a time, in phases: every sample's log-joints,
// then every exp of the chunk, then every sum's log, then the statistics. A sample's exps
// and log form one long chain of dependent operations (tens of cycles each); laid out as
// loops over independent values, the CPU overlaps the chains of many samples instead of
// waiting on each. The chunk holds its log-joints as planes, one a component: each phase
// is a few long loops over samples, component by component, rather than a loop over
// samples of short loops over components, whose ends and index arithmetic cost as much as
// their work at small K. The operations, and so the bits, are those of one sample at a
// time.

// chunkValues bounds the log-joints of a chunk (n samples x K components): 4 KiB, in L1.
const chunkValues = 512

// chunkLen is how many samples of K components a chunk holds: at least one.
func chunkLen(k int) int { return max(1, chunkValues/k) }

// expChunk is the working memory of a chunk and what the exp-sum makes of it.
type expChunk struct {
	k, stride int       // components; samples a plane holds (chunkLen(k))
	x         []float64 // the samples, in float64 (1-D)
	p         []float64 // K planes of stride: the log-joints P_k, then exp(P_k - max); then zeros
	args      []float64 // the exps' arguments, K-1 planes of n, then room for one more
	best      []uint64  // the running maximum of P_k, as bits (see raise)
	top       []int     // the first k where P_k is largest; -1 where every P_k is -Inf or NaN
	max       []float64 // max_k P_k
	sum       []float64 // sum_k exp(P_k - max), in component order
	log       []float64 // log sum, or the logs of products of sums (see addLogLik)
	scale     []float64 // w / sum: what turns exp(P_k - max) into a responsibility
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
	ch.k, ch.stride = k, n
	ch.p, ch.args = grow(ch.p, n*(k+1)), grow(ch.args, n*k)
	clear(ch.plane(k, n))
	ch.x, ch.best, ch.top, ch.max = grow(ch.x, n), grow(ch.best, n), grow(ch.top, n), grow(ch.max, n)
	ch.sum, ch.log, ch.scale = grow(ch.sum, n), grow(ch.log, n), grow(ch.scale, n)
	ch.stats = grow(ch.stats, stats)
	return ch
}

// plane returns component j's entries of p for the chunk's first n samples.
func (ch *expChunk) plane(j, n int) []float64 {
	lo := j * ch.stride
	return ch.p[lo : lo+n : lo+n]
}

// columns returns the chunk's entries of its samples i to i+3, each the start of a
// sample's column (component k at k*stride); the last of the n samples stands in for
// those past it.
func (ch *expChunk) columns(i, n int) (c [goLanes][]float64) {
	for l := range c {
		c[l] = ch.p[min(i+l, n-1):]
	}
	return c
}

// expSums turns the log-joints of the chunk's first n samples, with their max and top
// set, into exp(P_k - max) (0 for every k where top is -1), and sets sum and scale (for
// weights w, nil for all ones). The largest term's exp is exp(0) = 1 exactly and is not
// computed, as in the SIMD lanes: each sample's arguments fill K-1 planes, the last
// component's taking the top's place, so that every exp of the chunk runs in one loop
// and no index is computed sample by sample.
func (ch *expChunk) expSums(n int, w []float64) {
	k := ch.k
	top, m := ch.top[:n], ch.max[:n]
	last := ch.plane(k-1, n)
	for j := range k - 1 {
		args := ch.args[j*n : (j+1)*n]
		for i, v := range ch.plane(j, n) {
			b, l := math.Float64bits(v), math.Float64bits(last[i])
			if isTop(top[i], j) { // as bits, without a branch that samples would mispredict
				b = l
			}
			args[i] = math.Float64frombits(b) - m[i]
		}
	}
	vmath.ExpFlushed64s(ch.args, ch.args[:(k-1)*n])
	sum := ch.sum[:n]
	clear(sum)
	for j := range k - 1 {
		pj, exps := ch.plane(j, n), ch.args[j*n:(j+1)*n]
		for i := range pj {
			e := math.Float64bits(exps[i])
			if isTop(top[i], j) { // selected as bits: Go selects integers without a branch
				e = one
			}
			pj[i] = math.Float64frombits(e)
			sum[i] += pj[i]
		}
	}
	scale := ch.scale[:n]
	for i := range last { // the last component's exp is in the top's place; then the sum is whole
		if t := top[i]; t >= 0 {
			e := math.Float64bits(ch.args[t*n+i])
			if t == k-1 {
				e = one
			}
			last[i] = math.Float64frombits(e)
			sum[i] += last[i]
		} else { // beyond every component, as in the SIMD lanes: log p is -Inf
			for j := range k {
				ch.p[j*ch.stride+i] = 0
			}
			sum[i] = 0
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		scale[i] = wi / sum[i]
	}
}

// isTop reports whether component j is a sample's largest term, top, whose exp is not
// computed: component 0 where top is -1 (every term -Inf or NaN).
func isTop(top, j int) bool { return max(top, 0) == j }

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
