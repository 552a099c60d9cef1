// Package vmath defines gmmsimd's exp and log: their constants, shared with the avo
// programs that emit the vector code, and scalar Go versions that perform the same
// operations in the same order. The float64 functions here and the AVX2 lanes give the
// same bits; the float32 ones agree to one ulp (Go has no float32 fused multiply-add).
// The polynomial coefficients and the split ln2 are derived in big floats by ../../gen/vmath
// at `go generate` time and written into coeffs.go as literals: nothing is computed at
// start-up.
//
// Exp: x = n ln2 + r with n = round(x log2 e) (rounded by adding a shifter within one
// fused multiply-add) and r reduced with a two-part ln2 through
// fused multiply-adds, so |r| <= ln2/2; exp(r) by the polynomial that interpolates it at
// the Chebyshev nodes (degree 11 for float64, 6 for float32): the terms from r^2 up in
// Estrin's form (pairs c_2j + c_2j+1 r, joined with r^2, r^4, r^8), whose dependency
// chain is a third of Horner's, then two Horner steps, (E r + c1) r + c0, so that the
// last roundings are those of the largest terms and the result stays within 1 ulp; 2^n built in the exponent bits as
// 2^n1 * 2^n2 with n1 = floor(n/2), so that results in the subnormal range and near
// overflow are right too.
//
// Log: x = 2^e m with m in [sqrt(1/2), sqrt(2)), subnormal x scaled up first; with
// f = m - 1 and s = f/(2+f), log(1+f) = 2 atanh(s) = f - s (f - R(s^2)) where
// R(z) = sum_j 2 z^j/(2j+1) (11 terms for float64, 5 for float32); then e ln2 is added
// through fused multiply-adds with the two-part ln2.
//
// Measured accuracy against math.Exp and math.Log is in the doc comments of Exp64, Exp32,
// Log64 and Log32 (the tests of ../../gen/vmath measure it against exact references).
package vmath

import (
	"math"
	"unsafe"
)

//go:generate go run ../../gen/vmath/gencoeffs -out coeffs.go

// Float64 constants.
var (
	// Log2E is log2(e), rounded.
	Log2E = math.Log2E
	// ExpLo64 and ExpHi64 bound the argument of Exp64: below, exp rounds to 0; above, it
	// overflows. Clamping keeps n and the exponent arithmetic in range.
	ExpLo64, ExpHi64 = -746.0, 710.0
	// Shifter64 is 1.5 * 2^52: in x log2 e + Shifter64, done as one fused multiply-add,
	// the rounding to an integer happens in the addition, and the low mantissa bits then
	// hold n = round(x log2 e).
	Shifter64 = 0x1.8p52
	// ExpMagic64 is 1.5 * 2^52 + 1023: adding an integer-valued n in [-1022, 1023] to it
	// leaves n + 1023, the biased exponent of 2^n, in the low mantissa bits.
	ExpMagic64 = 0x1.8p52 + 1023
	// Sqrt2 is the bound of the reduced mantissa: m > Sqrt2 is halved.
	Sqrt2 = math.Sqrt2
	// LogTiny64 is the smallest normal float64: Log64 scales smaller arguments by 2^52.
	LogTiny64 = 0x1p-1022
	// LogExpMagic64 is 2^52 + 1023: a biased exponent e ORed into the bits of 2^52 gives
	// 2^52 + e, and subtracting LogExpMagic64 then leaves e - 1023 exactly.
	LogExpMagic64 = 0x1p52 + 1023
)

// Float32 constants, the counterparts of the float64 ones.
var (
	ExpLo32, ExpHi32 = float32(-104), float32(89)
	Shifter32        = float32(0x1.8p23)
	ExpMagic32       = float32(0x1.8p23 + 127)
	Sqrt2f           = float32(math.Sqrt2)
	LogTiny32        = float32(0x1p-126)
	LogExpMagic32    = float32(0x1p23 + 127)
)

// ExpFlush64 and ExpFlush32 are where ExpFlushed64/32 start returning 0: above them, 2^n
// with n = round(x log2 e) times the polynomial is a normal number, so the vector code can
// build it by adding n to the exponent bits.
var (
	ExpFlush64 = -708.0
	ExpFlush32 = float32(-86.5)
)

// NaN64 and NaN32 are the quiet NaNs that Log returns for negative arguments.
var (
	NaN64 = math.Float64frombits(0x7ff8000000000000)
	NaN32 = math.Float32frombits(0x7fc00000)
)

// pow2 returns 2^n for an integer-valued n in [-1022, 1023], built as the vector code
// builds it: through the bits of ExpMagic64 + n.
func pow2(n float64) float64 {
	return math.Float64frombits(math.Float64bits(ExpMagic64+n) << 52)
}

func pow2f(n float32) float32 {
	return math.Float32frombits(math.Float32bits(ExpMagic32+n) << 23)
}

// fma is T's fused multiply-add a*b + c: math.FMA for float64 (called directly, so that
// the compiler uses the instruction), fma32 for float32.
func fma[T float32 | float64](a, b, c T) T {
	if unsafe.Sizeof(a) == 8 {
		return T(math.FMA(float64(a), float64(b), float64(c)))
	}
	return T(fma32(float32(a), float32(b), float32(c)))
}

// Estrin evaluates sum_k c[k] x^k (len(c) <= 32) in Estrin's scheme, the order the vector
// code uses: terms paired as c[2j] + c[2j+1] x, then pairs of those joined with x^2, then
// with x^4, and so on, each join one fused multiply-add; an odd one out at a level passes
// up as is.
func Estrin[T float32 | float64](c []T, x T) T {
	var buf [16]T
	n := 0
	for j := 0; j < len(c); j += 2 {
		buf[n] = c[j]
		if j+1 < len(c) {
			buf[n] = fma(c[j+1], x, c[j])
		}
		n++
	}
	pow := x * x
	for n > 1 {
		m := 0
		for j := 0; j < n; j += 2 {
			buf[m] = buf[j]
			if j+1 < n {
				buf[m] = fma(buf[j+1], pow, buf[j])
			}
			m++
		}
		n = m
		if n > 1 {
			pow *= pow
		}
	}
	return buf[0]
}

// Exp64 returns e^x. Over 10^7 random arguments spread over the whole range and the
// edge cases, its largest error measured against math.Exp is 1 ulp (see the tests).
// Exp64(NaN) = NaN, Exp64(+Inf) = +Inf, Exp64(-Inf) = 0; arguments above 709.78 give
// +Inf and below -745.14 give 0.
func Exp64(x float64) float64 {
	if x != x {
		return x
	}
	x = math.Min(math.Max(x, ExpLo64), ExpHi64)
	n := math.FMA(x, Log2E, Shifter64) - Shifter64
	r := math.FMA(-n, Ln2Hi64, x)
	r = math.FMA(-n, Ln2Lo64, r)
	c := ExpCoeffs64
	p := math.FMA(math.FMA(Estrin(c[2:], r), r, c[1]), r, c[0])
	n1 := math.Floor(n * 0.5)
	p *= pow2(n1)
	return p * pow2(n-n1)
}

// ExpFlushed64 is Exp64 for finite x <= 0 as the E-step uses it: 0 below ExpFlush64
// (where e^x < 3.4e-308), the same bits as Exp64 elsewhere.
func ExpFlushed64(x float64) float64 {
	if x < ExpFlush64 {
		return 0
	}
	return Exp64(x)
}

// Log64 returns the natural logarithm of x. Its largest error measured against math.Log
// is 1 ulp (see the tests). Log64(0) = -Inf, Log64(+Inf) = +Inf, Log64 of a negative
// number is NaN64, Log64(NaN) = NaN.
func Log64(x float64) float64 {
	switch {
	case x != x:
		return x
	case x < 0:
		return NaN64
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	}
	adj := 0.0
	if x < LogTiny64 {
		x *= 0x1p52
		adj = -52
	}
	bits := math.Float64bits(x)
	e := math.Float64frombits(bits>>52|math.Float64bits(0x1p52)) - LogExpMagic64
	e += adj
	m := math.Float64frombits(bits&(1<<52-1) | math.Float64bits(1))
	if m > Sqrt2 {
		m *= 0.5
		e++
	}
	f := m - 1
	s := f / (2 + f)
	z := s * s
	a := LogCoeffs64
	rz := a[len(a)-1]
	for j := len(a) - 2; j >= 0; j-- {
		rz = math.FMA(rz, z, a[j])
	}
	rz *= z
	lp := math.FMA(-s, f-rz, f)
	return math.FMA(e, Ln2Hi64, math.FMA(e, Ln2Lo64, lp))
}

// fma32 is a float32 fused multiply-add as far as Go can express it: the product of two
// float32s is exact in float64, so only the sum is rounded twice (to float64, then to
// float32), which differs from one rounding in rare halfway cases.
func fma32(a, b, c float32) float32 {
	return float32(float64(a)*float64(b) + float64(c))
}

// Exp32 returns e^x in float32. Its largest error measured against math.Exp rounded to
// float32 is 1 ulp (see the tests). Arguments above 88.72 give +Inf, below -103.97 give 0.
func Exp32(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, ExpLo32), ExpHi32)
	n := fma32(x, float32(Log2E), Shifter32) - Shifter32
	r := fma32(-n, Ln2Hi32, x)
	r = fma32(-n, Ln2Lo32, r)
	c := ExpCoeffs32
	p := fma32(fma32(Estrin(c[2:], r), r, c[1]), r, c[0])
	n1 := float32(math.Floor(float64(n * 0.5)))
	p *= pow2f(n1)
	return p * pow2f(n-n1)
}

// Log32 returns the natural logarithm of x in float32. Its largest error measured against
// math.Log rounded to float32 is 1 ulp (see the tests).
func Log32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x < 0:
		return NaN32
	case x == 0:
		return float32(math.Inf(-1))
	case math.IsInf(float64(x), 1):
		return x
	}
	adj := float32(0)
	if x < LogTiny32 {
		x *= 0x1p23
		adj = -23
	}
	bits := math.Float32bits(x)
	e := math.Float32frombits(bits>>23|math.Float32bits(0x1p23)) - LogExpMagic32
	e += adj
	m := math.Float32frombits(bits&(1<<23-1) | math.Float32bits(1))
	if m > Sqrt2f {
		m *= 0.5
		e++
	}
	f := m - 1
	s := f / (2 + f)
	z := s * s
	a := LogCoeffs32
	rz := a[len(a)-1]
	for j := len(a) - 2; j >= 0; j-- {
		rz = fma32(rz, z, a[j])
	}
	rz *= z
	lp := fma32(-s, f-rz, f)
	return fma32(e, Ln2Hi32, fma32(e, Ln2Lo32, lp))
}
