package gmm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkFinite gives the range of every length of finite values, in both precisions, and
// names the first value that is NaN or infinite wherever it lies, with others after it.
func TestCheckFiniteFindsTheFirstBadValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		x := make([]float64, n)
		for i := range x {
			x[i] = (rng.Float64() - 0.5) * math.Ldexp(1, rng.IntN(40)-20)
		}
		if n > 2 {
			x[rng.IntN(n)] = math.Copysign(0, -1)
		}
		checkRangeOf(t, x)
		checkRangeOf(t, f32s(x))
		for bad := range n {
			for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				y := append([]float64(nil), x...)
				y[bad] = v
				if bad+2 < n {
					y[bad+2] = math.NaN()
				}
				for _, got := range []error{errOf(checkFinite(y, 7)), errOf(checkFinite(f32s(y), 7))} {
					want := fmt.Sprintf("gmm: invalid data: sample %d is ", 7+bad)
					if got == nil || !strings.HasPrefix(got.Error(), want) {
						t.Fatalf("n=%d, %v at %d: %v, want %q...", n, v, bad, got, want)
					}
				}
			}
		}
	}
}

// checkRangeOf fails unless checkFinite gives x's least and greatest values.
func checkRangeOf[T float32 | float64](t *testing.T, x []T) {
	t.Helper()
	lo, hi, err := checkFinite(x, 0)
	wlo, whi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		wlo, whi = math.Min(wlo, float64(v)), math.Max(whi, float64(v))
	}
	if err != nil || lo != wlo || hi != whi {
		t.Fatalf("%d values: range [%v, %v] (%v), want [%v, %v]", len(x), lo, hi, err, wlo, whi)
	}
}

func f32s(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func errOf(_, _ float64, err error) error { return err }
