package eightbit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// guard is how many elements around dst must stay untouched.
const guard = 16

// Unit gives the Go loop's bits for every level, both precisions, in = 1 and 4 (every
// channel's offset), lengths 0 to 300 and large, unaligned starts, and writes nothing
// outside dst.
func TestUnitIsTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 8))
	sizes := []int{1000, 4096, 4099, 65536 + 13}
	for n := range 301 {
		sizes = append(sizes, n)
	}
	for _, in := range []int{1, 4} {
		for _, n := range sizes {
			off := n % 7
			buf := make([]uint8, off+n*in+in)
			for i := range buf {
				buf[i] = uint8(rng.Uint32())
			}
			for c := range in {
				src := buf[off+c:]
				if n > 0 {
					src = src[:(n-1)*in+1] // no more than Unit may read
				}
				for _, u := range available() {
					checkUnit(t, u.name, u.f64, src, n, in, off)
					checkUnit(t, u.name, u.f32, src, n, in, off)
				}
			}
		}
	}
}

// checkUnit compares the implementation f (named name) on n values of src with the Go
// loop's.
func checkUnit[T float32 | float64](t *testing.T, name string, f func([]T, []uint8, int), src []uint8, n, in, off int) {
	t.Helper()
	buf := make([]T, guard+off+n+guard)
	sentinel := T(math.Inf(-1))
	for i := range buf {
		buf[i] = sentinel
	}
	got := buf[guard+off : guard+off+n]
	want := make([]T, n)
	f(got, src, in)
	generic(want, src, in)
	for i := range want {
		if math.Float64bits(float64(got[i])) != math.Float64bits(float64(want[i])) {
			t.Fatalf("%s %T n=%d in=%d: value %d (level %d) %v, want %v", name, got, n, in, i, src[i*in], got[i], want[i])
		}
	}
	for i, v := range buf {
		if (i < guard+off || i >= guard+off+n) && v != sentinel {
			t.Fatalf("%s %T n=%d in=%d: element %d outside dst written", name, got, n, in, i)
		}
	}
}

// Every level, in every lane of a register and every register of a turn, is level/255
// correctly rounded: the Go loop's division, in both precisions.
func TestEveryLevel(t *testing.T) {
	for _, in := range []int{1, 4} {
		for shift := range 64 { // each level in every position of a turn
			src := make([]uint8, (256+shift)*in)
			for i := range 256 + shift {
				src[i*in] = uint8(i - shift)
			}
			for _, u := range available() {
				got64 := make([]float64, 256+shift)
				got32 := make([]float32, 256+shift)
				u.f64(got64, src, in)
				u.f32(got32, src, in)
				for i, v := range got64 {
					level := float64(uint8(i - shift))
					if v != level/255 || got32[i] != float32(level/255) {
						t.Fatalf("%s in=%d: level %v gives %v and %v", u.name, in, level, v, got32[i])
					}
				}
			}
		}
	}
}

func FuzzUnit(f *testing.F) {
	f.Add([]byte{0, 1, 2, 254, 255, 128, 127, 3, 9, 200}, uint8(1), uint8(0))
	f.Add(make([]byte, 300), uint8(4), uint8(2))
	f.Fuzz(func(t *testing.T, src []byte, in, off uint8) {
		step := 1 + 3*int(in%2) // 1 or 4
		n := len(src)/step + min(len(src)%step, 1)
		o := int(off % 8)
		if n == 0 {
			return
		}
		for _, u := range available() {
			checkUnit(t, u.name, u.f64, src[:(n-1)*step+1], n, step, o)
			checkUnit(t, u.name, u.f32, src[:(n-1)*step+1], n, step, o)
		}
	})
}
