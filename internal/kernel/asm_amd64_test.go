//go:build amd64 && gc && !purego && !noasm

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/gmmsimd/gmmsimd/gen"
)

// The generated functions are called here directly, with every buffer they touch inside
// a guarded slice, so that a write past any of them shows.

func TestEStepAssemblyStaysInItsBuffers(t *testing.T) {
	if len(accelerated()) == 0 {
		t.Skip("this CPU lacks AVX2 or FMA3")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	for _, k := range []int{1, 2, 3, 4, 5, 9} {
		c := testMixtures()["K=16"]
		c = &Coeffs{Const: c.Const[:k], Mean: c.Mean[:k], HalfPrec: c.HalfPrec[:k]}
		for _, n := range []int{8, 16, 40, 8 * (estepBlock + 3)} { // whole registers, past one block
			t.Run(fmt.Sprintf("F64/K=%d/n=%d", k, n), func(t *testing.T) {
				plain, weighted := estepFuncs[float64](k)
				runGuarded(t, rng, c, n, plain, weighted)
			})
			t.Run(fmt.Sprintf("F32/K=%d/n=%d", k, n), func(t *testing.T) {
				plain, weighted := estepFuncs[float32](k)
				runGuarded(t, rng, c, n, plain, weighted)
			})
		}
	}
}

func runGuarded[T Float](t *testing.T, rng *rand.Rand, c *Coeffs, n int, plain estepFunc[T], weighted estepFuncW[T]) {
	k := c.K()
	f := frame[T](c)
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
	for j := range k {
		got += laneSum(acc.s()[12*j : 12*j+4])
	}
	if math.Abs(got-want) > 1e-5*want {
		t.Fatalf("the N sum to %v, the weights to %v", got, want)
	}
}

func TestExpSumStableAssemblyKeepsToItsRows(t *testing.T) {
	if len(accelerated()) == 0 {
		t.Skip("this CPU lacks AVX2 or FMA3")
	}
	c := threeClasses.coeffs()
	const n, stride = 8, 13 // rows of 8 values, 13 apart: the 5 between stay untouched
	x := []float64{0, 0.1, 0.2, 0.4, 0.5, 0.7, 0.9, 1}
	p := newGuarded[float64](3*stride, 0)
	gap := sentinel[float64]()
	pmax, es := make([]float64, n), make([]float64, n)
	expSumStableAVX2F64(p.s(), stride, pmax, es, x, scalarCoeffs[float64](c))
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
		for _, line := range strings.Split(string(data), "\n") {
			req, ok := strings.CutPrefix(line, "// Requires: ")
			if !ok {
				continue
			}
			seen++
			for _, name := range strings.Split(req, ", ") {
				id := cpuid.ParseFeature(name)
				if id == cpuid.UNKNOWN || !slices.Contains(avx2Features, id) {
					t.Errorf("%s requires %s, which the dispatch does not check", f, name)
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
	if len(accelerated()) == 0 {
		b.Skip("this CPU lacks AVX2 or FMA3")
	}
	const n = 1 << 20
	x := benchData(n)
	x32 := gen.Float32s(x)
	for _, k := range []int{2, 3, 4} {
		c := benchMixture(k)
		plain64, _ := estepFuncs[float64](k)
		general64, _ := estepFuncs[float64](0)
		plain32, _ := estepFuncs[float32](k)
		general32, _ := estepFuncs[float32](0)
		f64, f32 := frame[float64](c), frame[float32](c)
		for _, v := range []struct {
			name string
			run  func()
		}{
			{"unrolled/f64", func() { plain64(x, f64.coef, f64.acc, f64.scratch) }},
			{"general/f64", func() { general64(x, f64.coef, f64.acc, f64.scratch) }},
			{"unrolled/f32", func() { plain32(x32, f32.coef, f32.acc, f32.scratch) }},
			{"general/f32", func() { general32(x32, f32.coef, f32.acc, f32.scratch) }},
		} {
			b.Run(fmt.Sprintf("K=%d/%s", k, v.name), func(b *testing.B) {
				b.SetBytes(n)
				for b.Loop() {
					v.run()
				}
			})
		}
	}
}
