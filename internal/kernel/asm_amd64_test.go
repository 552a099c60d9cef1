//go:build amd64 && gc && !purego && !noasm

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/gmmsimd/gmmsimd/gen"
	genvmath "github.com/gmmsimd/gmmsimd/gen/vmath"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// The generated functions are called here directly, with every buffer they touch inside
// a guarded slice, so that a write past any of them shows.

// estepSets returns the E-step function sets this CPU runs, by kernel name, or skips.
func estepSets(t testing.TB) map[string]*estepSet {
	t.Helper()
	sets := map[string]*estepSet{}
	if cpuid.CPU.Supports(avx2Features...) {
		sets["avx2"] = avx2EStep
	}
	if cpuid.CPU.Supports(avx512Features...) {
		sets["avx512"] = avx512EStep
	}
	if len(sets) == 0 {
		t.Skip("this CPU lacks AVX2 or FMA3")
	}
	return sets
}

func TestEStepAssemblyStaysInItsBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for name, set := range estepSets(t) {
		for _, k := range []int{1, 2, 3, 4, 5, 9} {
			c := testMixtures()["K=16"]
			c = &Coeffs{Const: c.Const[:k], Mean: c.Mean[:k], HalfPrec: c.HalfPrec[:k]}
			// Whole registers: one, two, five, past one block.
			for _, regs := range []int{1, 2, 5, estepBlock + 3} {
				t.Run(fmt.Sprintf("%s/F64/K=%d/regs=%d", name, k, regs), func(t *testing.T) {
					runGuarded(t, rng, c, &set.f64, regs*lanes[float64](set.f64.bytes), k)
				})
				t.Run(fmt.Sprintf("%s/F32/K=%d/regs=%d", name, k, regs), func(t *testing.T) {
					runGuarded(t, rng, c, &set.f32, regs*lanes[float32](set.f32.bytes), k)
				})
			}
		}
	}
}

func runGuarded[T Float](t *testing.T, rng *rand.Rand, c *Coeffs, table *estepTable[T], n, k int) {
	plain, weighted := table.funcs(k)
	f := table.frame(c, nil)
	coef, acc, scratch := newGuarded[T](len(f.coef), 1), newGuarded[float64](len(f.acc), 3), newGuarded[T](len(f.scratch), 2)
	copy(coef.s(), f.coef)
	clear(acc.s())
	x, w := newGuarded[T](n, 1), newGuarded[float64](n, 1)
	for i := range n {
		x.s()[i] = T(rng.Float64())
		w.s()[i] = rng.Float64()
	}
	plain(x.s(), coef.s(), acc.s(), scratch.s())
	weighted(x.s(), w.s(), coef.s(), acc.s(), scratch.s())
	for _, g := range []interface{ check(*testing.T, string) }{coef, x, scratch} {
		g.check(t, "input")
	}
	acc.check(t, "acc")
	w.check(t, "w")
	// Responsibilities sum to one per sample: the N add up to the total weight.
	want, got := float64(n), 0.0
	for _, v := range w.s() {
		want += v
	}
	r := lanes[float64](table.bytes)
	for j := range k {
		got += laneSum(acc.s()[3*j*r : (3*j+1)*r])
	}
	if math.Abs(got-want) > 1e-5*want {
		t.Fatalf("the N sum to %v, the weights to %v", got, want)
	}
}

func TestExpSumStableAssemblyKeepsToItsRows(t *testing.T) {
	if !cpuid.CPU.Supports(avx2Features...) {
		t.Skip("this CPU lacks AVX2 or FMA3")
	}
	c := threeClasses.coeffs()
	const n, stride = 8, 13 // rows of 8 values, 13 apart: the 5 between stay untouched
	x := []float64{0, 0.1, 0.2, 0.4, 0.5, 0.7, 0.9, 1}
	p := newGuarded[float64](3*stride, 0)
	gap := sentinel[float64]()
	pmax, es := make([]float64, n), make([]float64, n)
	var coef []float64 // (Const, Mean, HalfPrec, Lin) per component
	for j := range c.K() {
		coef = append(coef, c.Const[j], c.Mean[j], c.HalfPrec[j], 0)
	}
	expSumStableAVX2F64(p.s(), stride, pmax, es, x, coef)
	p.check(t, "P")
	for row := range 3 {
		for j := n; j < stride; j++ {
			if v := p.s()[row*stride+j]; bitsOf(v) != bitsOf(gap) {
				t.Fatalf("row %d: column %d, past the row's end, was written (%v)", row, j, v)
			}
		}
	}
}

func TestDispatchChecksEveryRequiredFeature(t *testing.T) {
	files, err := filepath.Glob("*_amd64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated assembly found: %v", err)
	}
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fn := ""
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "// func "); ok {
				fn, _, _ = strings.Cut(rest, "(")
			}
			req, ok := strings.CutPrefix(line, "// Requires: ")
			if !ok {
				continue
			}
			seen++
			// Each function is checked against the features of the set that calls it.
			checked := avx2Features
			if strings.Contains(fn, "AVX512") {
				checked = avx512Features
			}
			for _, name := range strings.Split(req, ", ") {
				id := cpuid.ParseFeature(name)
				if name == "MMX+" {
					// The prefetches: AMD's extended MMX, as the assembler lists them, and
					// SSE on every other CPU (cpuid reports MMXEXT on AMD's alone).
					id = cpuid.SSE
				}
				if id == cpuid.UNKNOWN || !slices.Contains(checked, id) {
					t.Errorf("%s: %s requires %s, which the dispatch does not check", f, fn, name)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no Requires: lines in the generated assembly")
	}
}

// BenchmarkEStepUnrolled sets each unrolled kernel beside the general loop for the same
// K, to show where unrolling pays.
func BenchmarkEStepUnrolled(b *testing.B) {
	const n = 1 << 20
	x := benchData(n)
	x32 := gen.Float32s(x)
	for name, set := range estepSets(b) {
		for _, k := range []int{2, 3, 4} {
			c := benchMixture(k)
			plain64, _ := set.f64.funcs(k)
			general64, _ := set.f64.funcs(0)
			plain32, _ := set.f32.funcs(k)
			general32, _ := set.f32.funcs(0)
			f64, f32 := set.f64.frame(c, nil), set.f32.frame(c, nil)
			for _, v := range []struct {
				name string
				run  func()
			}{
				{"unrolled/f64", func() { plain64(x, f64.coef, f64.acc, f64.scratch) }},
				{"general/f64", func() { general64(x, f64.coef, f64.acc, f64.scratch) }},
				{"unrolled/f32", func() { plain32(x32, f32.coef, f32.acc, f32.scratch) }},
				{"general/f32", func() { general32(x32, f32.coef, f32.acc, f32.scratch) }},
			} {
				b.Run(fmt.Sprintf("set=%s/K=%d/%s", name, k, v.name), func(b *testing.B) {
					b.SetBytes(n)
					for b.Loop() {
						v.run()
					}
				})
			}
		}
	}
}

// TestAVX512IsAVX2InWiderRegisters holds AVX512's E-step to its doc comment: the same
// per-sample terms as AVX2's. With one sample weighing 1 and the others 0, every
// statistic is that sample's term plus exact zeros, whichever lane it falls in, so the two
// must match bit for bit; the sample walks through every lane of several registers.
func TestAVX512IsAVX2InWiderRegisters(t *testing.T) {
	sets := estepSets(t)
	if sets["avx512"] == nil {
		t.Skip("this CPU lacks AVX-512F")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	const n = 3*16 + 5 // whole registers of either width, and a tail
	for name, c := range testMixtures() {
		x := samples(rng, n)
		x32 := gen.Float32s(x)
		for i := range n {
			w := make([]float64, n)
			w[i] = 1
			what := fmt.Sprintf("%s sample %d of %d (%v)", name, i, n, x[i])
			wide, narrow := NewStats(c.K()), NewStats(c.K())
			AVX512.F64.EStep(x, w, c, wide, nil)
			AVX2.F64.EStep(x, w, c, narrow, nil)
			if !reflect.DeepEqual(wide, narrow) {
				t.Fatalf("%s: avx512 %+v, avx2 %+v", what, wide, narrow)
			}
			wide32, narrow32 := NewStats(c.K()), NewStats(c.K())
			AVX512.F32.EStep(x32, w, c, wide32, nil)
			AVX2.F32.EStep(x32, w, c, narrow32, nil)
			if !reflect.DeepEqual(wide32, narrow32) {
				t.Fatalf("%s float32: avx512 %+v, avx2 %+v", what, wide32, narrow32)
			}
		}
	}
}

// multiTables returns the multichannel tables this CPU runs, by kernel name and precision.
func multiTables(t testing.TB) map[string]func(rng *rand.Rand, t *testing.T, c *MultiCoeffs, n int) {
	t.Helper()
	out := map[string]func(*rand.Rand, *testing.T, *MultiCoeffs, int){}
	for name := range estepSets(t) {
		tables := avx2Multi
		if name == "avx512" {
			tables = avx512Multi
		}
		out[name+"/F64"] = func(rng *rand.Rand, t *testing.T, c *MultiCoeffs, n int) { runMultiGuarded(t, rng, tables.f64, c, n) }
		out[name+"/F32"] = func(rng *rand.Rand, t *testing.T, c *MultiCoeffs, n int) { runMultiGuarded(t, rng, tables.f32, c, n) }
	}
	return out
}

// The multichannel sweeps and labelling write their responsibilities, sums, log-likelihood
// and labels inside their buffers, and read only theirs: every shape, K of 1 to 9, whole
// registers from one to a full block.
func TestMultiAssemblyStaysInItsBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for name, run := range multiTables(t) {
		for d := 2; d <= 4; d++ {
			for _, diag := range []bool{false, true} {
				for _, k := range []int{1, 2, 5, 9} {
					c := randomMultiCoeffs(rng, k, d, diag)
					for _, regs := range []int{1, 2, 7, multiBlock} {
						t.Run(fmt.Sprintf("%s/d=%d/diag=%v/K=%d/regs=%d", name, d, diag, k, regs), func(t *testing.T) {
							run(rng, t, c, regs)
						})
					}
				}
			}
		}
	}
}

// runMultiGuarded runs every generated function of table's shape for c on regs registers
// of random samples, each buffer guarded, and checks that the responsibilities of each
// sample sum to its weight.
func runMultiGuarded[T Float](t *testing.T, rng *rand.Rand, table *multiTable[T], c *MultiCoeffs, regs int) {
	sh, f := table.shape(c), table.frame(c, nil)
	d, k, n := c.D, c.K(), regs*lanes[T](table.bytes)
	terms := len(layoutOf(c).terms)
	x, w := newGuarded[T](d*n, 1), newGuarded[float64](n, 3)
	for i := range x.s() {
		x.s()[i] = T(rng.Float64())
	}
	for i := range w.s() {
		w.s()[i] = 1 + rng.Float64()
	}
	coef := newGuarded[T](len(f.coef), 2)
	copy(coef.s(), f.coef)
	r, ll := newGuarded[T](k*n, 1), newGuarded[float64](lanes[float64](table.bytes), 2)
	scratch := newGuarded[T](2*n, 1)
	acc := newGuarded[float64](terms*lanes[float64](table.bytes), 1)
	labels, check := guardedLabels(t, n, 3)
	clear(ll.s())
	clear(acc.s())
	sh.resp(x.s(), nil, coef.s(), r.s(), scratch.s(), x.s(), ll.s(), n)
	sh.respW(x.s(), w.s(), coef.s(), r.s(), scratch.s(), x.s(), ll.s(), n)
	sh.moments(x.s(), r.s()[:n], scratch.s()[n:], coef.s()[1:1+d], acc.s(), n)
	sh.classify(labels, x.s(), coef.s(), n)
	for _, g := range []interface{ check(*testing.T, string) }{x, coef, r, scratch} {
		g.check(t, "x, coef, r or scratch")
	}
	w.check(t, "w")
	ll.check(t, "ll")
	acc.check(t, "acc")
	check()
	for i := range n {
		sum := 0.0
		for j := range k {
			sum += float64(r.s()[j*n+i] * scratch.s()[n+i])
		}
		if math.Abs(sum-w.s()[i]) > 1e-5*w.s()[i] || int(labels[i]) >= k {
			t.Fatalf("sample %d: responsibilities sum to %v, weight %v; label %d of %d", i, sum, w.s()[i], labels[i], k)
		}
	}
}

// TestMultiExpIsWithinAnUlp measures the sweeps' exp (AVX-512's table-driven one, AVX2's
// polynomial) over its whole domain, x <= 0: components whose log-joints are their
// constants (U = 0), the first 0, so that the maximum is 0 and plane k of r holds
// exp(Const_k). Each result is within an ulp of e^x correctly rounded to T, and 0 below
// the flush point.
func TestMultiExpIsWithinAnUlp(t *testing.T) {
	for name := range estepSets(t) {
		tables := avx2Multi
		if name == "avx512" {
			tables = avx512Multi
		}
		t.Run(name+"/F64", func(t *testing.T) { checkMultiExp(t, tables.f64, vmath.ExpFlush64) })
		t.Run(name+"/F32", func(t *testing.T) { checkMultiExp(t, tables.f32, float64(vmath.ExpFlush32)) })
	}
}

// checkMultiExp runs table's exp on exp's edge cases and random arguments down to flush.
func checkMultiExp[T Float](t *testing.T, table *multiTable[T], flush float64) {
	args := []float64{0, math.Copysign(0, -1), -5e-324, -1e-310, -1e-300, -1e-20, -1e-10, -0.5, -1,
		flush, math.Nextafter(flush, 0), math.Nextafter(flush, math.Inf(-1)), flush - 1, math.Inf(-1)}
	for j := range 64 { // the table's seams: k = round(16 x log2 e) changes at (j + 1/2) ln2/16
		seam := -(float64(j) + 0.5) * math.Ln2 / 16
		args = append(args, seam, math.Nextafter(seam, 0), math.Nextafter(seam, -1), -float64(j)*math.Ln2/16)
	}
	rng := rand.New(rand.NewPCG(5, 8))
	for i := range 300_000 {
		if i%2 == 0 {
			args = append(args, flush*rng.Float64())
		} else {
			args = append(args, -math.Exp2(math.Log2(-flush)-1000*rng.Float64()))
		}
	}
	const k = 1024
	l := lanes[T](table.bytes)
	worst, at := 0, 0.0
	for lo := 0; lo < len(args); lo += k - 1 {
		batch := args[lo:min(lo+k-1, len(args))]
		c := NewMultiCoeffs(len(batch)+1, 2, true)
		for i, x := range batch {
			c.Const[i+1] = float64(T(x))
		}
		sh, f := table.shape(c), table.frame(c, nil)
		x := make([]T, 2*l)
		sh.resp(x, nil, f.coef, f.r, f.t, x, f.ll, l)
		for i := range batch {
			x := c.Const[i+1]
			want := T(math.Exp(x))
			if x < flush {
				want = 0
			}
			for _, got := range f.r[(i+1)*l : (i+2)*l] {
				d := ulpsApart(got, want)
				if d > 1 {
					d = ulpsApart(got, T(genvmath.ExactExp(x)))
				}
				if d > worst {
					worst, at = d, x
				}
			}
		}
	}
	t.Logf("largest error %d ulp, at %v", worst, at)
	if worst > 1 {
		t.Errorf("exp(%v): %d ulp from e^x", at, worst)
	}
}

// ulpsApart is the distance in ulp between two non-negative values of T.
func ulpsApart[T Float](a, b T) int {
	bits := func(v T) int64 {
		if f, ok := any(v).(float32); ok {
			return int64(math.Float32bits(f))
		}
		return int64(math.Float64bits(float64(v)))
	}
	d := bits(a) - bits(b)
	return int(max(d, -d))
}

// TestMultiTransposeIsGo checks the generated transposes against Go's loop: every d they
// cover (the sweeps' 2 to 4; the blocked kernels' squares, with Go's loop past the last
// whole one, at every d from 5 to 70 and 128, 256 and 1024), both precisions, 0 to 40
// registers of samples (fewer at the largest d), unaligned starts, each buffer guarded.
func TestMultiTransposeIsGo(t *testing.T) {
	sets := estepSets(t)
	if _, ok := sets["avx2"]; ok {
		checkBlockedTranspose(t, avx2Multi.f64)
		checkBlockedTranspose(t, avx2Multi.f32)
	}
	if _, ok := sets["avx512"]; !ok {
		t.Skip("no AVX-512 on this CPU")
	}
	checkTranspose(t, avx512Multi.f64)
	checkTranspose(t, avx512Multi.f32)
	checkBlockedTranspose(t, avx512Multi.f64)
	checkBlockedTranspose(t, avx512Multi.f32)
}

func checkTranspose[T Float](t *testing.T, table *multiTable[T]) {
	l := lanes[T](table.bytes)
	rng := rand.New(rand.NewPCG(3, 9))
	for d := 2; d <= 4; d++ {
		tr := table.transpose[d]
		if tr == nil {
			t.Fatalf("no transpose for d = %d", d)
		}
		for regs := range 41 {
			for _, off := range offsets {
				checkRowsToPlanes(t, rng, "", d, regs*l, off, func(planes, x []T) { tr(planes, x, regs*l) })
			}
		}
	}
}

// checkRowsToPlanes fails unless tr turns n random samples of d features, guarded rows
// starting off elements into their buffer, into Go's loop's planes (guarded too), writing
// nothing around either.
func checkRowsToPlanes[T Float](t *testing.T, rng *rand.Rand, what string, d, n, off int, tr func(planes, x []T)) {
	t.Helper()
	x, planes := newGuarded[T](d*n, off), newGuarded[T](d*n, off+1)
	for i := range x.s() {
		x.s()[i] = T(rng.NormFloat64())
	}
	want := make([]T, d*n)
	transpose(want, x.s(), d, n)
	tr(planes.s(), x.s())
	x.check(t, "x")
	planes.check(t, "planes")
	if !slices.Equal(planes.s(), want) {
		t.Fatalf("%sd = %d, %d samples, offset %d: the planes differ from Go's", what, d, n, off)
	}
}

// checkBlockedTranspose checks the table's transpose of the blocked kernels, with Go's
// loop past its last whole square, against Go's loop alone.
func checkBlockedTranspose[T Float](t *testing.T, table *multiTable[T]) {
	l := lanes[T](table.bytes)
	rng := rand.New(rand.NewPCG(4, 9))
	if table.blocked.transpose == nil {
		t.Fatal("no transpose for the blocked kernels")
	}
	ds := []int{128, 256, 1024}
	for d := BlockedDims; d <= 70; d++ {
		ds = append(ds, d)
	}
	for _, d := range ds {
		for regs := range min(41, 4096/d+2) {
			n := regs * l
			checkRowsToPlanes(t, rng, "blocked, ", d, n, offsets[(d+regs)%len(offsets)], func(planes, x []T) {
				table.transposeRows(planes, x, d, n)
			})
		}
	}
}

// laneSum adds the lanes pairwise, each half on its own first, whatever the width: the
// widths written out add in the order of the halving.
func TestLaneSumAddsPairwise(t *testing.T) {
	var pairwise func(v []float64) float64
	pairwise = func(v []float64) float64 {
		if len(v) == 1 {
			return v[0]
		}
		return pairwise(v[:len(v)/2]) + pairwise(v[len(v)/2:])
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 4, 8, 16, 32} {
		for range 1000 {
			v := make([]float64, n)
			for i := range v {
				v[i] = rng.NormFloat64() * math.Pow(2, float64(rng.IntN(80)-40))
			}
			if got, want := laneSum(v), pairwise(v); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("laneSum(%v) = %v, want %v", v, got, want)
			}
		}
	}
}
