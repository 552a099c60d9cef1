//go:build amd64 && gc && !purego && !noasm

package eightbit

import "github.com/klauspost/cpuid/v2"

//go:generate go run -C ../../../asm ./unit8 -out ../segment/internal/eightbit/unit8_amd64.s -stubs ../segment/internal/eightbit/unit8_amd64.go -pkg eightbit

// available lists the implementations this CPU runs, best first: AVX-512's where it has
// AVX-512F, AVX2's where it has AVX2 and FMA3, and the Go loop.
func available() []unit {
	var out []unit
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		out = append(out, unit{"avx512", blocks(8, unitAVX512F64In1, unitAVX512F64In4), blocks(8, unitAVX512F32In1, unitAVX512F32In4)})
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		out = append(out, unit{"avx2", blocks(4, unitAVX2F64In1, unitAVX2F64In4), blocks(4, unitAVX2F32In1, unitAVX2F32In4)})
	}
	return append(out, genericUnit)
}

// unroll is how many registers of lanes the generated loops take a turn (asm/unit8's).
const unroll = 4

// blocks returns Unit on the generated functions of registers of lanes float64s (for in =
// 1 and 4): they take the whole turns whose loads stay within src, the Go loop the rest;
// level/255 is correctly rounded in both, so the path a value takes does not change it.
func blocks[T float32 | float64](lanes int, in1, in4 func(dst []T, src []uint8, n int)) func(dst []T, src []uint8, in int) {
	turn := lanes * unroll
	return func(dst []T, src []uint8, in int) {
		f := in1
		if in == 4 {
			f = in4
		} else if in != 1 {
			generic(dst, src, in)
			return
		}
		// A turn loads in*turn bytes: whole turns within dst and within src.
		n := min(len(dst), len(src)/in) &^ (turn - 1)
		if n > 0 {
			f(dst[:n], src, n)
		}
		generic(dst[n:], src[min(n*in, len(src)):], in)
	}
}
