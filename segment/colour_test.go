package segment

import (
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

func TestColourSamples(t *testing.T) {
	img := rgbTestImage(11, 13, 7)
	x, err := ColourSamples[float64](img, RGB, 0)
	if err != nil {
		t.Fatal(err)
	}
	lab, _ := ColourSamples[float64](img, CIELab, 0)
	ycc, _ := ColourSamples[float64](img, YCbCr, 0)
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
	l, _ := ColourSamples[float64](white, CIELab, 0)
	if math.Abs(l[0]-100) > 1e-3 || math.Abs(l[1]) > 1e-3 || math.Abs(l[2]) > 1e-3 {
		t.Errorf("white is L*a*b* %v", l)
	}
	if _, err := ColourSamples[float64](img, Luma, 0); err == nil {
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
		px, err := ColourPixels[float64](img, ch, 0)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gmm.Fit(t.Context(), px, gmm.Options{Dims: 3, Components: 2, MaxIter: 20, Init: gmm.InitKMeansPP, Tol: gmm.Off, AddedVariance: gmm.Off})
		if err != nil {
			t.Fatal(err)
		}
		p := &Plane{Width: w, Height: h}
		if err := ColourClasses(t.Context(), &res.Model, px, p, ch, gmm.Exec{}); err != nil {
			t.Fatal(err)
		}
		out, err := MeanColourImage(&res.Model, p, ch, 255, 8)
		if err != nil {
			t.Fatal(err)
		}
		left, right := color.NRGBAModel.Convert(out.At(3, 3)).(color.NRGBA), color.NRGBAModel.Convert(out.At(w-3, 3)).(color.NRGBA)
		dark := res.Model.Means[3*int(p.Levels[3*w+3]) : 3*int(p.Levels[3*w+3])+3]
		if math.Abs(float64(left.B)-151) > 3 || math.Abs(float64(right.R)-202) > 3 {
			t.Errorf("%v: the halves come out %v and %v (class mean %v)", ch, left, right, dark)
		}
		if p.Levels[3*w+3] == p.Levels[3*w+w-3] || p.Max != 1 {
			t.Errorf("%v: one class for both halves", ch)
		}
	}
}

// The colour histogram's fit is the fit over every pixel (to 1e-12 on every iteration in
// float64; in float32 to 1e-5, the SIMD lanes rounding every log-density, exp and
// responsibility to float32, as in one channel), and its labels are the pixels' labels,
// in every space, of an RGB image and of a JPEG's YCbCr planes.
func TestColourHistogramIsThePixelFit(t *testing.T) {
	src := rgbTestImage(21, 120, 90)
	for i := range src.Pix { // fewer distinct colours, as a photo's are spread
		src.Pix[i] &^= 7
	}
	for _, img := range []image.Image{src, throughJPEG(t, src)} {
		for _, ch := range []Channel{RGB, CIELab, YCbCr} {
			checkHistogramFit[float64](t, img, ch)
			checkHistogramFit[float32](t, img, ch)
		}
	}
}

// A colour's count passes what a table's 16-bit count holds, in one band of pixels or
// spread over both: every count is the number of its pixels, in an RGBA image (its codes
// read from its bytes) and in a JPEG's YCbCr planes (codes made of them), on one CPU and
// on two.
func TestColourHistogramCountsPastSixteenBits(t *testing.T) {
	counts := []int{65535, 65536, 65537, 131071, 131072, 200001, 3, 1}
	var ids []int
	for id, n := range counts {
		for range n {
			ids = append(ids, id)
		}
	}
	// The first colours' pixels all in the first band; the others' shuffled over both.
	rng := rand.New(rand.NewPCG(5, 8))
	rest := ids[counts[0]+counts[1]:]
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	const w = 1000
	h := len(ids) / w
	ids = ids[:w*h]
	want := map[uint32]float64{}
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio444)
	for i, id := range ids {
		v := [3]uint8{uint8(40 * id), uint8(255 - 30*id), uint8(7 * id)}
		copy(rgba.Pix[4*i:], []uint8{v[0], v[1], v[2], 255})
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = v[0], v[1], v[2]
		want[uint32(v[0])<<16|uint32(v[1])<<8|uint32(v[2])]++
	}
	codes := slices.Sorted(maps.Keys(want))
	for _, cpus := range []int{1, 2} {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cpus))
		for _, c := range []struct {
			img image.Image
			ch  Channel
		}{{rgba, RGB}, {ycc, YCbCr}} {
			hist, err := NewColourHistogram[float64](t.Context(), c.img, c.ch)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist.Counts) != len(codes) {
				t.Fatalf("%T, %d CPUs: %d colours, want %d", c.img, cpus, len(hist.Counts), len(codes))
			}
			for i, code := range codes {
				if hist.Counts[i] != want[code] {
					t.Errorf("%T, %d CPUs: colour %06x: %v pixels, want %v", c.img, cpus, code, hist.Counts[i], want[code])
				}
			}
		}
	}
}

func checkHistogramFit[T float32 | float64](t *testing.T, img image.Image, ch Channel) {
	t.Helper()
	what := fmt.Sprintf("%T %v %T", img, ch, T(0))
	x, err := ColourSamples[T](img, ch, 0)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewColourHistogram[T](t.Context(), img, ch)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, c := range h.Counts {
		total += c
	}
	if int(total) != len(x)/3 || len(h.X) != 3*len(h.Counts) || len(h.Counts) >= len(x)/3 {
		t.Fatalf("%s: %d colours counting %v pixels, of %d", what, len(h.Counts), total, len(x)/3)
	}
	opt := gmm.Options{Dims: 3, Components: 4, MaxIter: 10, Init: gmm.InitQuantiles, Tol: gmm.Off, AddedVariance: gmm.Off}
	pix, err := gmm.Fit(t.Context(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	px := checkPixelsFit[T](t, what, img, ch, opt, pix)
	hist, err := gmm.Fit(t.Context(), gmm.Weighted{Samples: h.X, Weights: h.Counts}, opt)
	if err != nil {
		t.Fatal(err)
	}
	tol := 1e-12
	if _, single := any(T(0)).(float32); single {
		tol = 1e-5
	}
	for i := range pix.History {
		a, b := pix.History[i], hist.History[i]
		if math.Abs(a-b) > tol*math.Abs(a) {
			t.Fatalf("%s: iteration %d: pixels %v, histogram %v", what, i, a, b)
		}
	}
	b := img.Bounds()
	p1, p2 := &Plane{Width: b.Dx(), Height: b.Dy()}, &Plane{Width: b.Dx(), Height: b.Dy()}
	if err := ColourClasses(t.Context(), &pix.Model, px, p1, ch, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	if err := h.Classes(t.Context(), &pix.Model, p2, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	for i := range p1.Levels {
		if p1.Levels[i] != p2.Levels[i] {
			t.Fatalf("%s: pixel %d: label %d from the samples, %d through the histogram", what, i, p1.Levels[i], p2.Levels[i])
		}
	}
}

// Pixels read any span of pixels, across rows and from any first pixel, as ColourSamples
// converts them, row-major or as planes, and as the pixel-by-pixel conversion does
// (span's values through sampleOf, which the fast loops skip): of every image type the
// decoders give (an offset window of it too, and an image without SubImage), in every
// colour space.
func TestPixelsReadSpansAsColourSamples(t *testing.T) {
	rgba := rgbTestImage(5, 37, 23)
	jpeg := throughJPEG(t, rgba)
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, 37, 23))
	draw.Draw(nrgba64, nrgba64.Bounds(), rgba, image.Point{}, draw.Src)
	paletted := image.NewPaletted(image.Rect(0, 0, 37, 23), palette.Plan9)
	draw.Draw(paletted, paletted.Bounds(), rgba, image.Point{}, draw.Src)
	window := rgba.SubImage(image.Rect(3, 2, 30, 21))
	for _, img := range []image.Image{rgba, jpeg, nrgba64, paletted, window, jpeg.SubImage(image.Rect(4, 3, 33, 20)), noSubImage{rgba}} {
		for _, ch := range []Channel{RGB, CIELab, YCbCr} {
			want, err := ColourSamples[float64](img, ch, 0)
			if err != nil {
				t.Fatal(err)
			}
			px, err := ColourPixels[float64](img, ch, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := px.Len()
			if lo, hi := px.Range(); slices.ContainsFunc(want, func(v float64) bool { return v < lo || v > hi }) {
				t.Errorf("%T %v: a sample outside the range [%v, %v]", img, ch, lo, hi)
			}
			if 3*n != len(want) {
				t.Fatalf("%T %v: %d pixels, %d samples", img, ch, n, len(want)/3)
			}
			one := make([]float64, 3*n)
			px.src.span(0, n, func(i int, v0, v1, v2 uint32) { sampleOf(px.src, one[3*i:3*i+3], v0, v1, v2, px.lv) })
			if !reflect.DeepEqual(one, want) {
				t.Errorf("%T %v: ColourSamples unlike the pixels converted one by one", img, ch)
			}
			for _, span := range [][2]int{{0, n}, {0, 1}, {n - 1, n}, {5, 40}, {36, 38}, {37, 74}, {100, 333}, {3, 3}} {
				m := span[1] - span[0]
				got := make([]float64, 3*m)
				px.Read(got, span[0])
				if !reflect.DeepEqual(got, want[3*span[0]:3*span[1]]) {
					t.Errorf("%T %v: pixels %v read unlike ColourSamples", img, ch, span)
				}
				px.ReadPlanes(got, span[0])
				for i := range m {
					for j := range 3 {
						if got[j*m+i] != want[3*(span[0]+i)+j] {
							t.Fatalf("%T %v: pixels %v read as planes unlike ColourSamples", img, ch, span)
						}
					}
				}
			}
		}
	}
}

// checkPixelsFit checks that the fit of img's pixels read tile by tile (opt) is pix, the
// fit of their copy, and returns the pixels.
func checkPixelsFit[T float32 | float64](t *testing.T, what string, img image.Image, ch Channel, opt gmm.Options, pix *gmm.Result) *Pixels[T] {
	t.Helper()
	px, err := ColourPixels[T](img, ch, 0)
	if err != nil {
		t.Fatal(err)
	}
	read, err := gmm.Fit(t.Context(), px, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read, pix) {
		t.Fatalf("%s: the fit of the pixels read tile by tile differs from the fit of their copy", what)
	}
	return px
}

// noSubImage is an image type without a SubImage method.
type noSubImage struct{ image.Image }
