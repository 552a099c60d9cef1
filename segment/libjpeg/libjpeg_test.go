package libjpeg

import (
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

// decoder returns the loaded decoder, or skips the test: a build that does not load the
// library always, a machine without it unless EnvRequire says it must have it.
func decoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := Load()
	if err != nil {
		if Loadable && os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%v (%s=1)", err, EnvRequire)
		}
		t.Skipf("%v: install libturbojpeg0", err)
	}
	return d
}

// committed are the test JPEGs of package segment, one of each subsampling (4:4:4, 4:2:2,
// 4:2:0, 4:4:0), of a photo-like image (s*) and of flat tiles (t*), each beside its
// libjpeg-turbo 2.1.5 djpeg decode: RGB (.libjpeg.png) and -grayscale (.libjpeg-gray.png).
var committed = []string{"s1x1", "s2x1", "s2x2", "s1x2", "t1x1", "t2x1", "t2x2", "t1x2"}

func committedPath(name, suffix string) string {
	return filepath.Join("..", "testdata", "jpeg", name+suffix)
}

// decodeFile decodes the file at path with d for the channel ch.
func decodeFile(t testing.TB, d segment.JPEGDecoder, path string, ch segment.Channel) image.Image {
	t.Helper()
	img, name, err := segment.Decoding{JPEG: d, Channel: ch}.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if d != nil && name != d.Name() {
		t.Fatalf("%s was decoded by %s, not %s", path, name, d.Name())
	}
	return img
}

// The committed JPEGs decode to djpeg's pixels bit for bit: RGB, the luma (the Y plane,
// djpeg -grayscale), and the planes of ycbcr that package segment upsamples and converts
// as libjpeg does.
func TestMatchesDjpeg(t *testing.T) {
	d := decoder(t)
	for _, name := range committed {
		path := committedPath(name, ".jpg")
		want := imagetest.Read(t, committedPath(name, ".libjpeg.png"))
		wantGray := imagetest.Read(t, committedPath(name, ".libjpeg-gray.png"))
		rgb := decodeFile(t, d, path, segment.RGB)
		if _, ok := rgb.(*image.NRGBA); !ok {
			t.Fatalf("%s in rgb: a %T", name, rgb)
		}
		sameRGB(t, name+" rgb", rgb, want)
		gray := decodeFile(t, d, path, segment.Luma)
		if _, ok := gray.(*image.Gray); !ok {
			t.Fatalf("%s in luma: a %T", name, gray)
		}
		sameRGB(t, name+" luma", gray, wantGray)
		planes := decodeFile(t, d, path, segment.YCbCr)
		if _, ok := planes.(*image.YCbCr); !ok {
			t.Fatalf("%s in ycbcr: a %T", name, planes)
		}
		x, err := segment.ColourSamples[float64](planes, segment.RGB, 8)
		if err != nil {
			t.Fatal(err)
		}
		b := want.Bounds()
		for i := range b.Dx() * b.Dy() {
			w := color.NRGBAModel.Convert(want.At(i%b.Dx(), i/b.Dx())).(color.NRGBA)
			if got := [3]float64{x[3*i] * 255, x[3*i+1] * 255, x[3*i+2] * 255}; got != [3]float64{float64(w.R), float64(w.G), float64(w.B)} {
				t.Fatalf("%s: the planes upsampled and converted give pixel %d %v, djpeg %v", name, i, got, w)
			}
		}
	}
}

// sameRGB fails the test unless got and want have the same size and R, G, B everywhere.
func sameRGB(t *testing.T, what string, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("%s: %v, want %v", what, got.Bounds(), want.Bounds())
	}
	b := got.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			if g != w {
				t.Fatalf("%s: pixel (%d, %d) is %v, djpeg's %v", what, x, y, g, w)
			}
		}
	}
}

// pillowScript prints, for each file, the SHA-256 of Pillow's RGB pixels and of its
// grayscale decode (draft("L"): libjpeg's own YCbCr to gray, the Y plane, as OpenCV's
// IMREAD_GRAYSCALE reads it).
const pillowScript = `
import hashlib, sys
from PIL import Image
for path in sys.argv[1:]:
    rgb = Image.open(path)
    rgb = rgb.convert("RGB")
    gray = Image.open(path)
    gray.draft("L", gray.size)
    assert gray.mode == "L" and gray.size == rgb.size
    print(hashlib.sha256(rgb.tobytes()).hexdigest(), hashlib.sha256(gray.tobytes()).hexdigest())
`

// Where the machine has Pillow, the test photos (baseline and progressive, 4:2:0) and the
// committed JPEGs decode to Pillow's pixels bit for bit, RGB and luma.
func TestMatchesPillow(t *testing.T) {
	d := decoder(t)
	py := imagetest.Pillow()
	if py == "" {
		t.Skip("no Python with Pillow (python3-pil): TestMatchesDjpeg holds the committed files to djpeg's pixels")
	}
	dir := filepath.Join(sharedtest.Dir(t), "testdata", "images")
	var paths []string
	for _, name := range []string{"retina.jpg", "Picture_0B_by_freespace.jpg", "seeding_by_Clements_Engelhardt.jpg"} {
		paths = append(paths, filepath.Join(dir, name))
	}
	for _, name := range committed {
		paths = append(paths, committedPath(name, ".jpg"))
	}
	out, err := exec.Command(py, append([]string{"-c", pillowScript}, paths...)...).Output()
	if err != nil {
		t.Fatalf("Pillow: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("Pillow printed %d lines for %d files", len(lines), len(paths))
	}
	for i, path := range paths {
		want := strings.Fields(lines[i])
		rgb := decodeFile(t, d, path, segment.RGB).(*image.NRGBA)
		gray := decodeFile(t, d, path, segment.Luma).(*image.Gray)
		if got := hash(dropX(rgb.Pix)); got != want[0] {
			t.Errorf("%s: RGB's SHA-256 %s, Pillow's %s", filepath.Base(path), got, want[0])
		}
		if got := hash(gray.Pix); got != want[1] {
			t.Errorf("%s: luma's SHA-256 %s, Pillow's %s", filepath.Base(path), got, want[1])
		}
	}
}

// dropX returns the R, G, B bytes of RGBX pixels.
func dropX(pix []byte) []byte {
	out := make([]byte, 0, len(pix)/4*3)
	for i := 0; i+4 <= len(pix); i += 4 {
		out = append(out, pix[i:i+3]...)
	}
	return out
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The X byte of RGBX is 0xff: the NRGBA image is opaque.
func TestRGBIsOpaque(t *testing.T) {
	d := decoder(t)
	rgb := decodeFile(t, d, committedPath("s2x2", ".jpg"), segment.RGB).(*image.NRGBA)
	for i := 3; i < len(rgb.Pix); i += 4 {
		if rgb.Pix[i] != 0xff {
			t.Fatalf("alpha %d at byte %d", rgb.Pix[i], i)
		}
	}
}
