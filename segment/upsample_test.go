package segment

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/gmmsimd/gmmsimd/imagetest"
)

// Each subsampling's JPEG converts to the RGB that libjpeg-turbo 2.1's djpeg (fancy
// upsampling, the default) decoded it to, stored beside it. Of a photo-like image (s*),
// to within 3 levels: Go's inverse DCT and libjpeg's may differ by one in Y, Cb and Cr,
// which the conversion carries into up to 1 + 1.772 levels of blue. Of an image of flat
// 16x16 tiles (t*), whose blocks hold only their mean, so that both inverse DCTs are
// exact, bit for bit: the upsampling at the tiles' edges and the conversion are libjpeg's.
// Go's own nearest-sample conversion is far off wherever the chroma is subsampled.
func TestFancyUpsamplingMatchesLibjpeg(t *testing.T) {
	for _, name := range []string{"s1x1", "s2x1", "s2x2", "s1x2", "t1x1", "t2x1", "t2x2", "t1x2"} {
		img := imagetest.Read(t, filepath.Join("testdata", "jpeg", name+".jpg"))
		want := imagetest.Read(t, filepath.Join("testdata", "jpeg", name+".libjpeg.png"))
		got := asRGB(img)
		worst, nearest := 0, 0
		b := img.Bounds()
		for y := range b.Dy() {
			for x := range b.Dx() {
				g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
				w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
				n := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				worst = max(worst, diff(g, w))
				nearest = max(nearest, diff(n, w))
			}
		}
		if bound := map[byte]int{'s': 3, 't': 0}[name[0]]; worst > bound {
			t.Errorf("%s (%v): %d levels from libjpeg's RGB, want at most %d", name, img.(*image.YCbCr).SubsampleRatio, worst, bound)
		}
		if name[1:] != "1x1" && nearest <= 3 {
			t.Errorf("%s: Go's nearest-sample conversion is as close (%d): the test shows nothing", name, nearest)
		}
		t.Logf("%s: fancy %d, nearest %d levels from libjpeg", name, worst, nearest)
	}
}

// diff is the largest difference of two colours' channels.
func diff(a, b color.NRGBA) int {
	d := 0
	for _, p := range [][2]uint8{{a.R, b.R}, {a.G, b.G}, {a.B, b.B}} {
		d = max(d, int(p[0])-int(p[1]), int(p[1])-int(p[0]))
	}
	return d
}
