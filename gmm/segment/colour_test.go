package segment

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

func TestColourSamples(t *testing.T) {
	img := rgbTestImage(11, 13, 7)
	x, err := ColourSamples[float64](img, RGB)
	if err != nil {
		t.Fatal(err)
	}
	lab, _ := ColourSamples[float64](img, CIELab)
	ycc, _ := ColourSamples[float64](img, YCbCr)
	for i := range 13 * 7 {
		c := img.NRGBAAt(i%13, i/13)
		want := []float64{float64(c.R) / 255, float64(c.G) / 255, float64(c.B) / 255}
		for a := range 3 {
			if x[3*i+a] != want[a] {
				t.Fatalf("pixel %d: RGB %v, want %v", i, x[3*i:3*i+3], want)
			}
		}
		// Each space maps back to the pixel's colour.
		for _, s := range []struct {
			ch Channel
			v  []float64
		}{{CIELab, lab[3*i : 3*i+3]}, {YCbCr, ycc[3*i : 3*i+3]}} {
			r, g, b := rgbFromColour(s.v, s.ch)
			if math.Abs(r-want[0]) > 1e-6 || math.Abs(g-want[1]) > 1e-6 || math.Abs(b-want[2]) > 1e-6 {
				t.Fatalf("pixel %d: %v %v maps back to %v, want %v", i, s.ch, s.v, []float64{r, g, b}, want)
			}
		}
		y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
		for a, v := range []uint8{y, cb, cr} {
			if math.Abs(ycc[3*i+a]*255-float64(v)) > 1 {
				t.Fatalf("pixel %d: YCbCr %v, Go's %v", i, ycc[3*i:3*i+3], []uint8{y, cb, cr})
			}
		}
	}
	white := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	white.Pix = []uint8{255, 255, 255, 255}
	l, _ := ColourSamples[float64](white, CIELab)
	if math.Abs(l[0]-100) > 1e-3 || math.Abs(l[1]) > 1e-3 || math.Abs(l[2]) > 1e-3 {
		t.Errorf("white is L*a*b* %v", l)
	}
	if _, err := ColourSamples[float64](img, Luma); err == nil {
		t.Error("luma as a colour space: no error")
	}
	if _, err := NewPlane(img, RGB); err == nil {
		t.Error("a plane of RGB: no error")
	}
}

// A two-colour image fitted in every space comes out in its two colours, a class each.
func TestColourSegmentation(t *testing.T) {
	const w, h = 64, 48
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			c := color.NRGBA{200, 40, 60, 255} // red, brighter in luma than the blue
			if x < w/2 {
				c = color.NRGBA{30, 50, 150, 255}
			}
			c.R += uint8(rng.IntN(5))
			img.SetNRGBA(x, y, c)
		}
	}
	for _, ch := range []Channel{RGB, CIELab, YCbCr} {
		x, err := ColourSamples[float64](img, ch)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gmm.Fit(t.Context(), x, gmm.Options{Dims: 3, Components: 2, MaxIter: 20, Init: gmm.InitKMeansPP})
		if err != nil {
			t.Fatal(err)
		}
		p := &Plane{Width: w, Height: h}
		if err := ColourClasses(t.Context(), &res.Model, x, p, ch, gmm.Exec{}); err != nil {
			t.Fatal(err)
		}
		out := MeanColourImage(&res.Model, p, ch, 255).(*image.NRGBA)
		left, right := out.NRGBAAt(3, 3), out.NRGBAAt(w-3, 3)
		dark := res.Model.Means[3*int(p.Levels[3*w+3]) : 3*int(p.Levels[3*w+3])+3]
		if math.Abs(float64(left.B)-151) > 3 || math.Abs(float64(right.R)-202) > 3 {
			t.Errorf("%v: the halves come out %v and %v (class mean %v)", ch, left, right, dark)
		}
		if p.Levels[3*w+3] == p.Levels[3*w+w-3] || p.Max != 1 {
			t.Errorf("%v: one class for both halves", ch)
		}
	}
}
