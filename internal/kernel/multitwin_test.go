package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/race"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// multiCase is a set of multichannel coefficients the twin tests run, with how far from
// [-0.2, 1.2]^D its samples may lie.
type multiCase struct {
	name string
	c    *MultiCoeffs
}

// multiCases returns the coefficient sets of the twin tests for D features: K = 1 to 8
// and 33, full and diagonal factors, with the special cases: a component far from all
// data, a near-singular one (a factor entry of 1e6: a variance of 1e-12), Const of both
// signs, and moments about centres other than the means.
func multiCases(d int) []multiCase {
	var out []multiCase
	for _, diag := range []bool{false, true} {
		kind := map[bool]string{false: "full", true: "diag"}[diag]
		for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 33} {
			rng := rand.New(rand.NewPCG(uint64(k), uint64(d)))
			out = append(out, multiCase{fmt.Sprintf("d=%d %s K=%d", d, kind, k), randomMultiCoeffs(rng, k, d, diag)})
		}
		rng := rand.New(rand.NewPCG(9, uint64(d)))
		far := randomMultiCoeffs(rng, 3, d, diag)
		far.Mean[d] = 1e6
		out = append(out, multiCase{fmt.Sprintf("d=%d %s K=3 far", d, kind), far})
		narrow := randomMultiCoeffs(rng, 3, d, diag)
		narrow.Prec[(2*d+d-1)*d+d-1] = 1e6
		out = append(out, multiCase{fmt.Sprintf("d=%d %s K=3 near-singular", d, kind), narrow})
		centred := randomMultiCoeffs(rng, 4, d, diag)
		centred.Centre = make([]float64, len(centred.Mean))
		for i, m := range centred.Mean {
			centred.Centre[i] = m + float64(i%3-1)*(0.5+float64(i))/3
		}
		out = append(out, multiCase{fmt.Sprintf("d=%d %s K=4 centred elsewhere", d, kind), centred})
	}
	return out
}

// multiCoeffs32 returns c rounded to float32, as the float32 lanes see it, but for the
// means, which they split in two, and the centres: the lanes give the moments about the
// centres asked for.
func multiCoeffs32(c *MultiCoeffs) *MultiCoeffs {
	out := NewMultiCoeffs(c.K(), c.D, c.Diag)
	for i, v := range c.Const {
		out.Const[i] = float64(float32(v))
	}
	copy(out.Mean, c.Mean)
	for i, v := range c.Prec {
		out.Prec[i] = float64(float32(v))
	}
	out.Centre = c.centre()
	return out
}

// multiBound returns, statistic by statistic, how far the tested lanes may be from the Go
// twin on the samples x (weights w). float64 lanes (rel64 > 0) compute every term as the
// twin does and add up in another order: rel64 times the sum of the terms' magnitudes.
// float32 lanes (rel64 = 0): the 1-D kernels' error model (see errorBound) with the
// roundings of a D-dimensional log-joint: P_k carries about 2D + 4 float32 roundings of
// its magnitude, and r_k moves by r_k (dP_k - sum_j r_j dP_j) to first order; a sample
// whose log-joints float32 cannot resolve (eps of 1/2 or more) may give its whole weight
// to any component.
func multiBound(x []float64, w []float64, c *MultiCoeffs, rel64 float64) *MultiStats {
	const u = 0x1p-24
	d, k := c.D, c.K()
	b := NewMultiStats(k, d)
	sc := goScratch(nil, c)
	r := make([]float64, k)
	flushed := math.Exp(float64(vmath.ExpFlush32))
	for i := range len(x) / d {
		xi := x[i*d : (i+1)*d]
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		m, _ := logJointOne(sc.p[:k], sc, xi, c)
		sum := 0.0
		for j, v := range sc.p[:k] {
			r[j] = math.Exp(v - m)
			sum += r[j]
		}
		mix := 0.0
		for j := range r {
			r[j] /= sum
			mix += r[j] * math.Abs(sc.p[j])
		}
		ll := m + math.Log(sum)
		roundings := float64(2*d + 4)
		if rel64 > 0 {
			b.LogLik += wi * rel64 * (math.Abs(m) + math.Abs(ll) + 1)
		} else {
			b.LogLik += wi * u * (roundings*mix + math.Abs(ll) + float64(k) + 4)
		}
		for j := range k {
			e := rel64 * r[j]
			if rel64 == 0 {
				eps := u * (roundings*math.Abs(sc.p[j]) + roundings*mix + float64(k) + 8)
				e = r[j]*(eps+36*u) + flushed
				if eps >= 0.5 {
					e = 1
				}
			}
			e *= wi
			b.N[j] += e
			o := c.centre()[j*d : (j+1)*d]
			for a := range d {
				da := math.Abs(xi[a] - o[a])
				b.S[j*d+a] += e * da
				for l := a; l < d; l++ {
					b.Q[(j*d+a)*d+l] += e * da * math.Abs(xi[l]-o[l])
				}
			}
		}
	}
	return b
}

// closeMulti fails unless got and want differ by at most bound, statistic by statistic
// (the entries below the diagonal of Q, which stay 0, too).
func closeMulti(t *testing.T, what string, got, want, bound *MultiStats) {
	t.Helper()
	cmp := func(name string, i int, g, w, b float64) {
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > b {
			t.Fatalf("%s: %s[%d] = %.17g, twin %.17g (diff %.3g > bound %.3g)", what, name, i, g, w, math.Abs(g-w), b)
		}
	}
	for i := range want.N {
		cmp("N", i, got.N[i], want.N[i], bound.N[i])
	}
	for i := range want.S {
		cmp("S", i, got.S[i], want.S[i], bound.S[i])
	}
	for i := range want.Q {
		cmp("Q", i, got.Q[i], want.Q[i], bound.Q[i])
	}
	cmp("LogLik", 0, got.LogLik, want.LogLik, bound.LogLik)
}

// guardedStats returns statistics of k components over d features in one buffer with
// sentinels on both sides, and a check that fails the test if one was overwritten.
func guardedStats(t *testing.T, k, d int) (*MultiStats, func()) {
	g := newGuarded[float64](MultiStatsSize(k, d), 3)
	clear(g.s())
	s := MultiStatsIn(g.s(), k, d)
	return &s, func() { t.Helper(); g.check(t, "statistics") }
}

// multiSamples returns n samples of d features in [-0.2, 1.2], starting off elements into
// a guarded buffer.
func multiSamples(rng *rand.Rand, n, d, off int) guarded[float64] {
	x := newGuarded[float64](n*d, off)
	copy(x.s(), uniform(rng, n*d, -0.2, 1.2))
	return x
}

// Every multichannel E-step agrees with the Go twin, for D = 2 to 5 (5 runs the twin
// itself), full and diagonal factors, K = 1 to 8 and 33, lengths 0 to 300 and large,
// unaligned starts, weighted and not, in both precisions, writing nothing outside its
// statistics.
func TestMultiEStepTwins(t *testing.T) {
	eachMultiCase(t, func(kern *Kernels, mc multiCase, rng *rand.Rand, x guarded[float64], n, off int, sc *Scratch) {
		wg := newGuarded[float64](n, off)
		copy(wg.s(), uniform(rng, n, 0, 3))
		for _, w := range [][]float64{nil, wg.s()} {
			what := fmt.Sprintf("%s %s n=%d weighted=%v", kern.Name, mc.name, n, w != nil)
			checkMultiTwin(t, what, kern, x.s(), w, mc.c, sc)
		}
		x.check(t, "x")
		wg.check(t, "w")
	})
}

// eachMultiCase calls f for every CPU-specific kernel, every case of 2 to 5 features and
// each of its lengths, with n samples starting off elements into a guarded buffer, and
// the kernel's scratch, which goes from shape to shape as a worker's does.
func eachMultiCase(t *testing.T, f func(kern *Kernels, mc multiCase, rng *rand.Rand, x guarded[float64], n, off int, sc *Scratch)) {
	for _, kern := range fast(t) {
		sc := new(Scratch)
		for d := 2; d <= 5; d++ {
			for ci, mc := range multiCases(d) {
				rng := rand.New(rand.NewPCG(uint64(ci), uint64(d)))
				for _, n := range multiLengths(ci) {
					off := offsets[n%len(offsets)]
					f(kern, mc, rng, multiSamples(rng, n, d, off), n, off, sc)
				}
			}
		}
	}
}

// multiLengths are the lengths the twin test runs for case ci: all of 0..300 for every
// fourth case, a spread of them for the rest, and large ones for every fifth. The race
// detector, which slows the Go twin tenfold and finds nothing in code without goroutines,
// gets the spread alone.
func multiLengths(ci int) []int {
	var out []int
	for n := range 301 {
		if (ci%4 == 0 && !race.Enabled) || n < 34 || n%23 == 0 {
			out = append(out, n)
		}
	}
	if ci%5 == 0 && !race.Enabled {
		out = append(out, 1023, 4096+5, 20001)
	}
	return out
}

// checkMultiTwin compares kern's multichannel E-step (in the scratch sc) with the Go
// twin's on x (weights w) under c, in float64 and float32.
func checkMultiTwin(t *testing.T, what string, kern *Kernels, x, w []float64, c *MultiCoeffs, sc *Scratch) {
	t.Helper()
	k, d := c.K(), c.D
	got, check := guardedStats(t, k, d)
	want := NewMultiStats(k, d)
	kern.F64.MultiEStep(x, w, c, got, sc)
	MultiEStep(x, w, c, want)
	check()
	closeMulti(t, what, got, want, multiBound(x, w, c, 1e-12))
	x32 := gen.Float32s(x)
	x64 := to64(x32)
	got32, check32 := guardedStats(t, k, d)
	want32 := NewMultiStats(k, d)
	kern.F32.MultiEStep(x32, w, c, got32, sc)
	check32()
	c32 := multiCoeffs32(c)
	MultiEStep(x64, w, c32, want32)
	closeMulti(t, what+" float32", got32, want32, multiBound(x64, w, c32, 0))
}

// A sample under which every P_k is -Inf (1e200 from components 1e-150 wide) has log p
// -Inf on every kernel, whether it falls in a whole register or the tail; its statistics
// are NaN alike, as in one dimension.
func TestMultiEStepBeyondEveryComponent(t *testing.T) {
	for _, name := range Available() {
		kern, _ := Lookup(name)
		for _, diag := range []bool{false, true} {
			c := fuzzMultiMixture(1, 3, diag, 1e-150) // two components
			for n := 1; n <= 40; n++ {
				x := make([]float64, 3*n)
				x[3*(n/2)+1] = 1e200
				s := NewMultiStats(2, 3)
				kern.F64.MultiEStep(x, nil, c, s, nil)
				if !math.IsInf(s.LogLik, -1) || !math.IsNaN(s.N[0]) {
					t.Errorf("%s diag=%v n=%d: log-likelihood %v, N %v; want -Inf and NaN", name, diag, n, s.LogLik, s.N)
				}
			}
		}
	}
}

// An infinite feature that meets a zero of U makes the quadratic form NaN; every kernel
// takes its log-joint as -Inf (out of reach), as the Go twin does: label 0 and log p
// -Inf, whether the sample falls in a whole register or the tail, in both precisions.
func TestMultiNaNLogJointIsOutOfReach(t *testing.T) {
	c := NewMultiCoeffs(2, 3, false) // full factors with zeros off the diagonal
	for q := range 2 {
		c.Const[q] = float64(q)
		for j := range 3 {
			c.Mean[q*3+j] = 0.5
			c.Prec[(q*3+j)*3+j] = 2
		}
	}
	for _, name := range Available() {
		kern, _ := Lookup(name)
		for _, n := range []int{1, 7, 16, 33} {
			x := make([]float64, 3*n)
			x[3*(n/2)] = math.Inf(1)
			labels, labels32 := make([]uint16, n), make([]uint16, n)
			for i := range labels {
				labels[i], labels32[i] = 9, 9
			}
			kern.F64.MultiClassify(labels, x, c, nil)
			kern.F32.MultiClassify(labels32, gen.Float32s(x), c, nil)
			s, s32 := NewMultiStats(2, 3), NewMultiStats(2, 3)
			kern.F64.MultiEStep(x, nil, c, s, nil)
			kern.F32.MultiEStep(gen.Float32s(x), nil, c, s32, nil)
			if labels[n/2] != 0 || labels32[n/2] != 0 || !math.IsInf(s.LogLik, -1) || !math.IsInf(s32.LogLik, -1) {
				t.Errorf("%s n=%d: labels %d and %d, log-likelihoods %v and %v; want 0 and -Inf",
					name, n, labels[n/2], labels32[n/2], s.LogLik, s32.LogLik)
			}
			for i := range labels {
				if i != n/2 && (labels[i] != 1 || labels32[i] != 1) {
					t.Errorf("%s n=%d: sample %d labelled %d and %d, want 1", name, n, i, labels[i], labels32[i])
				}
			}
		}
	}
}

// fuzzMultiMixture builds a valid mixture of 1 to MaxComponents components over d
// features from a count and a width: means spread over [0, 1]^d, standard deviations of
// about width (at least 1e-4 unless width is below it), correlated for full factors.
func fuzzMultiMixture(k uint16, d int, diag bool, width float64) *MultiCoeffs {
	n := int(k)%MaxComponents + 1
	if math.IsNaN(width) || math.IsInf(width, 0) {
		width = 0.1
	}
	sd := math.Mod(math.Abs(width), 1)
	if sd >= 1e-100 {
		sd += 1e-4
	}
	c := NewMultiCoeffs(n, d, diag)
	for q := range n {
		c.Const[q] = math.Log(float64(1+q%3)) - float64(d)/2*math.Log(2*math.Pi)
		for j := range d {
			c.Mean[q*d+j] = math.Mod(float64(q*(j+1))*0.618034, 1)
			u := 1 / (sd * float64(1+(q+j)%4))
			c.Prec[(q*d+j)*d+j] = u
			c.Const[q] += math.Log(u)
			for l := j + 1; l < d && !diag; l++ {
				c.Prec[(q*d+j)*d+l] = -0.3 * u
			}
		}
	}
	return c
}

func FuzzMultiEStep(f *testing.F) {
	f.Add([]byte{0, 0x10, 0, 0x80, 0xff, 0xff, 0x34, 0x12, 9, 9, 9, 9, 9, 9, 9, 0x41, 3, 3, 3, 3, 3, 3, 3, 3}, uint16(4), uint8(1), 0.1, false)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, uint16(7), uint8(6), 0.01, true)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, uint16(MaxComponents-1), uint8(2), 0.01, true)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, uint16(3), uint8(62), 0.05, false)
	f.Fuzz(func(t *testing.T, data []byte, k uint16, shape uint8, width float64, weighted bool) {
		// d of 2 to 65 (bit 6: diagonal factors); K x d^2 within 1<<16 past d = 4.
		d := 2 + int(shape%64)
		if d > 4 {
			k %= uint16(max(1, (1<<16)/(d*d)))
		}
		c := fuzzMultiMixture(k, d, shape&64 != 0, width)
		// Samples the float32 lanes take (see FuzzEStep); K x N within 1<<16.
		x := samplesIn(data, lanes32)
		n := min(len(x)/d, max(1, (1<<16)/c.K()))
		x = x[:n*d]
		var w []float64
		if weighted {
			w = make([]float64, n)
			for i := range w {
				w[i] = float64(data[8*i]) / 16 // counts, zero included
			}
		}
		for _, kern := range fast(t) {
			checkMultiTwin(t, fmt.Sprintf("%s d=%d %s", kern.Name, d, map[bool]string{false: "full", true: "diag"}[c.Diag]), kern, x, w, c, nil)
		}
	})
}

// Every multichannel labelling agrees with the Go twin: float64 lanes label as it does,
// sample for sample (their log-joints are its operations), float32 lanes too but where
// two components tie within float32 rounding; nothing is written outside the labels.
func TestMultiClassifyTwins(t *testing.T) {
	eachMultiCase(t, func(kern *Kernels, mc multiCase, _ *rand.Rand, x guarded[float64], n, off int, sc *Scratch) {
		if n > 10 { // far outside the data: every P_k is -Inf and component 0 wins
			x.s()[mc.c.D*(n/2)] = 1e200
		}
		what := fmt.Sprintf("%s %s n=%d", kern.Name, mc.name, n)
		got, check := guardedLabels(t, n, off)
		want := make([]uint16, n)
		kern.F64.MultiClassify(got, x.s(), mc.c, sc)
		MultiClassify(want, x.s(), mc.c)
		check()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: sample %d labelled %d, twin %d", what, i, got[i], want[i])
			}
		}
		got32, check32 := guardedLabels(t, n, off)
		kern.F32.MultiClassify(got32, gen.Float32s(x.s()), mc.c, sc)
		check32()
		checkMultiClassify32(t, what, gen.Float32s(x.s()), mc.c, got32)
		x.check(t, "x")
	})
}

// checkMultiClassify32 fails unless the float32 labels got of x under c are the Go twin's
// on the same float32 inputs and c rounded to float32, but where two components' log-joints
// tie within the float32 rounding of a D-dimensional log-joint.
func checkMultiClassify32(t *testing.T, what string, x []float32, c *MultiCoeffs, got []uint16) {
	t.Helper()
	d := c.D
	c32 := multiCoeffs32(c)
	if d > 4 { // no lanes of its own: the Go twin itself
		c32 = c
	}
	x64 := to64(x)
	want := make([]uint16, len(got))
	MultiClassify(want, x64, c32)
	sc := goScratch(nil, c32)
	for i := range got {
		if got[i] == want[i] {
			continue
		}
		a, b := int(got[i]), int(want[i])
		if a >= c.K() {
			t.Fatalf("%s: sample %d labelled %d of %d components", what, i, a, c.K())
		}
		logJointOne(sc.p[:c32.K()], sc, x64[i*d:(i+1)*d], c32)
		scale := math.Abs(c32.Const[a]) + math.Abs(c32.Const[b]) + math.Abs(sc.p[a]) + math.Abs(sc.p[b])
		if math.Abs(sc.p[a]-sc.p[b]) > float64(2*d+4)*0x1p-24*scale {
			t.Fatalf("%s: sample %d labelled %d (P %v), twin %d (P %v)", what, i, a, sc.p[a], b, sc.p[b])
		}
	}
}

func FuzzMultiClassify(f *testing.F) {
	f.Add([]byte{0, 0x10, 0, 0x80, 0xff, 0xff, 0x34, 0x12, 9, 9, 9, 9, 9, 9, 9, 0x41, 3, 3, 3, 3, 3, 3, 3, 3}, uint16(4), uint8(1), 0.1)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, uint16(MaxComponents-1), uint8(6), 0.01)
	f.Fuzz(func(t *testing.T, data []byte, k uint16, shape uint8, width float64) {
		d := 2 + int(shape%3)
		c := fuzzMultiMixture(k, d, shape&4 != 0, width)
		x := samplesIn(data, lanes32)
		n := min(len(x)/d, max(1, (1<<16)/c.K()))
		x = x[:n*d]
		x32 := gen.Float32s(x)
		want := make([]uint16, n)
		MultiClassify(want, x, c)
		for _, kern := range fast(t) {
			got := make([]uint16, n)
			kern.F64.MultiClassify(got, x, c, nil)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s d=%d: sample %v labelled %d, twin %d", kern.Name, d, x[i*d:(i+1)*d], got[i], want[i])
				}
			}
			got32 := make([]uint16, n)
			kern.F32.MultiClassify(got32, x32, c, nil)
			checkMultiClassify32(t, kern.Name, x32, c, got32)
		}
	})
}

// The multichannel kernels on samples read as planes give the bits they give on the same
// samples as rows, E-step and labelling, every case and length, weighted and not, both
// precisions, read only within the samples asked for: the sweeps of 2 to 4 features and
// the blocked kernels of 5.
func TestMultiPlanesAreRows(t *testing.T) {
	eachMultiCase(t, func(kern *Kernels, mc multiCase, rng *rand.Rand, x guarded[float64], n, off int, sc *Scratch) {
		what := fmt.Sprintf("%s %s n=%d", kern.Name, mc.name, n)
		w := uniform(rng, n, 0, 3)
		for _, w := range [][]float64{nil, w} {
			checkPlanesAreRows(t, what, &kern.F64, x.s(), w, mc.c, off, sc)
			checkPlanesAreRows(t, what+" float32", &kern.F32, gen.Float32s(x.s()), w, mc.c, off, sc)
		}
	})
}

// checkPlanesAreRows compares set's multichannel E-step and labelling on x (weights w)
// read as planes from sample lo of a longer source with the same on x as rows.
func checkPlanesAreRows[T Float](t *testing.T, what string, set *Set[T], x []T, w []float64, c *MultiCoeffs, lo int, sc *Scratch) {
	t.Helper()
	d, k, n := c.D, c.K(), len(x)/c.D
	src := append(make([]T, lo*d), x...) // samples [lo, lo+n) are x
	for i := range lo * d {
		src[i] = T(math.NaN())
	}
	planes := planeReader(src, d)
	read := func(dst []T, from int) {
		if len(dst)%d != 0 || from < lo || from+len(dst)/d > lo+n {
			t.Fatalf("%s: read of %d values from sample %d, outside [%d, %d)", what, len(dst), from, lo, lo+n)
		}
		planes(dst, from)
	}
	want, got := NewMultiStats(k, d), NewMultiStats(k, d)
	set.MultiEStep(x, w, c, want, sc)
	wantLabels, gotLabels := make([]uint16, n), make([]uint16, n)
	set.MultiClassify(wantLabels, x, c, sc)
	if !set.MultiEStepPlanes(read, lo, n, w, c, got, sc) {
		t.Fatalf("%s: no planes E-step for %d features", what, d)
	} else if !reflect.DeepEqual(multiStatsBits(got), multiStatsBits(want)) {
		t.Fatalf("%s weighted=%v: statistics from planes differ from those from rows", what, w != nil)
	}
	if !set.MultiClassifyPlanes(gotLabels, read, lo, c, sc) {
		t.Fatalf("%s: no planes labelling for %d features", what, d)
	}
	if !slices.Equal(gotLabels, wantLabels) {
		t.Fatalf("%s: labels from planes differ from those from rows", what)
	}
}

// multiStatsBits returns every number of s as its bits, so that NaNs compare equal.
func multiStatsBits(s *MultiStats) []uint64 {
	var out []uint64
	for _, v := range slices.Concat(s.N, s.S, s.Q, []float64{s.LogLik}) {
		out = append(out, bitsOf(v))
	}
	return out
}

// Far from zero, where a float32 mean would move a component by up to half its ulp (1/32
// at 1e6, a sixteenth of these components' widths), the float32 lanes keep their
// components where they are: every kernel's float32 E-step agrees with the Go twin on the
// same float32 samples and the exact means, within float32's error model, in one
// dimension and several.
func TestFloat32LanesFarFromZero(t *testing.T) {
	const offset = 1e6 + 1.0/3
	rng := rand.New(rand.NewPCG(34, 1))
	one := byStdev([]float64{0.3, 0.3, 0.4}, []float64{offset, offset + 2.35, offset + 5.7}, []float64{0.5, 1, 2})
	for _, kern := range fast(t) {
		for _, n := range []int{1, 7, 64, 1000, 4099} {
			x32 := gen.Float32s(uniform(rng, n, offset-3, offset+9))
			x := to64(x32)
			for _, w := range [][]float64{nil, uniform(rng, n, 0, 3)} {
				what := fmt.Sprintf("%s n=%d weighted=%v", kern.Name, n, w != nil)
				got, want := NewStats(3), NewStats(3)
				kern.F32.EStep(x32, w, one, got, nil)
				c32 := coeffs32(one)
				Generic.F64.EStep(x, w, c32, want, nil)
				closeStats(t, what+" 1-D float32", got, want, errorBound(x, w, c32, 0))
			}
		}
		sc := new(Scratch)
		for d := 2; d <= 4; d++ {
			for _, diag := range []bool{false, true} {
				c := randomMultiCoeffs(rng, 3, d, diag)
				for i := range c.Mean {
					c.Mean[i] = offset + 4*c.Mean[i]
				}
				for _, n := range []int{5, 300, 2051} {
					x := uniform(rng, n*d, offset-1, offset+5)
					checkMultiTwin(t, fmt.Sprintf("%s d=%d diag=%v n=%d", kern.Name, d, diag, n), kern, x, nil, c, sc)
				}
			}
		}
	}
}

// blockedDimsUnderTest are the feature counts the blocked kernels' twin tests run: every d
// from 5 to 70, then 128, 256 and 1024; under -short a spread of them. The race detector
// finds nothing in code without goroutines, and its twins run some 20 times slower: under
// it, one d of each kind (a register's tail of each width, whole registers, past 64).
func blockedDimsUnderTest() []int {
	if race.Enabled {
		return []int{5, 9, 16, 17, 33, 70}
	}
	var dims []int
	for d := 5; d <= 70; d++ {
		if !testing.Short() || d <= 9 || d%16 == 0 || d%16 == 1 || d == 70 {
			dims = append(dims, d)
		}
	}
	if testing.Short() {
		return append(dims, 128)
	}
	return append(dims, 128, 256, 1024)
}

// The blocked kernels of d of 5 and more agree with the Go twin in both precisions (see
// checkMultiTwin), for K of 1, 3 and 7 (1 and 2 past 70 features), full and diagonal
// factors, weighted and not, and lengths about a register's and a block's ends: the odd
// tails of both, through the kernels and through Go's loop; and their labels, the Go
// twin's in float64.
func TestBlockedTwins(t *testing.T) {
	for _, kern := range fast(t) {
		sc := new(Scratch)
		for _, d := range blockedDimsUnderTest() {
			ks := []int{1, 3, 7}
			if d > 70 {
				ks = []int{1, 2}
			}
			rng := rand.New(rand.NewPCG(uint64(d), 29))
			nb := min(multiBlock, max(1, 32768/(d*64))) * 8 // a block of AVX-512's float64 lanes
			for _, diag := range []bool{false, true} {
				for _, k := range ks {
					c := randomMultiCoeffs(rng, k, d, diag)
					for _, n := range []int{1, 7, 8, 9, 17, nb - 1, nb, nb + 9, 2*nb + 13} {
						if n < 1 {
							continue
						}
						x := uniform(rng, n*d, -0.2, 1.2)
						var w []float64
						if n%2 == 1 {
							w = uniform(rng, n, 0, 3)
						}
						what := fmt.Sprintf("%s d=%d diag=%v K=%d n=%d weighted=%v", kern.Name, d, diag, k, n, w != nil)
						checkMultiTwin(t, what, kern, x, w, c, sc)
						got, want := make([]uint16, n), make([]uint16, n)
						kern.F64.MultiClassify(got, x, c, sc)
						MultiClassify(want, x, c)
						if !slices.Equal(got, want) {
							t.Fatalf("%s: labels %v, twin %v", what, got, want)
						}
						got32 := make([]uint16, n)
						kern.F32.MultiClassify(got32, gen.Float32s(x), c, sc)
						checkMultiClassify32(t, what, gen.Float32s(x), c, got32)
						checkJoints(t, what, kern, x, c, sc)
					}
				}
			}
		}
	}
}

// checkJoints holds kern's MultiJoints to the Go twin's log-joints: the same bits in
// float64; in float32 within four float32 roundings of each term's magnitude a feature
// (the lanes' error model: see multiBound), on the same float32 samples.
func checkJoints(t *testing.T, what string, kern *Kernels, x []float64, c *MultiCoeffs, sc *Scratch) {
	t.Helper()
	k, d := c.K(), c.D
	n := len(x) / d
	got, got32 := make([]float64, k*n), make([]float64, k*n)
	if !kern.F64.MultiJoints(got, x, c, sc) || !kern.F32.MultiJoints(got32, gen.Float32s(x), c, sc) {
		t.Fatalf("%s: no log-joints for %d features", what, d)
	}
	x64 := to64(gen.Float32s(x))
	p, c32 := make([]float64, k), multiCoeffs32(c)
	sc64, sc32 := goScratch(nil, c), goScratch(nil, c32)
	for i := range n {
		logJointOne(p, sc64, x[i*d:(i+1)*d], c)
		for j, want := range p {
			if math.Float64bits(got[j*n+i]) != math.Float64bits(want) {
				t.Fatalf("%s: P_%d of sample %d = %v, twin %v", what, j, i, got[j*n+i], want)
			}
		}
		logJointOne(p, sc32, x64[i*d:(i+1)*d], c32)
		for j, want := range p {
			if e := math.Abs(got32[j*n+i] - want); !(e <= 0x1p-24*float64(4*d+8)*(math.Abs(want)+1)) {
				t.Fatalf("%s float32: P_%d of sample %d = %v, twin %v", what, j, i, got32[j*n+i], want)
			}
		}
	}
}
