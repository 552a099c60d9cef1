package segment

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// rawPNG is a PNG written by hand: its rows (unfiltered, each rowLen bytes) filtered
// with filters[y % len(filters)], so that every filter and every colour type and depth
// that image/png reads is covered, which its encoder does not all write.
type rawPNG struct {
	w, h, depth, ctype int
	interlaced         bool
	plte, trns         []byte
	rows               [][]byte
	filters            []byte
}

// bytes returns the file.
func (r rawPNG) bytes() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(r.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(r.h))
	ihdr[8], ihdr[9] = byte(r.depth), byte(r.ctype)
	if r.interlaced {
		ihdr[12] = 1
	}
	writeChunk(&b, "IHDR", ihdr)
	if r.plte != nil {
		writeChunk(&b, "PLTE", r.plte)
	}
	if r.trns != nil {
		writeChunk(&b, "tRNS", r.trns)
	}
	var data bytes.Buffer
	zw := zlib.NewWriter(&data)
	bpp := max(1, pngChannels[r.ctype]*r.depth/8)
	prev := make([]byte, len(r.rows[0]))
	for y, row := range r.rows {
		if len(prev) != len(row) { // a pass of an interlaced file starts: no row before
			prev = make([]byte, len(row))
		}
		f := r.filters[y%len(r.filters)]
		zw.Write([]byte{f})
		zw.Write(filtered(row, prev, f, bpp))
		prev = row
	}
	zw.Close()
	writeChunk(&b, "IDAT", data.Bytes())
	writeChunk(&b, "IEND", nil)
	return b.Bytes()
}

// filtered returns row filtered with f (the inverse of unfilter), prev the row before.
func filtered(row, prev []byte, f byte, bpp int) []byte {
	out := make([]byte, len(row))
	for i, v := range row {
		var a, b, c int
		if i >= bpp {
			a, c = int(row[i-bpp]), int(prev[i-bpp])
		}
		b = int(prev[i])
		switch f {
		case 0:
			out[i] = v
		case 1:
			out[i] = v - uint8(a)
		case 2:
			out[i] = v - uint8(b)
		case 3:
			out[i] = v - uint8((a+b)/2)
		case 4:
			out[i] = v - paeth(a, b, c)
		}
	}
	return out
}

// randomPNGs returns PNGs of every colour type and depth, random pixels, every filter.
func randomPNGs(rng *rand.Rand) map[string][]byte {
	out := map[string][]byte{}
	for _, c := range []struct{ ctype, depth int }{
		{0, 1}, {0, 2}, {0, 4}, {0, 8}, {0, 16}, {2, 8}, {2, 16}, {3, 1}, {3, 2}, {3, 4}, {3, 8},
		{4, 8}, {4, 16}, {6, 8}, {6, 16},
	} {
		for _, w := range []int{1, 7, 33} {
			r := rawPNG{w: w, h: 11, depth: c.depth, ctype: c.ctype, filters: []byte{0, 1, 2, 3, 4}}
			rowLen := (w*pngChannels[c.ctype]*c.depth + 7) / 8
			for range r.h {
				row := make([]byte, rowLen)
				for i := range row {
					row[i] = byte(rng.Uint32())
				}
				r.rows = append(r.rows, row)
			}
			if c.ctype == 3 {
				// A palette shorter than the indices may reach, some entries translucent.
				entries := max(1, (1<<c.depth)*3/4)
				for range entries {
					r.plte = append(r.plte, byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()))
				}
				r.trns = []byte{0, 128}
			}
			if c.ctype == 2 && w == 7 {
				r.trns = make([]byte, 6) // a transparent colour: image/png decodes to NRGBA
			}
			out[fmt.Sprintf("type %d, %d bits, %d wide", c.ctype, c.depth, w)] = r.bytes()
		}
	}
	out["interlaced"] = adam7Gray(rng, 13, 9)
	// What image/png's encoder writes, large enough for several bands.
	for name, img := range map[string]image.Image{
		"NRGBA64": randomImage(rng, image.NewNRGBA64(image.Rect(0, 0, 300, 700))),
		"Gray":    randomImage(rng, image.NewGray(image.Rect(0, 0, 70000, 3))),
		"Paletted": randomImage(rng, image.NewPaletted(image.Rect(0, 0, 90, 800),
			color.Palette{color.Black, color.White, color.RGBA{200, 10, 30, 255}})),
	} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			panic(err)
		}
		out["encoded "+name] = b.Bytes()
	}
	return out
}

// adam7Gray is an interlaced 8-bit gray PNG of random pixels: the pixels of each of
// Adam7's seven passes, unfiltered.
func adam7Gray(rng *rand.Rand, w, h int) []byte {
	r := rawPNG{w: w, h: h, depth: 8, ctype: 0, interlaced: true, filters: []byte{0}}
	for _, p := range [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
		for range max(0, ph) * min(1, max(0, pw)) {
			row := make([]byte, pw)
			for i := range row {
				row[i] = byte(rng.Uint32())
			}
			r.rows = append(r.rows, row)
		}
	}
	return r.bytes()
}

// randomImage fills img with random colours and returns it.
func randomImage(rng *rand.Rand, img image.Image) image.Image {
	b := img.Bounds()
	set := img.(interface{ Set(x, y int, c color.Color) })
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := rng.Uint64()
			set.Set(x, y, color.RGBA64{uint16(v), uint16(v >> 16), uint16(v >> 32), 0xffff})
		}
	}
	return img
}

// DecodePlane gives, for every PNG, channel and band size, what NewPlane of Decode's
// image gives, level for level; and the same errors for every file cut short.
func TestDecodePlaneIsNewPlaneOfDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, data := range randomPNGs(rng) {
		for _, ch := range []Channel{Luma, Red, Green, Blue} {
			checkPlaneOf(t, fmt.Sprintf("%s, %v", name, ch), data, ch)
		}
		for cut := 0; cut < len(data); cut += max(1, len(data)/97) {
			checkPlaneOf(t, fmt.Sprintf("%s cut to %d bytes", name, cut), data[:cut], Luma)
		}
		// A flipped byte in each chunk: a checksum, a filter, the zlib stream.
		for i := 8; i < len(data); i += max(7, len(data)/300) {
			spoilt := slices.Clone(data)
			spoilt[i] ^= 0x5a
			checkPlaneOf(t, fmt.Sprintf("%s, byte %d flipped", name, i), spoilt, Luma)
		}
	}
}

// checkPlaneOf fails unless DecodePlane of data gives NewPlane(Decode(data)), or fails
// where Decode fails.
func checkPlaneOf(t *testing.T, what string, data []byte, ch Channel) {
	t.Helper()
	got, _, err := Decoding{Channel: ch}.DecodePlane(bytes.NewReader(data))
	var want *Plane
	img, werr := Decode(bytes.NewReader(data), 0)
	if werr == nil {
		want, werr = NewPlane(img, ch)
	}
	switch {
	case (err == nil) != (werr == nil):
		t.Fatalf("%s: DecodePlane's error %v, Decode's %v", what, err, werr)
	case err != nil:
	case got.Width != want.Width || got.Height != want.Height || got.Max != want.Max || !slices.Equal(got.Levels, want.Levels):
		t.Fatalf("%s: DecodePlane gives %dx%d max %d, Decode %dx%d max %d, or other levels", what,
			got.Width, got.Height, got.Max, want.Width, want.Height, want.Max)
	}
}

// FuzzDecodePlane: any bytes give, through DecodePlane, the plane of Decode's image or,
// where Decode fails, an error, never a panic.
func FuzzDecodePlane(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for name, data := range randomPNGs(rng) {
		if len(data) < 4096 && !strings.HasPrefix(name, "encoded") {
			f.Add(data, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, ch uint8) {
		checkPlaneOf(t, "fuzzed", data, Channel(ch%4))
	})
}
