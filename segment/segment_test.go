package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/imagetest"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// rgbTestImage returns a w x h NRGBA image of random colours.
func rgbTestImage(seed uint64, w, h int) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

// wantChannel is the expected level of channel ch for 8-bit r, g, b.
func wantChannel(ch Channel, r, g, b uint8) uint16 {
	switch ch {
	case Red:
		return uint16(r)
	case Green:
		return uint16(g)
	case Blue:
		return uint16(b)
	}
	return uint16(math.Round(0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)))
}

func TestChannelsOfEveryPixelType(t *testing.T) {
	src := rgbTestImage(1, 7, 5)
	// The same pixels in each 8-bit layout the image package has.
	rgba := image.NewRGBA(src.Bounds())
	pal := image.NewPaletted(src.Bounds(), nil)
	for y := range 5 {
		for x := range 7 {
			c := src.NRGBAAt(x, y)
			c.A = 255
			src.SetNRGBA(x, y, c)
			rgba.SetRGBA(x, y, color.RGBA{c.R, c.G, c.B, 255})
			pal.Palette = append(pal.Palette, c)
			pal.SetColorIndex(x, y, uint8(len(pal.Palette)-1))
		}
	}
	for _, img := range []image.Image{src, rgba, pal} {
		for ch := Luma; ch <= Blue; ch++ {
			p, err := NewPlane(img, ch)
			if err != nil {
				t.Fatal(err)
			}
			if p.Max != 255 || p.Width != 7 || p.Height != 5 {
				t.Fatalf("%T: plane %dx%d max %d", img, p.Width, p.Height, p.Max)
			}
			for y := range 5 {
				for x := range 7 {
					c := src.NRGBAAt(x, y)
					got, want := p.Levels[y*7+x], wantChannel(ch, c.R, c.G, c.B)
					// Luma is OpenCV's 14-bit fixed point: it may round the other way from
					// the exact product at a half level.
					if got != want && (ch != Luma || math.Abs(float64(got)-float64(want)) > 1) {
						t.Fatalf("%T %v at (%d,%d) = %d, want %d", img, ch, x, y, got, want)
					}
				}
			}
		}
	}
}

func TestSixteenBitChannels(t *testing.T) {
	g16 := image.NewGray16(image.Rect(0, 0, 3, 1))
	n64 := image.NewNRGBA64(image.Rect(0, 0, 3, 1))
	for x, v := range []uint16{0, 1234, 65535} {
		g16.SetGray16(x, 0, color.Gray16{v})
		n64.SetNRGBA64(x, 0, color.NRGBA64{v, 65535 - v, v / 2, 65535})
	}
	p, _ := NewPlane(g16, Blue)
	if p.Max != 65535 || !slices.Equal(p.Levels, []uint16{0, 1234, 65535}) {
		t.Fatalf("Gray16: %+v", p)
	}
	p, _ = NewPlane(n64, Green)
	if p.Max != 65535 || !slices.Equal(p.Levels, []uint16{65535, 65535 - 1234, 0}) {
		t.Fatalf("NRGBA64 green: %+v", p)
	}
	x := Samples[float64](p)
	if x[0] != 1 || x[1] != float64(65535-1234)/65535 || x[2] != 0 {
		t.Fatalf("samples %v", x)
	}
}

// throughJPEG returns src encoded as JPEG and decoded again.
func throughJPEG(t testing.TB, src image.Image) *image.YCbCr {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	img, err := Decode(&buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	ycc, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("JPEG decoded to %T", img)
	}
	return ycc
}

// A JPEG's red is its red as libjpeg decodes it (TestFancyUpsamplingMatchesLibjpeg holds
// asRGB to that), and a CMYK image's its RGB.
func TestYCbCrAndCMYKAreReadAsRGB(t *testing.T) {
	ycc := throughJPEG(t, rgbTestImage(2, 16, 16))
	p, _ := NewPlane(ycc, Red)
	rgb := asRGB(ycc)
	for y := range 16 {
		for x := range 16 {
			r, _, _, _ := rgb.At(x, y).RGBA()
			if p.Levels[y*16+x] != uint16(r>>8) {
				t.Fatalf("(%d,%d): red %d, want %d", x, y, p.Levels[y*16+x], r>>8)
			}
		}
	}
	cmyk := image.NewCMYK(image.Rect(0, 0, 1, 1))
	cmyk.SetCMYK(0, 0, color.CMYK{0, 255, 255, 0}) // pure red
	p, _ = NewPlane(cmyk, Red)
	q, _ := NewPlane(cmyk, Green)
	if p.Max != 255 || p.Levels[0] != 255 || q.Levels[0] != 0 {
		t.Fatalf("CMYK red: red %d green %d (max %d)", p.Levels[0], q.Levels[0], p.Max)
	}
}

func TestLumaOfYCbCrIsItsYChannel(t *testing.T) {
	// Tall enough for several bands of rows; a sub-image starts inside the planes.
	ycc := throughJPEG(t, rgbTestImage(4, 64, 2500))
	for _, m := range []*image.YCbCr{ycc, ycc.SubImage(image.Rect(3, 5, 50, 2400)).(*image.YCbCr)} {
		p, err := NewPlane(m, Luma)
		if err != nil {
			t.Fatal(err)
		}
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				want := uint16(m.Y[m.YOffset(x, y)])
				if got := p.Levels[(y-b.Min.Y)*p.Width+x-b.Min.X]; got != want {
					t.Fatalf("%v: luma at (%d,%d) is %d, the Y channel holds %d", b, x, y, got, want)
				}
			}
		}
	}
}

func TestSubImagesAreReadFromTheirOrigin(t *testing.T) {
	src := rgbTestImage(3, 20, 10)
	sub := src.SubImage(image.Rect(5, 3, 12, 9))
	p, _ := NewPlane(sub, Blue)
	if p.Width != 7 || p.Height != 6 {
		t.Fatalf("%dx%d", p.Width, p.Height)
	}
	for y := range 6 {
		for x := range 7 {
			if got, want := p.Levels[y*7+x], uint16(src.NRGBAAt(5+x, 3+y).B); got != want {
				t.Fatalf("(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}

func TestParseChannel(t *testing.T) {
	for ch := Luma; ch <= Blue; ch++ {
		if got, err := ParseChannel(ch.String()); err != nil || got != ch {
			t.Errorf("ParseChannel(%q) = %v, %v", ch.String(), got, err)
		}
	}
	if _, err := ParseChannel("alpha"); err == nil {
		t.Error("ParseChannel(alpha): no error")
	}
	if _, err := NewPlane(image.NewGray(image.Rect(0, 0, 1, 1)), Channel(7)); err == nil {
		t.Error("NewPlane with channel 7: no error")
	}
}

func TestDecodeEveryFormat(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 9, 4))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	encoders := map[string]func(*bytes.Buffer) error{
		"png":  func(b *bytes.Buffer) error { return png.Encode(b, src) },
		"gif":  func(b *bytes.Buffer) error { return gif.Encode(b, grayPaletted(src), nil) },
		"bmp":  func(b *bytes.Buffer) error { return bmp.Encode(b, src) },
		"tiff": func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) },
	}
	for name, enc := range encoders {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			t.Fatal(err)
		}
		img, err := Decode(&buf, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, _ := NewPlane(img, Luma)
		if !slices.Equal(p.Levels, widen(src.Pix)) {
			t.Errorf("%s: levels %v, want %v", name, p.Levels, src.Pix)
		}
	}
	// WebP: a lossless crop of the example photo must decode to the photo's pixels.
	img, err := Open("testdata/camera-crop.webp", 0)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := Open("../cmd/gmmseg/camera.png", 0)
	if err != nil {
		t.Fatal(err)
	}
	crop := photo.(*image.Gray).SubImage(image.Rect(200, 100, 240, 130))
	a, _ := NewPlane(img, Luma)
	b, _ := NewPlane(crop, Luma)
	if a.Width != 40 || a.Height != 30 || !slices.Equal(a.Levels, b.Levels) {
		t.Errorf("WebP crop differs from the photo")
	}
}

// grayPaletted returns src as a paletted image with all 256 grays, so GIF keeps it exactly.
func grayPaletted(src *image.Gray) *image.Paletted {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	out := image.NewPaletted(src.Bounds(), pal)
	copy(out.Pix, src.Pix)
	return out
}

// widen returns 8-bit levels as uint16.
func widen(v []uint8) []uint16 {
	out := make([]uint16, len(v))
	for i, x := range v {
		out[i] = uint16(x)
	}
	return out
}

func TestDecodeErrors(t *testing.T) {
	var pngBuf, jpegBuf bytes.Buffer
	src := rgbTestImage(4, 64, 64)
	png.Encode(&pngBuf, src)
	jpeg.Encode(&jpegBuf, src, nil)
	cases := map[string][]byte{
		"text":           []byte("this is not an image, only some text that is long enough"),
		"empty":          {},
		"truncated png":  pngBuf.Bytes()[:pngBuf.Len()/2],
		"truncated jpeg": jpegBuf.Bytes()[:jpegBuf.Len()/2],
		"0x0 png":        zeroSizePNG(),
	}
	for name, data := range cases {
		img, err := Decode(bytes.NewReader(data), 0)
		if err == nil || img != nil {
			t.Errorf("%s: Decode = %v, %v", name, img, err)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", name, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.png"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// zeroSizePNG is a PNG whose header says 0x0 pixels.
func zeroSizePNG() []byte {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := buf.Bytes()
	// IHDR data starts at byte 16: width then height, 4 bytes each; the CRC covers the
	// chunk type and data (bytes 12..29) and sits at 29..33.
	copy(b[16:24], make([]byte, 8))
	crc := crc32.ChecksumIEEE(b[12:29])
	b[29], b[30], b[31], b[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return b
}

func TestMorphologyMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// 300x700 spans several bands of rows, so the filter runs on several goroutines.
	for _, size := range [][2]int{{1, 1}, {3, 2}, {5, 5}, {17, 9}, {40, 33}, {300, 700}} {
		for _, r := range []int{1, 2, 3} {
			w, h := size[0], size[1]
			p := &Plane{Width: w, Height: h, Max: 255, Levels: make([]uint16, w*h)}
			for i := range p.Levels {
				p.Levels[i] = uint16(rng.IntN(4) * 80)
			}
			want := bruteRank(bruteRank(p, r, false), r, true) // open: erode, dilate
			want = bruteRank(bruteRank(want, r, true), r, false)
			if err := Opening(t.Context(), p, r); err != nil {
				t.Fatal(err)
			}
			if err := Closing(t.Context(), p, r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Levels, want.Levels) {
				t.Fatalf("%dx%d, r=%d: open+close differs from the brute-force filter", w, h, r)
			}
		}
	}
}

// bruteRank is the min or max over the clipped (2r+1)^2 window, pixel by pixel.
func bruteRank(p *Plane, r int, takeMax bool) *Plane {
	out := &Plane{Width: p.Width, Height: p.Height, Max: p.Max, Levels: make([]uint16, len(p.Levels))}
	for y := range p.Height {
		for x := range p.Width {
			v := p.Levels[y*p.Width+x]
			for yy := max(0, y-r); yy <= min(p.Height-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(p.Width-1, x+r); xx++ {
					u := p.Levels[yy*p.Width+xx]
					if takeMax {
						v = max(v, u)
					} else {
						v = min(v, u)
					}
				}
			}
			out.Levels[y*p.Width+x] = v
		}
	}
	return out
}

func TestOpeningRemovesSpecksAndKeepsShapes(t *testing.T) {
	p := &Plane{Width: 20, Height: 20, Max: 255, Levels: make([]uint16, 400)}
	set := func(x0, y0, n int, v uint16) {
		for y := y0; y < y0+n; y++ {
			for x := x0; x < x0+n; x++ {
				p.Levels[y*20+x] = v
			}
		}
	}
	set(1, 1, 3, 200)   // a 3x3 speck: gone after opening
	set(10, 10, 7, 200) // a 7x7 square: kept
	if err := Opening(t.Context(), p, 2); err != nil {
		t.Fatal(err)
	}
	if p.Levels[2*20+2] != 0 || p.Levels[13*20+13] != 200 || p.Levels[10*20+10] != 200 {
		t.Fatalf("opening: speck %d, square centre %d, corner %d", p.Levels[2*20+2], p.Levels[13*20+13], p.Levels[10*20+10])
	}
}

func TestCIE94(t *testing.T) {
	white := LabFromLinear(1, 1, 1)
	if math.Abs(white.L-100) > 1e-3 || math.Abs(white.A) > 1e-3 || math.Abs(white.B) > 1e-3 {
		t.Errorf("white = %+v", white)
	}
	// sRGB red is L*a*b* (53.24, 80.09, 67.20).
	red := LabFromLinear(1, 0, 0)
	if math.Abs(red.L-53.24) > 0.01 || math.Abs(red.A-80.09) > 0.01 || math.Abs(red.B-67.20) > 0.01 {
		t.Errorf("red = %+v", red)
	}
	if d := DeltaE94(Lab{50, 0, 0}, Lab{60, 0, 0}); math.Abs(d-10) > 1e-12 {
		t.Errorf("lightness difference 10: %v", d)
	}
	// Same chroma 10, a pure hue change: sqrt(200)/(1 + 0.015*10).
	if d := DeltaE94(Lab{50, 10, 0}, Lab{50, 0, 10}); math.Abs(d-math.Sqrt(200)/1.15) > 1e-12 {
		t.Errorf("hue difference: %v", d)
	}
	// Asymmetric: the weights come from the reference colour's chroma.
	a, b := Lab{50, 40, 0}, Lab{50, 10, 0}
	if d1, d2 := DeltaE94(a, b), DeltaE94(b, a); math.Abs(d1-30/2.8) > 1e-12 || math.Abs(d2-30/1.45) > 1e-12 {
		t.Errorf("chroma differences %v and %v", d1, d2)
	}
	if srgbToLinear(0.5) < 0.214 || srgbToLinear(0.5) > 0.2141 {
		t.Errorf("linear(0.5) = %v", srgbToLinear(0.5))
	}
}

func TestDifferenceOfAPair(t *testing.T) {
	// Taller than one band, so band boundaries are crossed.
	a := rgbTestImage(7, 13, 2*bandRows+5)
	b := rgbTestImage(8, 13, 2*bandRows+5)
	d, err := Difference(a, b)
	if err != nil {
		t.Fatal(err)
	}
	lin := func(v uint8) float64 { return srgbToLinear(float64(v) / 255) }
	for y := range a.Bounds().Dy() {
		for x := range 13 {
			ca, cb := a.NRGBAAt(x, y), b.NRGBAAt(x, y)
			want := DeltaE94(LabFromLinear(lin(ca.R), lin(ca.G), lin(ca.B)), LabFromLinear(lin(cb.R), lin(cb.G), lin(cb.B)))
			if got := d[y*13+x]; got != want {
				t.Fatalf("(%d,%d): %v, want %v", x, y, got, want)
			}
		}
	}
	same, _ := Difference(a, a)
	if slices.Max(same) != 0 {
		t.Errorf("difference of an image from itself: max %v", slices.Max(same))
	}
	if _, err := Normalize[float64](same); err == nil {
		t.Error("Normalize of a constant: no error")
	}
	n, err := Normalize[float32](d)
	if err != nil || slices.Min(n) != 0 || slices.Max(n) != 1 {
		t.Errorf("Normalize: range [%v, %v], %v", slices.Min(n), slices.Max(n), err)
	}
	if _, err := Difference(a, rgbTestImage(9, 12, 4)); err == nil {
		t.Error("images of different sizes: no error")
	}
}

func TestThresholdModel(t *testing.T) {
	d := []float64{0, 1, 5, 9, 2.3, 8}
	x := []float64{0.1, 0.3, 0.8, 0.6, 0.2, 1.0}
	m, err := ThresholdModel(d, x, 2.3)
	if err != nil {
		t.Fatal(err)
	}
	// Background: d <= 2.3 -> x = 0.1, 0.3, 0.2; foreground: 0.8, 0.6, 1.0.
	bgVar := (0.01 + 0.01 + 0) / 3
	fgVar := (0.0 + 0.04 + 0.04) / 3
	want := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.2, 0.8}, Covariances: []float64{bgVar, fgVar}}
	for k := range 2 {
		if math.Abs(m.Means[k]-want.Means[k]) > 1e-15 || math.Abs(m.Stdevs()[k]-want.Stdevs()[k]) > 1e-15 || m.Weights[k] != want.Weights[k] {
			t.Fatalf("model %+v, want %+v", m, want)
		}
	}
	if _, err := ThresholdModel(d, x, 100); err == nil {
		t.Error("empty foreground: no error")
	}
	if _, err := ThresholdModel([]float64{0, 0, 5}, []float64{0.1, 0.2, 0.3}, 1); err == nil {
		t.Error("a one-pixel class with no spread: no error")
	}
}

func TestSegmentAndWrite(t *testing.T) {
	// Left half dark, right half bright, with a one-pixel bright speck in the dark half.
	w, h := 12, 8
	x := make([]float32, w*h)
	for y := range h {
		for c := range w {
			if c >= w/2 {
				x[y*w+c] = 0.9
			} else {
				x[y*w+c] = 0.1
			}
		}
	}
	x[3*w+2] = 0.9
	m := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.1, 0.9}, Covariances: []float64{0.0025, 0.0025}}
	p := &Plane{Width: w, Height: h, Max: 255}
	if err := Segment(t.Context(), &m, x, p, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for c := range w {
			want := uint16(math.Round(0.1 * 255))
			if c >= w/2 {
				want = uint16(math.Round(0.9 * 255))
			}
			if p.Levels[y*w+c] != want {
				t.Fatalf("(%d,%d) = %d, want %d", c, y, p.Levels[y*w+c], want)
			}
		}
	}
	for _, bad := range []*Plane{
		{Width: w + 1, Height: h, Max: 255},
		{Width: w, Height: h, Max: 255, Levels: make([]uint16, 3)},
		{Width: w, Height: h, Max: 0},
	} {
		if err := Segment(t.Context(), &m, x, bad, gmm.Exec{}); err == nil {
			t.Errorf("%dx%d plane of %d levels up to %d: no error", bad.Width, bad.Height, len(bad.Levels), bad.Max)
		}
	}
	// A plane's own levels are overwritten in place.
	q := &Plane{Width: w, Height: h, Max: 255, Levels: make([]uint16, w*h)}
	if err := Segment(t.Context(), &m, x, q, gmm.Exec{}); err != nil || !slices.Equal(q.Levels, p.Levels) {
		t.Errorf("segmenting into existing levels: %v, same result %v", err, slices.Equal(q.Levels, p.Levels))
	}
	checkWritePNG(t, p)
}

// checkWritePNG writes p as a PNG and reads it back, and checks that an unwritable path is
// an error.
func checkWritePNG(t *testing.T, p *Plane) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	if err := WritePNG(path, p.Image()); err != nil {
		t.Fatal(err)
	}
	back, err := Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	read, _ := NewPlane(back, Luma)
	if !slices.Equal(read.Levels, p.Levels) {
		t.Error("the written PNG differs from the plane")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only out.png", len(entries))
	}
	p16 := &Plane{Width: 1, Height: 1, Max: 65535, Levels: []uint16{40000}}
	if g, ok := p16.Image().(*image.Gray16); !ok || g.Gray16At(0, 0).Y != 40000 {
		t.Errorf("16-bit plane image: %T", p16.Image())
	}
	if err := WritePNG(filepath.Join(dir, "no", "such", "dir.png"), p.Image()); err == nil {
		t.Error("unwritable path: no error")
	}
}

func TestClassesFilterAsTheGrayLevelsDo(t *testing.T) {
	// Means out of index order, two of them on one 8-bit level: the class plane, mapped to
	// levels, must be the brute-force open+close of the unfiltered levels.
	m := gmm.Model{Weights: []float64{0.25, 0.25, 0.25, 0.25}, Means: []float64{0.8, 0.1, 0.5, 0.5001}, Covariances: []float64{0.0025, 0.0025, 0.0004, 0.0004}}
	rng := rand.New(rand.NewPCG(7, 8))
	w, h := 300, 700 // several bands of rows
	x := make([]float64, w*h)
	for i := range x {
		x[i] = m.Means[rng.IntN(4)] + 0.03*rng.NormFloat64()
	}
	raw := &Plane{Width: w, Height: h, Max: 255, Levels: make([]uint16, len(x))}
	if err := gmm.Predict(t.Context(), &m, raw.Levels, x, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	if err := MeanLevels(&m, raw, 255); err != nil {
		t.Fatal(err)
	}
	want := bruteRank(bruteRank(raw, CleanRadius, false), CleanRadius, true)
	want = bruteRank(bruteRank(want, CleanRadius, true), CleanRadius, false)

	classes := &Plane{Width: w, Height: h, Max: 255}
	if err := Classes(t.Context(), &m, x, classes, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	if classes.Max != 3 || slices.Max(classes.Levels) > 3 {
		t.Fatalf("class plane: max %d, largest value %d", classes.Max, slices.Max(classes.Levels))
	}
	levels := &Plane{Width: w, Height: h, Max: 255}
	if err := Segment(t.Context(), &m, x, levels, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(levels.Levels, want.Levels) {
		t.Fatal("Segment differs from filtering the gray levels")
	}
	if err := MeanLevels(&m, classes, 255); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(classes.Levels, want.Levels) || classes.Max != 255 {
		t.Fatal("Classes then MeanLevels differs from Segment")
	}
}

func TestColourImage(t *testing.T) {
	for _, k := range []int{3, 300} {
		p := &Plane{Width: k, Height: 2, Max: k - 1, Levels: make([]uint16, 2*k)}
		for i := range p.Levels {
			p.Levels[i] = uint16(i % k)
		}
		img := ColourImage(p)
		if _, paletted := img.(*image.Paletted); paletted != (k <= 256) {
			t.Errorf("K=%d: %T", k, img)
		}
		for i, v := range p.Levels {
			got := color.RGBAModel.Convert(img.At(i%k, i/k)).(color.RGBA)
			if got != ClassColour(int(v)) {
				t.Fatalf("K=%d: pixel %d is %v, want class %d's %v", k, i, got, v, ClassColour(int(v)))
			}
		}
	}
	seen := map[color.RGBA]int{}
	for k := range 64 {
		c := ClassColour(k)
		if j, dup := seen[c]; dup {
			t.Errorf("classes %d and %d share the colour %v", j, k, c)
		}
		seen[c] = k
	}
}

func TestSegmentFromLevelsIsSegmentFromSamples(t *testing.T) {
	m := gmm.Model{Weights: []float64{0.3, 0.4, 0.3}, Means: []float64{0.2, 0.5, 0.8}, Covariances: []float64{0.01, 0.0025, 0.01}}
	for _, maxLevel := range []int{255, 65535} {
		rng := rand.New(rand.NewPCG(7, uint64(maxLevel)))
		w, h := 67, 45
		src := &Plane{Width: w, Height: h, Max: maxLevel, Levels: make([]uint16, w*h)}
		for i := range src.Levels {
			src.Levels[i] = uint16(rng.IntN(maxLevel + 1))
		}
		for _, classes := range []bool{false, true} {
			run := func(p *Plane, x []float32) *Plane {
				var err error
				if classes {
					err = Classes(t.Context(), &m, x, p, gmm.Exec{})
				} else {
					err = Segment(t.Context(), &m, x, p, gmm.Exec{})
				}
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			fromSamples := run(&Plane{Width: w, Height: h, Max: maxLevel}, Samples[float32](src))
			fromLevels := run(&Plane{Width: w, Height: h, Max: maxLevel, Levels: slices.Clone(src.Levels)}, nil)
			if !slices.Equal(fromLevels.Levels, fromSamples.Levels) || fromLevels.Max != fromSamples.Max {
				t.Fatalf("max %d, classes %v: labels from the levels differ from those of the samples", maxLevel, classes)
			}
		}
	}
	if err := Segment[float64](t.Context(), &m, nil, &Plane{Width: 2, Height: 2, Max: 255}, gmm.Exec{}); err == nil {
		t.Error("no samples and no levels: no error")
	}
}

// TestHeaderBombs feeds every format a file whose header claims billions of pixels: each
// is refused from its header, as too large, without allocating the image.
func TestHeaderBombs(t *testing.T) {
	for ext, data := range imagetest.Bombs() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, err := Decode(bytes.NewReader(data), 0)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) || img != nil {
			t.Errorf("%s bomb: %v, %v; want an error wrapping ErrTooLarge", ext, img, err)
			continue
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s bomb: %d bytes allocated to refuse it", ext, alloc)
		}
		if !strings.Contains(err.Error(), fmt.Sprint(DefaultMaxPixels)) {
			t.Errorf("%s bomb: %q does not name the limit", ext, err)
		}
		// The same file on disk, through Open.
		path := filepath.Join(t.TempDir(), "bomb"+ext)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, 0); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s bomb through Open: %v", ext, err)
		}
	}
}

// TestPixelLimit holds Decode to the limit it is given, to the pixel.
func TestPixelLimit(t *testing.T) {
	data, err := os.ReadFile("../cmd/gmmseg/camera.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(data), 512*512); err != nil {
		t.Errorf("512x512 within a limit of 512*512: %v", err)
	}
	_, err = Decode(bytes.NewReader(data), 512*512-1)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "512x512") {
		t.Errorf("512x512 above a limit of 512*512-1: %v", err)
	}
}

// FuzzDecode: any bytes decode to an image within the limit or to an error, never a panic,
// and never more than the limit's worth of pixels.
func FuzzDecode(f *testing.F) {
	for _, data := range imagetest.Bombs() {
		f.Add(data)
	}
	var small bytes.Buffer
	png.Encode(&small, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(small.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		img, err := Decode(bytes.NewReader(data), limit)
		if err != nil {
			if img != nil {
				t.Fatalf("an image and an error: %v", err)
			}
			return
		}
		if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > limit {
			t.Fatalf("decoded %v past the limit of %d pixels", b, limit)
		}
	})
}

// A cancelled context stops labelling and the filters: an error that wraps its cause, and
// with a context already done, no pixel touched.
func TestCancelledContextStopsLabellingAndFilters(t *testing.T) {
	m := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.2, 0.8}, Covariances: []float64{0.01, 0.01}}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	src := &Plane{Width: 600, Height: 500, Max: 255, Levels: make([]uint16, 600*500)}
	for i := range src.Levels {
		src.Levels[i] = uint16(i % 256)
	}
	steps := map[string]func(p *Plane) error{
		"Segment":         func(p *Plane) error { return Segment[float32](ctx, &m, nil, p, gmm.Exec{}) },
		"Classes":         func(p *Plane) error { return Classes(ctx, &m, Samples[float32](src), p, gmm.Exec{}) },
		"Opening":         func(p *Plane) error { return Opening(ctx, p, 2) },
		"Closing":         func(p *Plane) error { return Closing(ctx, p, 2) },
		"Histogram (fit)": func(p *Plane) error { _, err := Histogram[float64](ctx, p, gmm.Exec{}); return err },
	}
	for name, step := range steps {
		p := &Plane{Width: src.Width, Height: src.Height, Max: src.Max, Levels: slices.Clone(src.Levels)}
		if err := step(p); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
		if !slices.Equal(p.Levels, src.Levels) {
			t.Errorf("%s: levels changed under a context already cancelled", name)
		}
	}
}
