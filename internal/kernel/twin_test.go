package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// fast returns the CPU-specific kernels of this build and CPU, or skips the test: a
// build without assembly (purego, noasm, another architecture) has no twin to compare.
func fast(t testing.TB) []*Kernels {
	t.Helper()
	out := available()[:len(available())-1]
	if len(out) == 0 {
		t.Skip("no CPU-specific kernels in this build or on this CPU")
	}
	return out
}

// guard is how many sentinel elements surround every output slice.
const guard = 8

// sentinel is a NaN with a payload no kernel produces, so a stray write shows.
func sentinel[T Float]() T {
	if is64[T]() {
		return T(math.Float64frombits(0x7ff4deadbeefcafe))
	}
	return T(math.Float32frombits(0x7fa5cafe))
}

func bitsOf[T Float](v T) uint64 {
	switch x := any(v).(type) {
	case float64:
		return math.Float64bits(x)
	case float32:
		return uint64(math.Float32bits(x))
	}
	panic("unreachable")
}

// guarded is a slice of n elements starting off elements into a buffer, with sentinels
// on both sides.
type guarded[T Float] struct {
	buf    []T
	lo, hi int
}

func newGuarded[T Float](n, off int) guarded[T] {
	buf := make([]T, guard+off+n+guard)
	for i := range buf {
		buf[i] = sentinel[T]()
	}
	return guarded[T]{buf, guard + off, guard + off + n}
}

func (g guarded[T]) s() []T { return g.buf[g.lo:g.hi:g.hi] }

func (g guarded[T]) check(t *testing.T, what string) {
	t.Helper()
	want := bitsOf(sentinel[T]())
	for i, v := range g.buf {
		if (i < g.lo || i >= g.hi) && bitsOf(v) != want {
			t.Fatalf("%s: element %d outside the slice [%d, %d) was written: %v", what, i, g.lo, g.hi, v)
		}
	}
}

// lengths are the slice lengths every twin test tries: all of 0..300, then a few large.
func lengths() []int {
	var out []int
	for n := range 301 {
		out = append(out, n)
	}
	return append(out, 1023, 4096+5, 65537)
}

// offsets are the starting offsets, in elements, that shift a slice off any alignment.
var offsets = []int{0, 1, 2, 3, 5}

// ulpDiff32 is the distance between two float32s in ulp (0 for equal, huge for NaN
// against a number).
func ulpDiff32(a, b float32) uint32 {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b {
		return math.MaxUint32
	}
	ia, ib := int64(int32(math.Float32bits(a))), int64(int32(math.Float32bits(b)))
	if ia < 0 {
		ia = math.MinInt32 - ia
	}
	if ib < 0 {
		ib = math.MinInt32 - ib
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return uint32(d)
}

// specialExpArgs are the edge cases of exp and log.
var specialExpArgs = []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1e-310, 1, -1, 0.3, -0.3, 88.7, 89, -87.3,
	-103.9, -104, 709.78, 710, -708.4, -745.1, -746, 1e300, -1e300, math.MaxFloat64, -math.MaxFloat64,
	math.Inf(1), math.Inf(-1), math.NaN(), 0x1p-1022, 0x1p-126, 1e-45}

// fill sets x to random arguments: mostly spread over the whole range, with the edge
// cases mixed in.
func fill[T Float](rng *rand.Rand, x []T, lo, hi float64) {
	for i := range x {
		switch rng.IntN(8) {
		case 0:
			x[i] = T(specialExpArgs[rng.IntN(len(specialExpArgs))])
		case 1:
			x[i] = T(math.Float64frombits(rng.Uint64()))
		default:
			x[i] = T(lo + (hi-lo)*rng.Float64())
		}
	}
}

func TestExpLogTwins(t *testing.T) {
	for _, k := range fast(t) {
		rng := rand.New(rand.NewPCG(1, 1))
		for _, n := range lengths() {
			for _, off := range offsets {
				x64 := newGuarded[float64](n, off)
				fill(rng, x64.s(), -750, 712)
				e64, l64 := newGuarded[float64](n, off), newGuarded[float64](n, 0)
				k.F64.Exp(e64.s(), x64.s())
				k.F64.Log(l64.s(), x64.s())
				e64.check(t, "Exp64")
				l64.check(t, "Log64")
				for i, v := range x64.s() {
					if got, want := e64.s()[i], vmath.Exp64(v); math.Float64bits(got) != math.Float64bits(want) {
						t.Fatalf("%s Exp64(%v) = %v, twin %v (n=%d off=%d i=%d)", k.Name, v, got, want, n, off, i)
					}
					if got, want := l64.s()[i], vmath.Log64(v); math.Float64bits(got) != math.Float64bits(want) {
						t.Fatalf("%s Log64(%v) = %v, twin %v (n=%d off=%d i=%d)", k.Name, v, got, want, n, off, i)
					}
				}
				x32 := newGuarded[float32](n, off)
				fill(rng, x32.s(), -105, 90)
				e32, l32 := newGuarded[float32](n, 0), newGuarded[float32](n, off)
				k.F32.Exp(e32.s(), x32.s())
				k.F32.Log(l32.s(), x32.s())
				e32.check(t, "Exp32")
				l32.check(t, "Log32")
				for i, v := range x32.s() {
					// One ulp: Go's float32 fused multiply-add rounds twice, the lanes once.
					if got, want := e32.s()[i], vmath.Exp32(v); ulpDiff32(got, want) > 1 {
						t.Fatalf("%s Exp32(%v) = %v, twin %v", k.Name, v, got, want)
					}
					if got, want := l32.s()[i], vmath.Log32(v); ulpDiff32(got, want) > 1 {
						t.Fatalf("%s Log32(%v) = %v, twin %v", k.Name, v, got, want)
					}
				}
			}
		}
	}
}

// testMixtures are the coefficient sets the twin tests run, K from 1 to 64, with the
// special cases: a component far from all data, one with a tiny sigma, unnormalised
// weights, and moments about centres other than the means.
func testMixtures() map[string]*Coeffs {
	centred := threeClasses.coeffs()
	centred.Centre = []float64{0.3, -3.1, 1e3 + 0.1}
	out := map[string]*Coeffs{
		"K=3":          threeClasses.coeffs(),
		"K=3 centred":  centred,
		"K=1":          byStdev([]float64{1}, []float64{0.4}, []float64{0.2}),
		"K=2 far":      byStdev([]float64{0.5, 0.5}, []float64{0.5, 1e6}, []float64{0.2, 0.1}),
		"K=2 tiny":     byStdev([]float64{0.5, 0.5}, []float64{0.5, 0.3}, []float64{0.2, 1e-12}),
		"K=4 unnormal": byStdev([]float64{1, 2, 3, 4}, []float64{0, 0.3, 0.6, 1}, []float64{0.1, 0.05, 0.2, 0.08}),
	}
	for _, k := range []int{5, 7, 16, 64} {
		var w, mu, sd []float64
		for j := range k {
			w = append(w, 1+float64(j%5))
			mu = append(mu, float64(j)/float64(k))
			sd = append(sd, 0.01+0.003*float64(j))
		}
		out[fmt.Sprintf("K=%d", k)] = byStdev(w, mu, sd)
	}
	return out
}

// samples returns n random data in [-0.2, 1.2], the range of pixel values and a margin.
func samples(rng *rand.Rand, n int) []float64 { return uniform(rng, n, -0.2, 1.2) }

// within32 reports whether a float32 result agrees with the float64 twin computed from
// the same float32 inputs: four float32 roundings of the magnitude scale.
func within32(got float32, want, scale float64) bool {
	return float64(got) == want || math.Abs(float64(got)-want) <= 4*0x1p-24*scale
}

// coeffs32 returns c rounded to float32, as the float32 lanes see it, but for the means,
// which they split in two (see laneCoeffs), and the centres: the lanes give the moments
// about the centres asked for.
func coeffs32(c *Coeffs) *Coeffs {
	r := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(float32(x))
		}
		return out
	}
	return &Coeffs{Const: r(c.Const), Mean: c.Mean, HalfPrec: r(c.HalfPrec), Centre: c.centre()}
}

func TestLogNormPDFTwins(t *testing.T) {
	c := testMixtures()["K=16"]
	for _, k := range fast(t) {
		rng := rand.New(rand.NewPCG(2, 2))
		for _, n := range lengths() {
			for _, off := range offsets {
				j := rng.IntN(c.K())
				x := newGuarded[float64](n, off)
				copy(x.s(), samples(rng, n))
				got, want := newGuarded[float64](n, off), make([]float64, n)
				LogNormPDF(k, got.s(), x.s(), c.Const[j], c.Mean[j], c.HalfPrec[j])
				LogNormPDF(Generic, want, x.s(), c.Const[j], c.Mean[j], c.HalfPrec[j])
				got.check(t, "LogNormPDF64")
				for i := range want {
					if math.Float64bits(got.s()[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%s LogNormPDF64 at %d = %v, twin %v", k.Name, i, got.s()[i], want[i])
					}
				}
				x32 := newGuarded[float32](n, off)
				copy(x32.s(), gen.Float32s(x.s()))
				got32 := newGuarded[float32](n, 0)
				LogNormPDF(k, got32.s(), x32.s(), c.Const[j], c.Mean[j], c.HalfPrec[j])
				got32.check(t, "LogNormPDF32")
				c32 := coeffs32(c)
				for i, v := range x32.s() {
					d := float64(v) - c32.Mean[j]
					want := quad(float64(v), c32.Const[j], c32.Mean[j], c32.HalfPrec[j])
					if !within32(got32.s()[i], want, math.Abs(c32.Const[j])+c32.HalfPrec[j]*d*d) {
						t.Fatalf("%s LogNormPDF32(%v) = %v, want %v", k.Name, v, got32.s()[i], want)
					}
				}
			}
		}
	}
}

func TestExpSumStableTwins(t *testing.T) {
	for _, k := range fast(t) {
		for name, c := range testMixtures() {
			rng := rand.New(rand.NewPCG(3, uint64(c.K())))
			for _, n := range append(lengths()[:40], 257, 1000) {
				off := offsets[n%len(offsets)]
				x := newGuarded[float64](n, off)
				copy(x.s(), samples(rng, n))
				// Far outside the data too: every P_k is -Inf there, pmax -Inf and the
				// exp-sum 0, so that the log-density is -Inf and not NaN.
				if n > 10 {
					x.s()[n/2], x.s()[n/3] = 1e200, -1e200
				}
				kk := c.K()
				p, pmax, es := newGuarded[float64](kk*n, off), newGuarded[float64](n, 0), newGuarded[float64](n, off)
				wp, wm, we := make([]float64, kk*n), make([]float64, n), make([]float64, n)
				ExpSumStable(k, p.s(), pmax.s(), es.s(), x.s(), c)
				ExpSumStable(Generic, wp, wm, we, x.s(), c)
				p.check(t, "P")
				pmax.check(t, "pmax")
				es.check(t, "expsum")
				for i := range wp {
					if math.Float64bits(p.s()[i]) != math.Float64bits(wp[i]) {
						t.Fatalf("%s %s n=%d: P[%d] = %v, twin %v", k.Name, name, n, i, p.s()[i], wp[i])
					}
				}
				for i := range wm {
					if math.Float64bits(pmax.s()[i]) != math.Float64bits(wm[i]) || math.Float64bits(es.s()[i]) != math.Float64bits(we[i]) {
						t.Fatalf("%s %s n=%d: at %d pmax, expsum = %v, %v; twin %v, %v", k.Name, name, n, i, pmax.s()[i], es.s()[i], wm[i], we[i])
					}
				}
				// float32 against the float64 twin on the same float32 inputs.
				x32 := gen.Float32s(x.s())
				p32, m32, e32 := newGuarded[float32](kk*n, 0), newGuarded[float32](n, off), newGuarded[float32](n, 0)
				ExpSumStable(k, p32.s(), m32.s(), e32.s(), x32, c)
				p32.check(t, "P32")
				m32.check(t, "pmax32")
				e32.check(t, "expsum32")
				checkExpSum32(t, k.Name+" "+name, x32, c, p32.s(), m32.s(), e32.s())
			}
		}
	}
}

// checkExpSum32 fails unless the float32 exp-sum p, pmax, expsum of x under c agrees with
// the float64 twin run on the same float32 inputs and c rounded to float32, within the
// float32 lanes' rounding.
func checkExpSum32(t testing.TB, what string, x []float32, c *Coeffs, p, pmax, expsum []float32) {
	t.Helper()
	n, kk := len(x), c.K()
	c32 := coeffs32(c)
	wp, wm, we := make([]float64, kk*n), make([]float64, n), make([]float64, n)
	ExpSumStable(Generic, wp, wm, we, to64(x), c32)
	for i := range n {
		scale := 0.0
		for j := range kk {
			d := float64(x[i]) - c32.Mean[j]
			s := math.Abs(c32.Const[j]) + c32.HalfPrec[j]*d*d
			scale = max(scale, s)
			if !within32(p[j*n+i], wp[j*n+i], s) {
				t.Fatalf("%s: P32[%d][%d] = %v, want %v", what, j, i, p[j*n+i], wp[j*n+i])
			}
		}
		if !within32(pmax[i], wm[i], scale) {
			t.Fatalf("%s: pmax32[%d] = %v, want %v", what, i, pmax[i], wm[i])
		}
		// exp(P - max) inherits P's absolute error as a relative one.
		if e := float64(expsum[i]); e != we[i] && math.Abs(e-we[i]) > we[i]*(8*0x1p-24*scale+float64(kk)*0x1p-22) {
			t.Fatalf("%s: expsum32[%d] = %v, want %v", what, i, e, we[i])
		}
	}
}

// statScale is the size against which a statistic's rounding is judged: the sum of the
// magnitudes of its terms. Terms of both signs (D) cancel, so a relative error on the
// result alone would ask for more than any summation order gives.
func statScale(x []float64, w []float64, c *Coeffs) *Stats {
	s := NewStats(c.K())
	Generic.F64.EStep(x, w, c, s, nil)
	// Replace D by the sum of |r d|: bound it by N * max |d| over the data.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	for k, o := range c.centre() {
		s.D[k] = s.N[k] * max(math.Abs(lo-o), math.Abs(hi-o))
	}
	// The log-likelihood's terms: bounded by |max P| + log K per unit of weight.
	total := 0.0
	for i := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		p := make([]float64, c.K())
		m, _ := logJoint(p, x[i], c)
		total += wi * (math.Abs(m) + math.Log(float64(c.K())))
	}
	s.LogLik = total
	return s
}

// closeStats fails unless got and want differ by at most bound, statistic by statistic.
func closeStats(t *testing.T, what string, got, want, bound *Stats) {
	t.Helper()
	cmp := func(name string, k int, g, w, b float64) {
		if math.IsNaN(g) || math.Abs(g-w) > b {
			t.Fatalf("%s: %s[%d] = %.17g, twin %.17g (diff %.3g > bound %.3g)", what, name, k, g, w, math.Abs(g-w), b)
		}
	}
	for k := range want.N {
		cmp("N", k, got.N[k], want.N[k], bound.N[k])
		cmp("D", k, got.D[k], want.D[k], bound.D[k])
		cmp("B", k, got.B[k], want.B[k], bound.B[k])
	}
	cmp("LogLik", 0, got.LogLik, want.LogLik, bound.LogLik)
}

// errorBound returns, statistic by statistic, how far the tested lanes may be from the
// twin: for float64 lanes (rel64 > 0), which compute every term as the twin does and only
// add up in another order, rel64 times the sum of the terms' magnitudes. For float32
// lanes (rel64 = 0), float32's error model: P_j carries about four float32 roundings of
// its magnitude, and to first order r_k = exp(P_k - max)/S moves by
// r_k (dP_k - sum_j r_j dP_j); then one rounding per term of the exp-sum and for the
// division, and a few for d, r d and r d^2, and the float32 sums of a block of 32
// registers: up to 32 roundings more on each term. Responsibilities below the float32
// exp's flush point, e^-86.5 (above float32's smallest normal number, 2^-126), are 0 in the
// lanes: that much per unit of weight is added as an absolute error. The first-order
// model holds while dP is well below 1: for a sample so far from every component that
// float32 cannot resolve the gaps between its log-joints (dP of 1/2 or more, |P| above
// about 2^20), any component may take its weight, and the bound is that whole weight.
func errorBound(x []float64, w []float64, c *Coeffs, rel64 float64) *Stats {
	const u = 0x1p-24
	k := c.K()
	b := NewStats(k)
	p := make([]float64, k)
	r := make([]float64, k)
	for i, v := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		m, _ := logJoint(p, v, c)
		sum := 0.0
		for j := range p {
			r[j] = math.Exp(p[j] - m)
			sum += r[j]
		}
		mix := 0.0 // sum_j r_j |P_j|
		for j := range r {
			r[j] /= sum
			mix += r[j] * math.Abs(p[j])
		}
		ll := m + math.Log(sum)
		if rel64 > 0 {
			b.LogLik += wi * rel64 * (math.Abs(m) + math.Abs(ll) + 1)
			for j := range r {
				d := math.Abs(v - c.centre()[j])
				b.N[j] += wi * rel64 * r[j]
				b.D[j] += wi * rel64 * r[j] * d
				b.B[j] += wi * rel64 * r[j] * d * d
			}
			continue
		}
		b.LogLik += wi * u * (4*mix + math.Abs(ll) + float64(k) + 4)
		flushed := math.Exp(float64(vmath.ExpFlush32))
		for j := range r {
			eps := u * (4*math.Abs(p[j]) + 4*mix + float64(k) + 8)
			d := math.Abs(v - c.centre()[j])
			if eps >= 0.5 {
				b.N[j] += wi
				b.D[j] += wi * d
				b.B[j] += wi * d * d
				continue
			}
			eps += 32 * u
			b.N[j] += wi * (r[j]*eps + flushed)
			b.D[j] += wi * (r[j]*d*(eps+2*u) + flushed*d)
			b.B[j] += wi * (r[j]*d*d*(eps+4*u) + flushed*d*d)
		}
	}
	return b
}

func TestEStepTwins(t *testing.T) {
	for _, k := range fast(t) {
		for name, c := range testMixtures() {
			rng := rand.New(rand.NewPCG(4, uint64(c.K())))
			ls := lengths()
			if c.K() > 8 {
				ls = append(ls[:70:70], 1000, 4099)
			}
			for _, n := range ls {
				off := offsets[n%len(offsets)]
				x := newGuarded[float64](n, off)
				copy(x.s(), samples(rng, n))
				wg := newGuarded[float64](n, off)
				copy(wg.s(), uniform(rng, n, 0, 3))
				for _, w := range [][]float64{nil, wg.s()} {
					what := fmt.Sprintf("%s %s n=%d weighted=%v", k.Name, name, n, w != nil)
					got, want := NewStats(c.K()), NewStats(c.K())
					k.F64.EStep(x.s(), w, c, got, nil)
					Generic.F64.EStep(x.s(), w, c, want, nil)
					// float64: the same per-sample terms, summed in another order (four
					// lanes): 1e-12 of the terms' magnitude leaves room for nothing else.
					closeStats(t, what, got, want, errorBound(x.s(), w, c, 1e-12))
					// float32 against the float64 twin on the same float32 data and
					// coefficients, within float32's error model.
					x32 := gen.Float32s(x.s())
					c32 := coeffs32(c)
					got32, want32 := NewStats(c.K()), NewStats(c.K())
					k.F32.EStep(x32, w, c, got32, nil)
					Generic.F64.EStep(to64(x32), w, c32, want32, nil)
					closeStats(t, what+" float32", got32, want32, errorBound(to64(x32), w, c32, 0))
					for _, v := range append(append(got32.N, got32.D...), append(got32.B, got32.LogLik)...) {
						if math.IsNaN(v) || math.IsInf(v, 0) {
							t.Fatalf("%s float32: statistic %v", what, v)
						}
					}
				}
				x.check(t, "x")
				wg.check(t, "w")
			}
		}
	}
}

// A sample under which every P_k is -Inf (1e200 from components 1e-150 wide) has log p
// -Inf on every kernel, not NaN; no finite responsibilities exist for it, and its
// statistics are NaN alike (Fit's frame keeps its samples within reach).
func TestEStepBeyondEveryComponent(t *testing.T) {
	c := byStdev([]float64{0.5, 0.5}, []float64{0, 1}, []float64{1e-150, 0.5})
	for _, k := range Available() {
		kern, _ := Lookup(k)
		for n := 1; n <= 9; n++ {
			x := make([]float64, n)
			x[n/2] = 1e200
			s := NewStats(c.K())
			kern.F64.EStep(x, nil, c, s, nil)
			if !math.IsInf(s.LogLik, -1) || !math.IsNaN(s.N[0]) {
				t.Errorf("%s n=%d: log-likelihood %v, N %v; want -Inf and NaN", k, n, s.LogLik, s.N)
			}
		}
	}
}

func TestEStepDoesNotDependOnLength(t *testing.T) {
	// Appending samples of zero weight changes nothing: whether a sample falls in the
	// padded tail or in a whole register, it contributes the same.
	for _, k := range fast(t) {
		rng := rand.New(rand.NewPCG(5, 5))
		c := threeClasses.coeffs()
		x := samples(rng, 37)
		w := uniform(rng, 37, 0.5, 2)
		base := NewStats(3)
		k.F64.EStep(x, w, c, base, nil)
		for extra := 1; extra <= 9; extra++ {
			xe := append(append([]float64{}, x...), samples(rng, extra)...)
			we := append(append([]float64{}, w...), make([]float64, extra)...)
			s := NewStats(3)
			k.F64.EStep(xe, we, c, s, nil)
			closeStats(t, fmt.Sprintf("%s +%d zero-weight samples", k.Name, extra), s, base, errorBound(x, w, c, 1e-14))
		}
	}
}

// labelsSentinel marks the uint16 guard bands of Classify's output.
const labelsSentinel = 0xbeef

// guardedLabels returns n labels starting off elements into a buffer with sentinels on both
// sides, and a function that fails the test if a sentinel was overwritten.
func guardedLabels(t *testing.T, n, off int) ([]uint16, func()) {
	buf := make([]uint16, guard+off+n+guard)
	for i := range buf {
		buf[i] = labelsSentinel
	}
	lo, hi := guard+off, guard+off+n
	return buf[lo:hi:hi], func() {
		t.Helper()
		for i, v := range buf {
			if (i < lo || i >= hi) && v != labelsSentinel {
				t.Fatalf("label %d outside the slice [%d, %d) was written: %d", i, lo, hi, v)
			}
		}
	}
}

func TestClassifyTwins(t *testing.T) {
	for _, k := range fast(t) {
		for name, c := range testMixtures() {
			rng := rand.New(rand.NewPCG(4, uint64(c.K())))
			for _, n := range lengths() {
				off := offsets[n%len(offsets)]
				x := newGuarded[float64](n, off)
				copy(x.s(), samples(rng, n))
				// Far outside the data too: every P_k is -Inf there and component 0 wins.
				if n > 10 {
					x.s()[n/2], x.s()[n/3] = 1e200, -1e200
				}
				got, check := guardedLabels(t, n, off)
				want := make([]uint16, n)
				k.F64.Classify(got, x.s(), c, nil)
				Generic.F64.Classify(want, x.s(), c, nil)
				check()
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s %s n=%d: Classify64(%v) = %d, twin %d", k.Name, name, n, x.s()[i], got[i], want[i])
					}
				}
				x32 := gen.Float32s(x.s())
				got32, check32 := guardedLabels(t, n, off)
				k.F32.Classify(got32, x32, c, nil)
				check32()
				checkClassify32(t, k.Name+" "+name, x32, c, got32)
			}
		}
	}
}

// checkClassify32 fails unless the float32 labels got of x under c are the float64 twin's
// on the same float32 inputs and c rounded to float32, but where two components tie
// within float32 rounding.
func checkClassify32(t testing.TB, what string, x []float32, c *Coeffs, got []uint16) {
	t.Helper()
	c32 := coeffs32(c)
	want := make([]uint16, len(x))
	Generic.F32.Classify(want, x, c32, nil)
	for i, v := range x {
		if got[i] == want[i] {
			continue
		}
		xv := float64(v)
		a, b := int(got[i]), int(want[i])
		if a >= c.K() {
			t.Fatalf("%s: Classify32(%v) = %d of %d components", what, v, a, c.K())
		}
		pa := quad(xv, c32.Const[a], c32.Mean[a], c32.HalfPrec[a])
		pb := quad(xv, c32.Const[b], c32.Mean[b], c32.HalfPrec[b])
		scale := math.Abs(c32.Const[a]) + math.Abs(c32.Const[b]) + math.Abs(pa) + math.Abs(pb)
		if math.Abs(pa-pb) > 8*0x1p-24*scale {
			t.Fatalf("%s: Classify32(%v) = %d (P %v), twin %d (P %v)", what, v, a, pa, b, pb)
		}
	}
}
