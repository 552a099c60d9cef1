package vmath

import (
	"math"
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
