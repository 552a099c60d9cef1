package vmath

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	rt "github.com/gmmsimd/gmmsimd/internal/vmath"
)

// exactLog is log(x) correctly rounded to float64 for finite positive x: two Newton steps
// y += x e^-y - 1 from an estimate good to a few ulp square the error twice.
func exactLog(x float64) float64 {
	m, e := math.Frexp(x)
	y := new(big.Float).SetPrec(prec).SetFloat64(math.Log(m) + float64(e)*math.Ln2)
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	for range 3 {
		t := bigExp(new(big.Float).SetPrec(prec).Neg(y))
		t.Mul(t, bx)
		t.Sub(t, one)
		y.Add(y, t)
	}
	f, _ := y.Float64()
	return f
}

// err64 is the distance in ulp of got from the true value, judged against the library's
// want first and, where they differ by more than 1 ulp, against the exact value: Go's
// math.Exp and math.Log on amd64 are themselves wrong near overflow and for subnormals.
func err64(got, want float64, exact func() float64) uint64 {
	d := ulps64(got, want)
	if d > 1 {
		d = ulps64(got, exact())
	}
	return d
}

// ulps64 is the distance between a and b in units in the last place (0 for equal values,
// including two NaNs and two infinities of the same sign).
func ulps64(a, b float64) uint64 {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.MaxUint64
	}
	ord := func(x float64) int64 {
		i := int64(math.Float64bits(x))
		if i < 0 {
			i = math.MinInt64 - i
		}
		return i
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}

func ulps32(a, b float32) uint64 {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return math.MaxUint64
	}
	ord := func(x float32) int64 {
		i := int64(int32(math.Float32bits(x)))
		if i < 0 {
			i = math.MinInt32 - i
		}
		return i
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}

// samples is how many random arguments each accuracy test draws.
const samples = 10_000_000

// expArgs64 yields the edge cases, then arguments spread over the whole range: uniform
// over [-746, 710], and log-uniform magnitudes down to the subnormals.
func expArgs64(yield func(float64) bool) {
	edges := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1e-310, 1, -1, 0.5, -0.5,
		math.Ln2 / 2, -math.Ln2 / 2, 709.78, 709.782712893384, 709.7827128933841, 710, 1e300,
		-708.39, -708.3964185322641, -745.1, -745.1332191019411, -745.1332191019412, -746, -1e300,
		math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN()}
	for _, x := range edges {
		if !yield(x) {
			return
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range samples {
		var x float64
		if i%2 == 0 {
			x = -746 + 1456*rng.Float64()
		} else {
			x = math.Copysign(math.Exp2(-1074*rng.Float64()), rng.Float64()-0.5)
		}
		if !yield(x) {
			return
		}
	}
}

func TestExp64Accuracy(t *testing.T) {
	var worst uint64
	var at float64
	for x := range expArgs64 {
		if d := err64(rt.Exp64(x), math.Exp(x), func() float64 { return ExactExp(x) }); d > worst {
			worst, at = d, x
		}
	}
	t.Logf("Exp64: largest error %d ulp (at %v)", worst, at)
	if worst > 1 {
		t.Fatalf("rt.Exp64(%v) = %v, exact %v: %d ulp apart", at, rt.Exp64(at), ExactExp(at), worst)
	}
}

func TestExp32Accuracy(t *testing.T) {
	var worst uint64
	var at float32
	check := func(x float32) {
		if d := ulps32(rt.Exp32(x), float32(math.Exp(float64(x)))); d > worst {
			worst, at = d, x
		}
	}
	for _, x := range []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1, -1, 88.72, 88.7228, 89, -87.33, -103.97, -103.98, -104, -1e30, 1e30,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		check(x)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range samples {
		if i%2 == 0 {
			check(float32(-104 + 193*rng.Float64()))
		} else {
			check(float32(math.Copysign(math.Exp2(-149*rng.Float64()), rng.Float64()-0.5)))
		}
	}
	t.Logf("Exp32: largest error %d ulp (at %v)", worst, at)
	if worst > 1 {
		t.Fatalf("rt.Exp32(%v) = %v, want %v: %d ulp apart", at, rt.Exp32(at), float32(math.Exp(float64(at))), worst)
	}
}

func TestLog64Accuracy(t *testing.T) {
	var worst uint64
	var at float64
	check := func(x float64) {
		if d := err64(rt.Log64(x), math.Log(x), func() float64 { return exactLog(x) }); d > worst {
			worst, at = d, x
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 5e-324, 1e-310, 0x1p-1022, 1, math.Nextafter(1, 2), math.Nextafter(1, 0),
		math.Sqrt2, math.Nextafter(math.Sqrt2, 2), 2, 3, 0.5, math.E, math.MaxFloat64, math.Inf(1), -1, math.Inf(-1), math.NaN()} {
		check(x)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range samples {
		switch i % 3 {
		case 0: // any positive double, subnormals included
			check(math.Float64frombits(rng.Uint64() &^ (1 << 63) % 0x7ff0000000000000))
		case 1: // near 1, where log is small and cancellation bites
			check(1 + (rng.Float64()-0.5)*0x1p-10)
		default: // the E-step's argument, a sum of K exps in [1, K]
			check(1 + 63*rng.Float64())
		}
	}
	t.Logf("Log64: largest error %d ulp (at %v)", worst, at)
	if worst > 1 {
		t.Fatalf("rt.Log64(%v) = %v, exact %v: %d ulp apart", at, rt.Log64(at), exactLog(at), worst)
	}
	if !math.IsNaN(rt.Log64(-1)) || !math.IsInf(rt.Log64(0), -1) || !math.IsInf(rt.Log64(math.Inf(1)), 1) {
		t.Fatal("special values")
	}
}

func TestLog32Accuracy(t *testing.T) {
	var worst uint64
	var at float32
	check := func(x float32) {
		if d := ulps32(rt.Log32(x), float32(math.Log(float64(x)))); d > worst {
			worst, at = d, x
		}
	}
	for _, x := range []float32{0, 1e-45, 0x1p-126, 1, 2, 3, 0.5, math.MaxFloat32, float32(math.Inf(1)), -1, float32(math.NaN())} {
		check(x)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range samples {
		switch i % 3 {
		case 0:
			check(math.Float32frombits(rng.Uint32() &^ (1 << 31) % 0x7f800000))
		case 1:
			check(float32(1 + (rng.Float64()-0.5)*0x1p-10))
		default:
			check(float32(1 + 63*rng.Float64()))
		}
	}
	t.Logf("Log32: largest error %d ulp (at %v)", worst, at)
	if worst > 1 {
		t.Fatalf("rt.Log32(%v) = %v, want %v: %d ulp apart", at, rt.Log32(at), float32(math.Log(float64(at))), worst)
	}
}

func TestExactReferences(t *testing.T) {
	for _, x := range []float64{-700, -1, -1e-10, 0, 1e-10, 0.5, 1, 2, 100, 709} {
		if d := ulps64(ExactExp(x), math.Exp(x)); d > 1 {
			t.Errorf("ExactExp(%v) = %v, math.Exp %v", x, ExactExp(x), math.Exp(x))
		}
	}
	for _, x := range []float64{1e-300, 0.1, 0.5, 1.5, 2, 10, 1e300} {
		if d := ulps64(exactLog(x), math.Log(x)); d > 1 {
			t.Errorf("exactLog(%v) = %v, math.Log %v", x, exactLog(x), math.Log(x))
		}
	}
	if got, want := exactLog(5e-324), -1074*math.Ln2; ulps64(got, want) > 1 {
		t.Errorf("exactLog(5e-324) = %v, want %v", got, want)
	}
}

// TestGeneratedConstantsAreDerived derives the constants again and holds the generated
// file to them: the file is what gencoeffs writes, and the values the package runs with
// are the derived ones.
func TestGeneratedConstantsAreDerived(t *testing.T) {
	d := Derive()
	want, err := d.Source("gen/vmath/gencoeffs")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", "internal", "vmath", "coeffs.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("internal/vmath/coeffs.go is not what gencoeffs writes: run go generate ./internal/vmath")
	}
	same := func(name string, got, want []float64) {
		if len(got) != len(want) {
			t.Fatalf("%s: %d coefficients, derived %d", name, len(got), len(want))
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Errorf("%s[%d] = %x, derived %x", name, i, got[i], want[i])
			}
		}
	}
	same("ln2 split", []float64{rt.Ln2Hi64, rt.Ln2Lo64, float64(rt.Ln2Hi32), float64(rt.Ln2Lo32)},
		[]float64{d.Ln2Hi64, d.Ln2Lo64, float64(d.Ln2Hi32), float64(d.Ln2Lo32)})
	same("ExpCoeffs64", rt.ExpCoeffs64, d.ExpCoeffs64)
	same("LogCoeffs64", rt.LogCoeffs64, d.LogCoeffs64)
	same("ExpCoeffs32", widen(rt.ExpCoeffs32), widen(d.ExpCoeffs32))
	same("LogCoeffs32", widen(rt.LogCoeffs32), widen(d.LogCoeffs32))
	same("ExpTable64", rt.ExpTable64, d.ExpTable64)
	same("ExpTailCoeffs64", rt.ExpTailCoeffs64, d.ExpTailCoeffs64)
	same("ExpTable32", widen(rt.ExpTable32), widen(d.ExpTable32))
	same("ExpTailCoeffs32", widen(rt.ExpTailCoeffs32), widen(d.ExpTailCoeffs32))
}

// TestExpTable checks the table-driven exp's constants: each entry is 2^(j/16) correctly
// rounded (as exp's own polynomial gives it, within an ulp, and its square the next
// entry's double within two), and g is near its Taylor series 1/2, 1/6, 1/24, ...
func TestExpTable(t *testing.T) {
	d := Derive()
	for j, v := range d.ExpTable64 {
		if e := ulps64(v, ExactExp(float64(j)*math.Ln2/16)); e > 1 {
			t.Errorf("ExpTable64[%d] = %v, %d ulp from e^(j ln2/16)", j, v, e)
		}
		if e := ulps32(d.ExpTable32[j], float32(v)); e > 1 {
			t.Errorf("ExpTable32[%d] = %v, %d ulp from %v", j, d.ExpTable32[j], e, v)
		}
		if j > 0 && j%2 == 0 {
			if e := ulps64(d.ExpTable64[j/2]*d.ExpTable64[j/2], v); e > 2 {
				t.Errorf("ExpTable64[%d]^2 is %d ulp from ExpTable64[%d]", j/2, e, j)
			}
		}
	}
	fact := 2.0
	for k, c := range d.ExpTailCoeffs64 {
		if k > 0 {
			fact *= float64(k + 2)
		}
		tol := 1e-2
		if k < 3 {
			tol = 1e-9
		}
		if math.Abs(c*fact-1) > tol {
			t.Errorf("g's coefficient %d = %v, far from 1/%v", k, c, fact)
		}
	}
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func TestConstants(t *testing.T) {
	d := Derive()
	if d.Ln2Hi64 != math.Ln2 || d.Ln2Lo64 == 0 || math.Abs(d.Ln2Lo64) > 1e-16 {
		t.Errorf("ln2 split %v + %v", d.Ln2Hi64, d.Ln2Lo64)
	}
	// The interpolating polynomial is near Taylor's series 1, 1, 1/2, 1/6, ...: closely
	// in the low terms, within a percent in the top ones, which absorb the truncated tail.
	for k, c := range d.ExpCoeffs64 {
		fact := 1.0
		for i := 2; i <= k; i++ {
			fact *= float64(i)
		}
		tol := 1e-2
		if k < 3 {
			tol = 1e-12
		}
		if math.Abs(c*fact-1) > tol {
			t.Errorf("exp coefficient %d = %v, far from 1/%d!", k, c, k)
		}
	}
	if d.ExpCoeffs64[0] != 1 {
		t.Errorf("exp coefficient 0 = %v, want 1", d.ExpCoeffs64[0])
	}
	if d.LogCoeffs64[0] != 2.0/3 || d.LogCoeffs64[1] != 0.4 {
		t.Errorf("log coefficients %v", d.LogCoeffs64[:2])
	}
}
