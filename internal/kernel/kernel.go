// Package kernel holds the per-pixel loops of Gaussian-mixture EM: the weighted normal
// log-density of a slice, the reference program's stable exp-sum (which scoring and soft
// assignments use), the fused E-step that returns sufficient statistics and the
// log-likelihood in one streaming pass, and hard assignments, each over one block of
// samples on the caller's goroutine (package drive runs them over tiles on a pool of
// workers).
//
// Every kernel exists as a pure-Go reference (this file's siblings, always built) and may
// have faster twins for particular CPUs; a Kernels value bundles one implementation of
// each, a typed Set per precision, and Lookup picks one by name. The package knows
// nothing of images or options: its inputs are slices and the coefficients of a mixture.
//
// The log-density of component k is the quadratic
//
//	P_k(x) = Const[k] - HalfPrec[k]*(x - Mean[k])^2
//
// with Const[k] = log w_k - log sigma_k - log(2 pi)/2 and HalfPrec[k] = 1/(2 sigma_k^2).
// It is never computed as the log of a density, so it neither underflows nor costs an exp.
package kernel

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// MaxComponents is the largest number of components the kernels accept; hard assignments
// are stored as uint16.
const MaxComponents = 1 << 16

// Coeffs is a K-component mixture in the form the kernels read, with the origins of the
// E-step's moments. Every slice has length K.
type Coeffs struct {
	Const    []float64 // log w_k - log sigma_k - log(2 pi)/2
	Mean     []float64 // mu_k
	HalfPrec []float64 // 1/(2 sigma_k^2)
	// Centre is the origin c_k of component k's moments (see Stats); nil means Mean.
	// Every kernel gives the moments about c_k itself: float32 lanes take them about c_k
	// rounded to float32 and move their sums onto c_k in float64.
	Centre []float64
}

// centre returns the origins of c's moments.
func (c *Coeffs) centre() []float64 {
	if c.Centre == nil {
		return c.Mean
	}
	return c.Centre
}

// NewCoeffs returns the coefficients of the mixture with the given weights, means and
// variances. Weights need not sum to one: a common factor shifts every P_k by the same
// constant and leaves responsibilities unchanged (the reference program starts from
// weights of 1). The caller validates: weights > 0, variances > 0 with 1/(2 variance)
// finite.
func NewCoeffs(weights, means, variances []float64) *Coeffs {
	k := len(means)
	c := &Coeffs{
		Const:    make([]float64, k),
		Mean:     make([]float64, k),
		HalfPrec: make([]float64, k),
	}
	c.Set(weights, means, variances)
	return c
}

// Set overwrites c with the given mixture, which must have c's number of components.
func (c *Coeffs) Set(weights, means, variances []float64) {
	for k := range c.Mean {
		c.SetComponent(k, weights[k], means[k], variances[k])
	}
}

// SetComponent overwrites component k of c.
func (c *Coeffs) SetComponent(k int, weight, mean, variance float64) {
	const halfLog2Pi = 0.9189385332046727417803297364056176398613974736377834128171515404
	c.Const[k] = LogWeight(weight) - 0.5*math.Log(variance) - halfLog2Pi
	c.Mean[k] = mean
	c.HalfPrec[k] = 0.5 / variance
}

// LogWeight is math.Log(w) for w > 0, subnormal w included: a normalised weight may be
// below 2^-1022, where Go's math.Log on amd64 gives about -709 for every number (log of
// 5e-324 is -744.4). A subnormal w is scaled into the normal range first.
func LogWeight(w float64) float64 {
	if w < 0x1p-1022 {
		return math.Log(w*0x1p54) - 54*math.Ln2
	}
	return math.Log(w)
}

// K returns the number of components.
func (c *Coeffs) K() int { return len(c.Mean) }

// laneCoeffs returns component k of c as lanes of T take it: float64 lanes Const, Mean
// and HalfPrec as they are, and Lin 0 (unread); float32 lanes the mean split in two, its
// float32 value and the rest lo, the rest folded into the constant and a linear term,
// Const - HalfPrec lo^2 and Lin = 2 HalfPrec lo, for the log-joint
// Const - d (HalfPrec d - Lin) with d = x - Mean (see the generated kernels). That is
// Const - HalfPrec (x - Mean)^2 to float32's rounding of its terms however far the mean
// lies from zero, where the mean's float32 value alone would move the component by up
// to half its ulp (1/32 at 1e6), far more than its width for data float32 resolves.
func laneCoeffs[T Float](c *Coeffs, k int) (cnst, mean, halfPrec, lin float64) {
	cnst, mean, halfPrec = c.Const[k], c.Mean[k], c.HalfPrec[k]
	if is64[T]() {
		return cnst, mean, halfPrec, 0
	}
	hi := float64(float32(mean))
	lo := mean - hi
	lin = 2 * halfPrec * lo
	if math.IsInf(hi, 0) || math.IsInf(lin, 0) || math.IsNaN(lin) { // beyond float32 anyway
		return cnst, hi, halfPrec, 0
	}
	return cnst - float64(halfPrec*lo)*lo, hi, halfPrec, lin
}

// Stats holds the sufficient statistics of an E-step over samples x_n with weights c_n
// (1 when absent) and responsibilities r_nk, shifted by each component's centre c_k
// (Coeffs.Centre):
//
//	N[k] = sum_n c_n r_nk
//	D[k] = sum_n c_n r_nk (x_n - c_k)
//	B[k] = sum_n c_n r_nk (x_n - c_k)^2
//	LogLik = sum_n c_n log p(x_n)
//
// The M-step is then mu'_k = c_k + D[k]/N[k] and sigma'_k^2 = B[k]/N[k] - (D[k]/N[k])^2,
// whose subtraction loses about log2(B[k]/(N[k] sigma'_k^2)) bits: few while c_k is
// within a few standard deviations of mu'_k, as the previous mean is once EM settles. A
// caller that finds too many lost runs the pass again centred on mu'_k.
type Stats struct {
	N, D, B []float64
	LogLik  float64
}

// NewStats returns zeroed statistics for k components.
func NewStats(k int) *Stats {
	s := StatsIn(make([]float64, 3*k), k)
	return &s
}

// StatsIn returns statistics for k components kept in the first 3k elements of buf.
func StatsIn(buf []float64, k int) Stats {
	return Stats{N: buf[:k:k], D: buf[k : 2*k : 2*k], B: buf[2*k : 3*k : 3*k]}
}

// Reset zeroes s.
func (s *Stats) Reset() {
	clear(s.N)
	clear(s.D)
	clear(s.B)
	s.LogLik = 0
}

// Add adds o to s, component by component.
func (s *Stats) Add(o *Stats) {
	for k := range s.N {
		s.N[k] += o.N[k]
		s.D[k] += o.D[k]
		s.B[k] += o.B[k]
	}
	s.LogLik += o.LogLik
}

// Set is one implementation of every mixture kernel for samples of type T. Statistics,
// weights and coefficients are float64 whatever T.
//
// Contracts shared by all implementations (the tests hold every implementation to them):
//   - Exp, Log: dst[i] = exp(x[i]) or log(x[i]) (the project's own, vmath's), for
//     i < len(x) <= len(dst).
//   - LogNormPDF: dst[n] = P(x[n]) for one component; len(dst) == len(x).
//   - ExpSumStable: for N = len(x), p is K x N component-major (p[k*N+n] = P_k(x[n])),
//     pmax[n] = max_k P_k(x[n]) (a running max that starts at -Inf) and
//     expsum[n] = sum_k exp(P_k(x[n]) - pmax[n]), the reference program's
//     compute_expsum_stable one for one.
//   - EStep: adds the statistics of x (weights w, nil for all ones) to s.
//   - Classify: dst[n] = argmax_k P_k(x[n]), the lowest k on ties.
//   - MultiEStep: adds the statistics of the samples x (row-major, c.D features each;
//     weights w, nil for all ones) under the multichannel coefficients c to s.
//   - MultiClassify: dst[n] = argmax_k P_k(x_n) for the samples x (row-major, c.D
//     features each), the lowest k on ties.
//   - MultiEStepPlanes, MultiClassifyPlanes (nil where an implementation has none):
//     MultiEStep on the n samples from lo, MultiClassify on the len(dst) samples from lo,
//     that read gives as planes (read(dst, i) sets dst to the m = len(dst)/c.D samples
//     from i on, feature j of sample i+a at dst[j*m+a]), with the same results bit for
//     bit; false, having done nothing, for a c they have no code for.
//   - MultiJoints (nil where an implementation has none): dst[k*n+i] = P_k(x_i) for the
//     n = len(x)/c.D samples x (row-major), what MultiClassify's labels are the first
//     largest of; false, having done nothing, for a c it has no code for.
//   - Kernels that need working memory keep it in sc, a worker's (nil: memory of the
//     call's own).
type Set[T Float] struct {
	Exp, Log      func(dst, x []T)
	LogNormPDF    func(dst, x []T, cnst, mean, halfPrec float64)
	ExpSumStable  func(p, pmax, expsum, x []T, c *Coeffs, sc *Scratch)
	EStep         func(x []T, w []float64, c *Coeffs, s *Stats, sc *Scratch)
	Classify      func(dst []uint16, x []T, c *Coeffs, sc *Scratch)
	MultiEStep    func(x []T, w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch)
	MultiClassify func(dst []uint16, x []T, c *MultiCoeffs, sc *Scratch)

	MultiEStepPlanes    func(read func(dst []T, lo int), lo, n int, w []float64, c *MultiCoeffs, s *MultiStats, sc *Scratch) bool
	MultiClassifyPlanes func(dst []uint16, read func(dst []T, lo int), lo int, c *MultiCoeffs, sc *Scratch) bool
	MultiJoints         func(dst []float64, x []T, c *MultiCoeffs, sc *Scratch) bool
}

// Kernels is one implementation of the kernels, named, with a Set per precision.
type Kernels struct {
	Name string
	F64  Set[float64]
	F32  Set[float32]
	// peak64 and peak32 are loops of independent fused multiply-adds in the
	// implementation's lanes (see FMAPeak).
	peak64, peak32 fmaLoop
}

// fmaLoop runs n turns of fmaChains independent fused multiply-adds of lanes elements
// each.
type fmaLoop struct {
	run   func(n int)
	lanes int
}

// fmaChains is how many independent fused multiply-adds a turn of an fmaLoop takes.
const fmaChains = 12

// FMAPeak measures how many fused multiply-adds of T's elements k's lanes complete a
// nanosecond on one core: the best rate of five runs of a loop of independent ones (see
// ../../asm/peak), each of at least 20 ms. It is the floor the blocked kernels' speed is
// set beside: the multiply-adds a shape needs, over it.
func FMAPeak[T Float](k *Kernels) float64 {
	loop := k.peak64
	if !is64[T]() {
		loop = k.peak32
	}
	n, best := 1<<16, 0.0
	for range 5 {
		for {
			start := time.Now()
			loop.run(n)
			el := time.Since(start)
			if el >= 20*time.Millisecond {
				best = max(best, float64(n)*fmaChains*float64(loop.lanes)/float64(el.Nanoseconds()))
				break
			}
			n *= 2
		}
	}
	return best
}

// goFMALoop is Go's fmaLoop: fmaChains scalar fused multiply-adds a turn, each sum a
// variable of its own that the compiler keeps in a register (an array's elements went
// through memory, each turn waiting on its stores, and set the floor at a third of the
// peak).
func goFMALoop(n int) {
	var s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11 float64
	a, b := 1.0, 0.0
	for range n {
		s0, s1, s2, s3 = math.FMA(a, b, s0), math.FMA(a, b, s1), math.FMA(a, b, s2), math.FMA(a, b, s3)
		s4, s5, s6, s7 = math.FMA(a, b, s4), math.FMA(a, b, s5), math.FMA(a, b, s6), math.FMA(a, b, s7)
		s8, s9, s10, s11 = math.FMA(a, b, s8), math.FMA(a, b, s9), math.FMA(a, b, s10), math.FMA(a, b, s11)
	}
	sink = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11
}

// sink keeps goFMALoop's sums alive.
var sink float64

// Of returns k's Set for samples of type T: the one place where the precision is chosen,
// once per pass, not per sample or per kernel.
func Of[T Float](k *Kernels) *Set[T] {
	var s *Set[T]
	switch p := any(&s).(type) {
	case **Set[float64]:
		*p = &k.F64
	case **Set[float32]:
		*p = &k.F32
	}
	return s
}

// genericSet is the pure-Go Set for T, with the exp and log of that precision.
func genericSet[T Float](exp, log func(dst, x []T)) Set[T] {
	return Set[T]{
		Exp:           exp,
		Log:           log,
		LogNormPDF:    logNormPDF[T],
		ExpSumStable:  func(p, pmax, expsum, x []T, c *Coeffs, _ *Scratch) { expSumStable(p, pmax, expsum, x, c) },
		EStep:         eStep[T],
		Classify:      classify[T],
		MultiEStep:    multiEStepIn[T],
		MultiClassify: multiClassifyIn[T],
	}
}

// Generic is the pure-Go implementation, built on every platform. It computes in float64
// whatever the input precision, with vmath's exp and log: it is the reference that
// faster twins are tested against.
var Generic = &Kernels{
	Name:   "generic",
	F64:    genericSet(vmath.Exp64s, vmath.Log64s),
	F32:    genericSet(mapSlice(vmath.Exp32), mapSlice(vmath.Log32)),
	peak64: fmaLoop{run: goFMALoop, lanes: 1},
	peak32: fmaLoop{run: goFMALoop, lanes: 1},
}

// ErrUnknownKernel is returned by Lookup for a name it does not know.
var ErrUnknownKernel = errors.New("unknown kernel")

// available lists the implementations this binary holds that this CPU can run, best first;
// Generic is always last. It reads cpuid's feature set on first use, so that a program may
// first let the user mask features (cpuid.Flags, then cpuid.Detect after parsing them).
var available = sync.OnceValue(func() []*Kernels { return append(accelerated(), Generic) })

// mapSlice returns the slice version of a scalar function.
func mapSlice[T Float](f func(T) T) func(dst, x []T) {
	return func(dst, x []T) {
		dst = dst[:len(x)]
		for i, v := range x {
			dst[i] = f(v)
		}
	}
}

// known names every implementation the project has, whether or not this binary holds it
// and this CPU runs it, so that asking for one that is missing says why.
var known = []string{"generic", "avx2", "avx512"}

// Lookup returns the kernels called name: "auto" (or "") for the fastest this binary
// holds and this CPU runs; "generic" for the pure-Go reference; or the name of a
// CPU-specific implementation such as "avx2". Asking for one this binary or CPU lacks is
// an error that says so.
func Lookup(name string) (*Kernels, error) {
	if name == "" || name == "auto" {
		return available()[0], nil
	}
	k, err := byName(name)
	if err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	return k, nil
}

// byName returns the kernels called name, which this binary must hold and this CPU run.
func byName(name string) (*Kernels, error) {
	for _, k := range available() {
		if k.Name == name {
			return k, nil
		}
	}
	if slices.Contains(known, name) {
		return nil, fmt.Errorf("%q is not available: this binary was built without it (purego, noasm or another architecture) or this CPU lacks its features", name)
	}
	return nil, fmt.Errorf("%w %q (want auto, %s)", ErrUnknownKernel, name, strings.Join(known, ", "))
}

// Available returns the names of the kernels this binary holds and this CPU runs, fastest
// first; "generic" is always last.
func Available() []string {
	out := make([]string, len(available()))
	for i, k := range available() {
		out[i] = k.Name
	}
	return out
}

// WeightsOf returns the weights of the samples [lo, hi) of a pass, or nil without weights.
func WeightsOf(w []float64, lo, hi int) []float64 {
	if w == nil {
		return nil
	}
	return w[lo:hi]
}
