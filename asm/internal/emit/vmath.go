package emit

import (
	genvmath "github.com/gmmsimd/gmmsimd/gen/vmath"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// derived are the constants of exp and log that gen/vmath derives (the split ln2, the
// polynomials' coefficients, the table of 2^(j/16)), derived again when the program runs
// rather than read from internal/vmath's coeffs.go: go generate may run this program
// before it rewrites that file, and the assembly must not depend on the order. The
// constants written by hand come from internal/vmath.
var derived = genvmath.Derive()

// widen returns float32 constants as float64 values, exactly.
func widen(v []float32) []float64 {
	c := make([]float64, len(v))
	for i, x := range v {
		c[i] = float64(x)
	}
	return c
}

// expConsts are Exp's constants in p's precision.
func (p *Prec) expConsts() (lo, hi, flush, ln2hi, ln2lo, shifter, magic float64, coeffs []float64) {
	if p.Is64() {
		return vmath.ExpLo64, vmath.ExpHi64, vmath.ExpFlush64, derived.Ln2Hi64, derived.Ln2Lo64, vmath.Shifter64,
			vmath.ExpMagic64, derived.ExpCoeffs64
	}
	return float64(vmath.ExpLo32), float64(vmath.ExpHi32), float64(vmath.ExpFlush32), float64(derived.Ln2Hi32),
		float64(derived.Ln2Lo32), float64(vmath.Shifter32), float64(vmath.ExpMagic32), widen(derived.ExpCoeffs32)
}

// tableConsts are TableExp's constants in p's precision: ln2 in two parts, the shifter
// that rounds to an integer, and g's coefficients.
func (p *Prec) tableConsts() (ln2hi, ln2lo, shifter float64, c []float64) {
	if p.Is64() {
		return derived.Ln2Hi64, derived.Ln2Lo64, vmath.Shifter64, derived.ExpTailCoeffs64
	}
	return float64(derived.Ln2Hi32), float64(derived.Ln2Lo32), float64(vmath.Shifter32), widen(derived.ExpTailCoeffs32)
}

// flush is where exp's flushed domain starts returning 0.
func (p *Prec) flush() float64 {
	_, _, flush, _, _, _, _, _ := p.expConsts()
	return flush
}

// logConsts are Log's constants in p's precision.
func (p *Prec) logConsts() (tiny, scale, expMagic, sqrt2, ln2hi, ln2lo, nan float64, coeffs []float64) {
	if p.Is64() {
		return vmath.LogTiny64, 0x1p52, vmath.LogExpMagic64, vmath.Sqrt2, derived.Ln2Hi64, derived.Ln2Lo64, vmath.NaN64, derived.LogCoeffs64
	}
	return float64(vmath.LogTiny32), 0x1p23, float64(vmath.LogExpMagic32), float64(vmath.Sqrt2f),
		float64(derived.Ln2Hi32), float64(derived.Ln2Lo32), float64(vmath.NaN32), widen(derived.LogCoeffs32)
}
