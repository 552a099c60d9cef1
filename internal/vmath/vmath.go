// Package vmath defines gmmsimd's exp and log: their constants, shared with the avo
// programs that emit the vector code, and Go versions (loops over slices, written out,
// and scalar calls of them) that perform the same operations in the same order. The
// float64 functions here and the AVX2 lanes give the same bits; the float32 ones agree
// to one ulp (Go has no float32 fused multiply-add). The polynomial coefficients and the
// split ln2 are derived in big floats by ../../gen/vmath at `go generate` time and written
// into coeffs.go as literals: nothing is computed at start-up. (The avo programs take
// them from ../../gen/vmath too, not from coeffs.go, so that go generate's order does
// not matter.)
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

// Exp64 returns e^x. Over 10^7 random arguments spread over the whole range and the
// edge cases, its largest error measured against math.Exp is 1 ulp (see the tests).
// Exp64(NaN) = NaN, Exp64(+Inf) = +Inf, Exp64(-Inf) = 0; arguments above 709.78 give
// +Inf and below -745.14 give 0.
func Exp64(x float64) float64 {
	v := [1]float64{x}
	exps64(v[:], v[:], math.Inf(-1))
	return v[0]
}

// ExpFlushed64 is Exp64 for finite x <= 0 as the E-step uses it: 0 below ExpFlush64
// (where e^x < 3.4e-308), the same bits as Exp64 elsewhere.
func ExpFlushed64(x float64) float64 {
	v := [1]float64{x}
	exps64(v[:], v[:], ExpFlush64)
	return v[0]
}

// Exp64s sets dst[i] = Exp64(x[i]) for i < len(x) <= len(dst); dst may be x.
func Exp64s(dst, x []float64) { exps64(dst, x, math.Inf(-1)) }

// ExpFlushed64s sets dst[i] = ExpFlushed64(x[i]) for i < len(x) <= len(dst); dst may be
// x.
func ExpFlushed64s(dst, x []float64) { exps64(dst, x, ExpFlush64) }

// exps64 is Exp64 over a slice, 0 below flush. A loop over independent arguments lets
// the CPU overlap their dependency chains (tens of cycles each); the whole computation is
// written out in it, so that no call stands between the fused multiply-adds: the terms of
// the polynomial from r^2 up in Estrin's form (pairs c_2j + c_2j+1 r, joined with r^2,
// then r^4, then r^8, the odd pair out passing up a level as it is), then two Horner
// steps. Where e^x is a normal number (x in [ExpFlush64, expOneStep]), 2^n is one
// exponent and both steps of the vector code's 2^n1 2^(n-n1) are exact: it is built in
// one. Other arguments (NaN, and the edges of the range) are rare, and their branches
// stay predicted; expEdge64 finishes them.
func exps64(dst, x []float64, flush float64) {
	dst = dst[:len(x)]
	c := (*[12]float64)(ExpCoeffs64)
	for i, v := range x {
		a, inside := v, v >= ExpFlush64 && v <= expOneStep
		if !inside {
			a = min(max(v, ExpLo64), ExpHi64) // NaN stays NaN: expEdge64 returns it
		}
		n := math.FMA(a, Log2E, Shifter64) - Shifter64
		r := math.FMA(-n, Ln2Hi64, a)
		r = math.FMA(-n, Ln2Lo64, r)
		r2 := r * r
		r4 := r2 * r2
		lo := math.FMA(math.FMA(c[5], r, c[4]), r2, math.FMA(c[3], r, c[2]))
		hi := math.FMA(math.FMA(c[9], r, c[8]), r2, math.FMA(c[7], r, c[6]))
		e := math.FMA(math.FMA(c[11], r, c[10]), r4*r4, math.FMA(hi, r4, lo))
		p := math.FMA(math.FMA(e, r, c[1]), r, c[0])
		if !inside {
			dst[i] = expEdge64(v, p, n, flush)
			continue
		}
		dst[i] = p * pow2(n)
	}
}

// expOneStep bounds the arguments whose n = round(x log2 e) is at most 1023, so that 2^n
// is a float64.
const expOneStep = 709.0

// expEdge64 returns e^x from the polynomial p and the n of x clamped to [ExpLo64,
// ExpHi64], for x outside [ExpFlush64, expOneStep]: NaN for NaN, 0 below flush, else p 2^n
// as the vector code builds it, 2^n1 2^(n-n1) with n1 = floor(n/2), so that results in the
// subnormal range and near overflow are right too.
func expEdge64(x, p, n, flush float64) float64 {
	switch {
	case x != x:
		return x
	case x < flush:
		return 0
	}
	n1 := math.Floor(n * 0.5)
	return p * pow2(n1) * pow2(n-n1)
}

// Log64 returns the natural logarithm of x. Its largest error measured against math.Log
// is 1 ulp (see the tests). Log64(0) = -Inf, Log64(+Inf) = +Inf, Log64 of a negative
// number is NaN64, Log64(NaN) = NaN.
func Log64(x float64) float64 {
	v := [1]float64{x}
	Log64s(v[:], v[:])
	return v[0]
}

// Log64s sets dst[i] = Log64(x[i]) for i < len(x) <= len(dst); dst may be x. Like exps64,
// a loop over independent arguments with the computation written out in it: x = 2^e m,
// subnormal x scaled up by 2^52 first; m > sqrt(2) halved (one off its exponent: exact)
// and e one more, without a branch that mantissas spread at random would mispredict; then
// the series in s = f/(2+f), f = m - 1, and e ln2 added in two parts.
func Log64s(dst, x []float64) {
	dst = dst[:len(x)]
	for i, v := range x {
		adj := 0.0
		if !(v >= LogTiny64 && v <= math.MaxFloat64) {
			if !(v > 0 && v < LogTiny64) {
				dst[i] = logSpecial64(v)
				continue
			}
			v *= 0x1p52
			adj = -52
		}
		bits := math.Float64bits(v)
		e := math.Float64frombits(bits>>52|math.Float64bits(0x1p52)) - LogExpMagic64 + adj
		mant := bits&(1<<52-1) | math.Float64bits(1) // m in [1, 2)
		over := (math.Float64bits(Sqrt2) - mant) >> 63
		m := math.Float64frombits(mant - over<<52)
		e += float64(over)
		f := m - 1
		s := f / (2 + f)
		z := s * s
		rz := float64(logSeries64(z) * z) // rounded: f - rz must not fuse into one operation
		lp := math.FMA(-s, f-rz, f)
		dst[i] = math.FMA(e, Ln2Hi64, math.FMA(e, Ln2Lo64, lp))
	}
}

// logSpecial64 is Log64 of NaN, negative numbers, zero and +Inf.
func logSpecial64(x float64) float64 {
	switch {
	case x != x:
		return x
	case x < 0:
		return NaN64
	case x == 0:
		return math.Inf(-1)
	}
	return x // +Inf
}

// logSeries64 is sum_j LogCoeffs64[j] z^j in Horner's form, written out.
func logSeries64(z float64) float64 {
	a := (*[11]float64)(LogCoeffs64)
	s := math.FMA(math.FMA(math.FMA(math.FMA(math.FMA(a[10], z, a[9]), z, a[8]), z, a[7]), z, a[6]), z, a[5])
	return math.FMA(math.FMA(math.FMA(math.FMA(math.FMA(s, z, a[4]), z, a[3]), z, a[2]), z, a[1]), z, a[0])
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
	p := expPoly32(r)
	n1 := float32(math.Floor(float64(n * 0.5)))
	p *= pow2f(n1)
	return p * pow2f(n-n1)
}

// expPoly32 is expPoly64's float32 counterpart: c_2..c_6 in Estrin's form (c_6 joined
// with r^4), then two Horner steps.
func expPoly32(r float32) float32 {
	c := (*[7]float32)(ExpCoeffs32)
	r2 := r * r
	e := fma32(c[6], r2*r2, fma32(fma32(c[5], r, c[4]), r2, fma32(c[3], r, c[2])))
	return fma32(fma32(e, r, c[1]), r, c[0])
}

// Log32 returns the natural logarithm of x in float32. Its largest error measured against
// math.Log rounded to float32 is 1 ulp (see the tests).
func Log32(x float32) float32 {
	if !(x >= LogTiny32 && x <= math.MaxFloat32) {
		return logSpecial32(x)
	}
	bits := math.Float32bits(x)
	e := math.Float32frombits(bits>>23|math.Float32bits(0x1p23)) - LogExpMagic32
	return logMantissa32(math.Float32frombits(bits&(1<<23-1)|math.Float32bits(1)), e)
}

// logSpecial32 is logSpecial64's float32 counterpart.
func logSpecial32(x float32) float32 {
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
	bits := math.Float32bits(x * 0x1p23)
	e := math.Float32frombits(bits>>23|math.Float32bits(0x1p23)) - LogExpMagic32
	return logMantissa32(math.Float32frombits(bits&(1<<23-1)|math.Float32bits(1)), e-23)
}

// logMantissa32 is logMantissa64's float32 counterpart.
func logMantissa32(m, e float32) float32 {
	bits := math.Float32bits(m)
	over := (math.Float32bits(Sqrt2f) - bits) >> 31
	m = math.Float32frombits(bits - over<<23)
	e += float32(over)
	f := m - 1
	s := f / (2 + f)
	z := s * s
	a := (*[5]float32)(LogCoeffs32)
	rz := float32(fma32(fma32(fma32(fma32(a[4], z, a[3]), z, a[2]), z, a[1]), z, a[0]) * z) // rounded, as in Log64
	lp := fma32(-s, f-rz, f)
	return fma32(e, Ln2Hi32, fma32(e, Ln2Lo32, lp))
}
