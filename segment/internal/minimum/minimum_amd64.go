//go:build amd64 && gc && !purego && !noasm

package minimum

import "github.com/klauspost/cpuid/v2"

//go:generate go run -C ../../../asm ./minu16 -out ../segment/internal/minimum/minu16_amd64.s -stubs ../segment/internal/minimum/minu16_amd64.go -pkg minimum

// into and name are the implementation this CPU runs: AVX2's where it has AVX2.
var into, name = pick()

func pick() (func(dst, src []uint16), string) {
	if cpuid.CPU.Supports(cpuid.AVX2) {
		return minAVX2Blocks, "avx2"
	}
	return generic, "generic"
}

// block is how many elements minU16AVX2 takes at a time.
const block = 64

// minAVX2Blocks runs minU16AVX2 over the whole blocks of dst and the Go loop over the
// rest: a minimum is exact, so the path an element takes does not change it.
func minAVX2Blocks(dst, src []uint16) {
	src = src[:len(dst)]
	n := len(dst) &^ (block - 1)
	if n > 0 {
		minU16AVX2(dst[:n], src[:n])
	}
	generic(dst[n:], src[n:])
}
