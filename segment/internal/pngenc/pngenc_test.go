package pngenc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/imagetest"
)

// segmentation returns a w x h paletted image of k classes, with k grays as its palette,
// as a segmentation looks: regions of a smooth field's levels, their edges ragged, and
// specks, one pixel in 4096 a class at random (what the clean-up leaves is rarer still).
func segmentation(w, h, k int, seed uint64) *image.Paletted {
	pal := make(color.Palette, k)
	for i := range pal {
		pal[i] = color.Gray{uint8(i * 255 / max(k-1, 1))}
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	rng := rand.New(rand.NewPCG(seed, 7))
	for y := range h {
		for x := range w {
			f := (math.Sin(float64(x)/97+float64(seed)) + math.Cos(float64(y)/61) + 2) / 4 // [0, 1]
			f += (rng.Float64() - 0.5) / 50
			v := min(max(int(f*float64(k)), 0), k-1)
			if rng.IntN(4096) == 0 {
				v = rng.IntN(k)
			}
			img.Pix[y*img.Stride+x] = uint8(v)
		}
	}
	return img
}

// encode writes img with Encode and returns the file.
func encode(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sameImage fails the test unless got has want's size and colours.
func sameImage(t *testing.T, what string, got, want image.Image) {
	t.Helper()
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("%s: %v, want %v", what, got.Bounds(), want.Bounds())
	}
	gb, wb := got.Bounds(), want.Bounds()
	for y := range wb.Dy() {
		for x := range wb.Dx() {
			g := color.NRGBA64Model.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
			w := color.NRGBA64Model.Convert(want.At(wb.Min.X+x, wb.Min.Y+y))
			if g != w {
				t.Fatalf("%s: pixel (%d, %d) is %v, want %v", what, x, y, g, w)
			}
		}
	}
}

// smallBands makes the bands a few rows of the test images, for the test's length.
func smallBands(t *testing.T) {
	old := bandBytes
	bandBytes = 700
	t.Cleanup(func() { bandBytes = old })
}

// Every paletted image is written at the fewest bits that index its palette, and reads
// back the same through image/png: every width around the bytes' edges, heights of one
// band and of several, palettes of 1 to 256 colours.
func TestPalettedRoundTrip(t *testing.T) {
	smallBands(t)
	for _, k := range []int{1, 2, 3, 4, 5, 16, 17, 200, 256} {
		for _, size := range [][2]int{{1, 1}, {7, 3}, {9, 5}, {15, 2}, {33, 17}, {301, 150}} {
			img := segmentation(size[0], size[1], k, uint64(k))
			file := encode(t, img)
			if depth, want := file[24], bitsFor(k); int(depth) != want {
				t.Errorf("%d colours: bit depth %d, want %d", k, depth, want)
			}
			got, err := png.Decode(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("%d colours, %v: %v", k, size, err)
			}
			sameImage(t, "paletted", got, img)
		}
	}
}

// Gray, 16-bit gray, opaque RGBA and 16-bit RGBA round-trip, a sub-image's pixels
// included; a translucent image goes through image/png and still round-trips.
func TestOtherTypesRoundTrip(t *testing.T) {
	smallBands(t)
	r := image.Rect(0, 0, 110, 100)
	rng := rand.New(rand.NewPCG(1, 2))
	gray, gray16, nrgba, rgba, n64 := image.NewGray(r), image.NewGray16(r), image.NewNRGBA(r), image.NewRGBA(r), image.NewNRGBA64(r)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(rng.IntN(4) * 80)
	}
	for i := range gray16.Pix {
		gray16.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range nrgba.Pix {
		nrgba.Pix[i], rgba.Pix[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
		if i%4 == 3 {
			nrgba.Pix[i], rgba.Pix[i] = 0xff, 0xff
		}
	}
	for i := range n64.Pix {
		n64.Pix[i] = uint8(rng.IntN(256))
		if i%8 >= 6 {
			n64.Pix[i] = 0xff
		}
	}
	translucent := image.NewNRGBA(image.Rect(0, 0, 5, 5))
	translucent.Pix[3] = 7
	sub := nrgba.SubImage(image.Rect(3, 5, 70, 90))
	for name, img := range map[string]image.Image{"gray": gray, "gray16": gray16, "nrgba": nrgba, "rgba": rgba,
		"nrgba64": n64, "translucent": translucent, "sub-image": sub} {
		got, err := png.Decode(bytes.NewReader(encode(t, img)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameImage(t, name, got, img)
	}
}

// Combining the bands' checksums gives the Adler-32 of the whole, at every split.
func TestAdler32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 300000)
	for i := range data {
		data[i] = uint8(rng.IntN(256))
	}
	for _, cut := range []int{0, 1, 65520, 65521, 65522, 131042, 299999, 300000} {
		got := adler32Combine(adler32.Checksum(data[:cut]), adler32.Checksum(data[cut:]), len(data)-cut)
		if want := adler32.Checksum(data); got != want {
			t.Fatalf("cut at %d: %08x, want %08x", cut, got, want)
		}
	}
}

// A segmentation of 5 megapixels in 3 classes takes fewer bytes than image/png's best
// speed, with its adaptive filters, makes of it as 8-bit gray.
func TestSmallerThanImagePNG(t *testing.T) {
	img := segmentation(2736, 1824, 3, 9)
	gray := &image.Gray{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	var std bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&std, gray); err != nil {
		t.Fatal(err)
	}
	ours := encode(t, img)
	if len(ours) >= std.Len() {
		t.Errorf("%d bytes, image/png %d", len(ours), std.Len())
	}
	t.Logf("%d bytes; image/png, 8-bit gray: %d", len(ours), std.Len())
}

// pillowScript prints the SHA-256 of the palette indices (mode P) or pixels of each file
// as Pillow reads it, and the file's mode.
const pillowScript = `
import hashlib, sys
from PIL import Image
for path in sys.argv[1:]:
    im = Image.open(path)
    im.load()
    print(im.mode, hashlib.sha256(im.tobytes()).hexdigest())
`

// Where the machine has them, Pillow reads the palette indices back bit for bit at every
// bit depth, and pngcheck (libpng's checks: CRCs, zlib stream, Adler-32) finds each file
// valid.
func TestPillowAndPngcheckReadThem(t *testing.T) {
	py := imagetest.Pillow()
	pngcheck, _ := exec.LookPath("pngcheck")
	if py == "" && pngcheck == "" {
		t.Skip("neither Pillow (python3-pil) nor pngcheck here")
	}
	smallBands(t)
	dir := t.TempDir()
	var paths, want []string
	for _, k := range []int{2, 4, 16, 256} {
		img := segmentation(301, 199, k, 5)
		path := filepath.Join(dir, "k"+string(rune('a'+len(paths)))+".png")
		if err := os.WriteFile(path, encode(t, img), 0o644); err != nil {
			t.Fatal(err)
		}
		// Pillow unpacks 1-, 2- and 4-bit indices to a byte each, row by row.
		sum := sha256.Sum256(img.Pix)
		paths, want = append(paths, path), append(want, "P "+hex.EncodeToString(sum[:]))
	}
	if pngcheck != "" {
		if out, err := exec.Command(pngcheck, append([]string{"-q"}, paths...)...).CombinedOutput(); err != nil {
			t.Errorf("pngcheck: %v: %s", err, out)
		}
	}
	if py == "" {
		return
	}
	out, err := exec.Command(py, append([]string{"-c", pillowScript}, paths...)...).Output()
	if err != nil {
		t.Fatalf("Pillow: %v", err)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Errorf("%s: Pillow reads %q, want %q", filepath.Base(paths[i]), got[i], want[i])
		}
	}
}

// The IHDR says what the layout says: 8-bit gray for a gray image, RGB for opaque RGBA.
func TestHeaders(t *testing.T) {
	for _, c := range []struct {
		img               image.Image
		depth, colourType byte
	}{
		{image.NewGray(image.Rect(0, 0, 3, 3)), 8, ctGray},
		{image.NewGray16(image.Rect(0, 0, 3, 3)), 16, ctGray},
		{opaqueNRGBA(), 8, ctRGB},
	} {
		file := encode(t, c.img)
		if binary.BigEndian.Uint32(file[8:]) != 13 || string(file[12:16]) != "IHDR" || file[24] != c.depth || file[25] != c.colourType {
			t.Errorf("%T: IHDR % x", c.img, file[8:33])
		}
	}
}

func opaqueNRGBA() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 3))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xff
	}
	return img
}
