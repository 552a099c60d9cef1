package segment

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// openClose, band by band, gives what Opening then Closing give over the whole plane: at
// every radius, for images of one band and of many (their edges between bands
// included), of few levels and of many.
func TestOpenCloseInBandsIsOpeningThenClosing(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 2))
	for _, size := range [][2]int{{1, 1}, {7, 3}, {40, filterRows}, {33, filterRows + 1}, {61, 5*filterRows + 17}, {300, 700}} {
		for _, r := range []int{1, 2, 3} {
			for _, levels := range []int{2, 5, 300} {
				w, h := size[0], size[1]
				p := &Plane{Width: w, Height: h, Max: 65535, Levels: make([]uint16, w*h)}
				for i := range p.Levels {
					p.Levels[i] = uint16(rng.IntN(levels))
				}
				want := &Plane{Width: w, Height: h, Max: p.Max, Levels: slices.Clone(p.Levels)}
				if err := Opening(t.Context(), want, r); err != nil {
					t.Fatal(err)
				}
				if err := Closing(t.Context(), want, r); err != nil {
					t.Fatal(err)
				}
				if err := openClose(t.Context(), p, r, nil, nil); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(p.Levels, want.Levels) {
					t.Fatalf("%dx%d, r=%d, %d levels: openClose differs from Opening then Closing", w, h, r, levels)
				}
			}
		}
	}
}

// With maps, openClose gives out[open-close(in[v])] of each level v, as mapping the whole
// plane in, filtering it and mapping it out do; a level beyond the map in is an error.
func TestOpenCloseMapsInAndOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 3))
	w, h := 57, 3*filterRows+5
	p := &Plane{Width: w, Height: h, Max: 255, Levels: make([]uint16, w*h)}
	for i := range p.Levels {
		p.Levels[i] = uint16(rng.IntN(256))
	}
	in, out := make([]uint16, 256), []uint16{40, 41, 90, 200}
	for l := range in {
		in[l] = uint16(l * 4 / 256) // ranks 0..3, never decreasing
	}
	want := &Plane{Width: w, Height: h, Max: p.Max, Levels: slices.Clone(p.Levels)}
	remap(want.Levels, in)
	if err := Opening(t.Context(), want, 2); err != nil {
		t.Fatal(err)
	}
	if err := Closing(t.Context(), want, 2); err != nil {
		t.Fatal(err)
	}
	remap(want.Levels, out)
	if err := openClose(t.Context(), p, 2, in, out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Levels, want.Levels) {
		t.Fatal("mapped in and out band by band, the levels differ from mapping the whole plane")
	}
	p.Levels[len(p.Levels)/2] = 256
	if err := openClose(t.Context(), p, 2, in, out); err != errUnmapped {
		t.Fatalf("a level beyond the map: %v, want errUnmapped", err)
	}
}
