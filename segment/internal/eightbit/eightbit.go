// Package eightbit turns 8-bit levels into samples in [0, 1]: level/255, the reading of an
// image's pixels that every pass of a colour fit makes, a channel of a row at a time. It
// picks its own implementation once, the fastest this CPU runs; level/255 is correctly
// rounded in each, so every implementation gives the same bits.
package eightbit

// Unit sets dst[i] to the level src[i*in] over 255, rounded to T, for every i < len(dst):
// in = 1 reads a plane of bytes, in = 4 one channel of RGBA pixels (src starting at the
// channel's byte). src must hold (len(dst)-1)*in + 1 bytes.
func Unit[T float32 | float64](dst []T, src []uint8, in int) {
	switch d := any(dst).(type) {
	case []float64:
		impl.f64(d, src, in)
	case []float32:
		impl.f32(d, src, in)
	}
}

// impl is the implementation Unit runs: the best this CPU has.
var impl = available()[0]

// unit is one implementation of Unit, named for the tests' messages.
type unit struct {
	name string
	f64  func(dst []float64, src []uint8, in int)
	f32  func(dst []float32, src []uint8, in int)
}

// generic is the pure-Go Unit, and the twin that the others are tested against.
func generic[T float32 | float64](dst []T, src []uint8, in int) {
	if len(dst) == 0 {
		return
	}
	src = src[:(len(dst)-1)*in+1]
	for i := range dst {
		dst[i] = T(float64(src[i*in]) / 255)
	}
}

// genericUnit is the Go implementation.
var genericUnit = unit{name: "generic", f64: generic[float64], f32: generic[float32]}
