package minimum

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// guard is how many elements around dst must stay untouched.
const guard = 16

func TestIntoIsTheGoLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	edges := []uint16{0, 1, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff}
	value := func() uint16 {
		if rng.IntN(4) == 0 {
			return edges[rng.IntN(len(edges))]
		}
		return uint16(rng.Uint32())
	}
	sizes := []int{1000, 4096, 4097, 65536 + 7}
	for n := range 301 {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		off := n % 7 // unaligned starts
		src := make([]uint16, off+n)[off:]
		buf := make([]uint16, n+2*guard+off)
		for i := range buf {
			buf[i] = 0xbeef
		}
		got := buf[guard+off : guard+off+n]
		for i := range src {
			src[i], got[i] = value(), value()
		}
		want := slices.Clone(got)
		Into(got, src)
		generic(want, src)
		if !slices.Equal(got, want) {
			t.Fatalf("%s n=%d: %v, want %v", Name(), n, got, want)
		}
		for i, v := range slices.Concat(buf[:guard+off], buf[guard+off+n:]) {
			if v != 0xbeef {
				t.Fatalf("%s n=%d: guard element %d written", Name(), n, i)
			}
		}
		if n > 0 { // src longer than dst: only len(dst) elements count
			tail := slices.Clone(got[:n-1])
			Into(tail, src)
			if !slices.Equal(tail, got[:n-1]) {
				t.Fatalf("%s n=%d: a shorter dst changed", Name(), n)
			}
		}
	}
	dst := []uint16{5, 0, 0xffff, 7}
	generic(dst, []uint16{3, 9, 0x8000, 7, 1})
	if !slices.Equal(dst, []uint16{3, 0, 0x8000, 7}) {
		t.Errorf("the Go loop: %v", dst)
	}
}

func FuzzInto(f *testing.F) {
	f.Add([]byte{0, 0, 255, 255, 0, 128, 255, 127, 1, 0, 0, 1}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		v := make([]uint16, len(data)/2)
		for i := range v {
			v[i] = binary.LittleEndian.Uint16(data[2*i:])
		}
		// dst is the first part, src the rest (at least as long); an odd split starts dst
		// off any alignment.
		h := min(int(split), len(v)/2)
		dst, src := v[:h], v[h:]
		want, got := slices.Clone(dst), slices.Clone(dst)
		generic(want, src)
		Into(got, src)
		if !slices.Equal(got, want) {
			t.Fatalf("%s Into(%v, %v) = %v, twin %v", Name(), dst, src, got, want)
		}
	})
}

// BenchmarkInto is one row of a 4096-pixel-wide image against its neighbour, as the
// clean-up's erosion does it, in the L1 cache.
func BenchmarkInto(b *testing.B) {
	const n = 4096
	rng := rand.New(rand.NewPCG(8, 8))
	dst, src := make([]uint16, n), make([]uint16, n)
	for i := range src {
		dst[i], src[i] = uint16(rng.Uint32()), uint16(rng.Uint32())
	}
	for _, f := range []struct {
		name string
		f    func(dst, src []uint16)
	}{{"generic", generic}, {Name(), Into}} {
		b.Run("impl="+f.name+"/N=4K", func(b *testing.B) {
			b.SetBytes(2 * n)
			for b.Loop() {
				f.f(dst, src)
			}
		})
	}
}
