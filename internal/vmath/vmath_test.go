package vmath

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The accuracy of the functions is measured against exact references in ../../gen/vmath,
// which can afford big floats; here, the exponent arithmetic they share with the vector
// code.
func TestPow2(t *testing.T) {
	for n := -1022.0; n <= 1023; n++ {
		if pow2(n) != math.Ldexp(1, int(n)) {
			t.Fatalf("pow2(%v) = %v", n, pow2(n))
		}
	}
	for n := float32(-126); n <= 127; n++ {
		if pow2f(n) != float32(math.Ldexp(1, int(n))) {
			t.Fatalf("pow2f(%v) = %v", n, pow2f(n))
		}
	}
}

// Where exps64 builds 2^n in one step, for every n that the arguments in [ExpFlush64,
// expOneStep] round to (and one more each side), and polynomial values across e^r's
// range, p 2^n is the vector code's (p 2^n1) 2^(n-n1), bit for bit.
func TestOneStepScaleIsTwoSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lo, hi := math.Round(ExpFlush64*Log2E)-1, math.Round(expOneStep*Log2E)
	if hi > 1023 {
		t.Fatalf("expOneStep %v rounds to n = %v: 2^n is not a float64", expOneStep, hi)
	}
	for n := lo; n <= hi; n++ {
		n1 := math.Floor(n * 0.5)
		for i := range 2000 {
			p := math.Exp(-ExpReduced) + (math.Exp(ExpReduced)-math.Exp(-ExpReduced))*rng.Float64()
			if i < 2 { // the ends
				p = math.Exp(ExpReduced * float64(2*i-1))
			}
			if one, two := p*pow2(n), p*pow2(n1)*pow2(n-n1); math.Float64bits(one) != math.Float64bits(two) {
				t.Fatalf("p = %v, n = %v: one step %v, two steps %v", p, n, one, two)
			}
		}
	}
}

// The polynomials, written out, are the schemes the vector code follows, evaluated here
// by loops over the coefficients: Estrin's for exp's terms from r^2 up, then two Horner
// steps; Horner's for log's series. Bit for bit: exp over its whole range and its special
// values (the reduction written once more here, as the vector code performs it), the
// float32 polynomial and log's series over their reduced ranges.
func TestPolynomialsFollowTheirSchemes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), 1, -1, ExpFlush64, math.Nextafter(ExpFlush64, -1), -745.2, -746, 709.7, 709.8, 1000, -1000, math.Inf(1), math.Inf(-1), math.NaN(),
		expOneStep, math.Nextafter(expOneStep, 710), math.Nextafter(expOneStep, 0), math.Nextafter(ExpFlush64, 0)}
	for i := range 200000 {
		x := (2*rng.Float64() - 1) * 750
		if i < len(special) {
			x = special[i]
		}
		want := refExp64(x)
		if got := Exp64(x); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("Exp64(%v) = %v, scheme %v", x, got, want)
		}
		if x < ExpFlush64 {
			want = 0
		}
		if got := ExpFlushed64(x); math.Float64bits(got) != math.Float64bits(want) && x <= 0 {
			t.Fatalf("ExpFlushed64(%v) = %v, scheme %v", x, got, want)
		}
		r := (2*rng.Float64() - 1) * ExpReduced
		r32, c32 := float32(r), ExpCoeffs32
		want32 := fma32(fma32(estrin(c32[2:], r32, fma32), r32, c32[1]), r32, c32[0])
		if got := expPoly32(r32); math.Float32bits(got) != math.Float32bits(want32) {
			t.Fatalf("expPoly32(%v) = %v, scheme %v", r32, got, want32)
		}
		// z = s^2 with |s| <= (sqrt2-1)/(sqrt2+1) < 0.1716.
		z := rng.Float64() * 0.1716 * 0.1716
		wantLog := LogCoeffs64[len(LogCoeffs64)-1]
		for j := len(LogCoeffs64) - 2; j >= 0; j-- {
			wantLog = math.FMA(wantLog, z, LogCoeffs64[j])
		}
		if got := logSeries64(z); math.Float64bits(got) != math.Float64bits(wantLog) {
			t.Fatalf("logSeries64(%v) = %v, scheme %v", z, got, wantLog)
		}
	}
}

// refExp64 is Exp64 as the vector code computes it, step by step, with the polynomial
// evaluated by estrin.
func refExp64(x float64) float64 {
	if x != x {
		return x
	}
	x = math.Min(math.Max(x, ExpLo64), ExpHi64)
	n := math.FMA(x, Log2E, Shifter64) - Shifter64
	r := math.FMA(-n, Ln2Hi64, x)
	r = math.FMA(-n, Ln2Lo64, r)
	c := ExpCoeffs64
	p := math.FMA(math.FMA(estrin(c[2:], r, math.FMA), r, c[1]), r, c[0])
	n1 := math.Floor(n * 0.5)
	p *= pow2(n1)
	return p * pow2(n-n1)
}

// estrin evaluates sum_k c[k] x^k in Estrin's scheme as a loop: terms paired as
// c[2j] + c[2j+1] x, then pairs of those joined with x^2, then x^4, and so on, each join
// one fused multiply-add; an odd one out at a level passes up as it is.
func estrin[T float32 | float64](c []T, x T, fma func(a, b, c T) T) T {
	level := slices.Clone(c)
	pow := x
	for len(level) > 1 {
		var next []T
		for j := 0; j < len(level); j += 2 {
			v := level[j]
			if j+1 < len(level) {
				v = fma(level[j+1], pow, level[j])
			}
			next = append(next, v)
		}
		level = next
		if len(level) > 1 {
			pow *= pow
		}
	}
	return level[0]
}
