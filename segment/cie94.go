package segment

import (
	"fmt"
	"image"
	"math"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// Lab is a CIE L*a*b* colour (D65 white).
type Lab struct{ L, A, B float64 }

// D65 white point in XYZ, Y normalised to 1.
const (
	whiteX = 0.95047
	whiteY = 1.0
	whiteZ = 1.08883
)

// srgbToLinear undoes the sRGB transfer function (IEC 61966-2-1) of a value in [0, 1].
func srgbToLinear(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// labF is the cube-root compression of CIE 1976 L*a*b*, linear near black.
func labF(t float64) float64 {
	const delta = 6.0 / 29
	if t > delta*delta*delta {
		return math.Cbrt(t)
	}
	return t/(3*delta*delta) + 4.0/29
}

// LabFromLinear converts linear-light sRGB (R, G, B in [0, 1]) to L*a*b* through XYZ.
func LabFromLinear(r, g, b float64) Lab {
	// Every product rounded on its own (float64), here and in the colour conversions:
	// Go fuses a*b + c into one operation on some CPUs (arm64), and colours must be the
	// same on all.
	x := float64(0.4124564*r) + float64(0.3575761*g) + float64(0.1804375*b)
	y := float64(0.2126729*r) + float64(0.7151522*g) + float64(0.0721750*b)
	z := float64(0.0193339*r) + float64(0.1191920*g) + float64(0.9503041*b)
	fx, fy, fz := labF(x/whiteX), labF(y/whiteY), labF(z/whiteZ)
	return Lab{L: float64(116*fy) - 16, A: 500 * (fx - fy), B: 200 * (fy - fz)}
}

// DeltaE94 is the CIE94 colour difference of c from the reference colour ref, with the
// graphic-arts constants (k_L = k_C = k_H = 1, K1 = 0.045, K2 = 0.015). It is not
// symmetric: the chroma weights use the reference's chroma.
func DeltaE94(ref, c Lab) float64 {
	const k1, k2 = 0.045, 0.015
	dL := ref.L - c.L
	c1 := math.Hypot(ref.A, ref.B)
	c2 := math.Hypot(c.A, c.B)
	dC := c1 - c2
	da, db := ref.A-c.A, ref.B-c.B
	dH2 := max(da*da+db*db-dC*dC, 0) // rounding can make it slightly negative
	sC := 1 + float64(k1*c1)
	sH := 1 + float64(k2*c1)
	return math.Sqrt(float64(dL*dL) + float64((dC/sC)*(dC/sC)) + dH2/(sH*sH))
}

// linearLUT maps the levels 0..max of one channel to linear light.
func linearLUT(maxLevel int) []float64 {
	lut := make([]float64, maxLevel+1)
	for v := range lut {
		lut[v] = srgbToLinear(float64(v) / float64(maxLevel))
	}
	return lut
}

// labRows sets out[i] to the L*a*b* colour of pixel i of img (row-major), read as sRGB
// through lut, which maps img's levels to linear light.
func labRows(img image.Image, lut []float64, out []Lab) {
	eightBit := len(lut) == 256
	eachRGB(img, func(i int, r, g, b uint32) {
		if eightBit {
			r, g, b = to8(r), to8(g), to8(b)
		}
		out[i] = LabFromLinear(lut[r], lut[g], lut[b])
	})
}

// rows returns the rows [y0, y1) of img, counted from its top.
func rows(img image.Image, y0, y1 int) image.Image {
	return window(img, image.Rect(0, y0, img.Bounds().Dx(), y1))
}

// window returns the rectangle r of img, in coordinates from img's first pixel, as an
// image of its own bounds.
func window(img image.Image, r image.Rectangle) image.Image {
	r = r.Add(img.Bounds().Min)
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return band{img, r}
}

// band is a window on an image type that has no SubImage method.
type band struct {
	image.Image
	r image.Rectangle
}

func (b band) Bounds() image.Rectangle { return b.r }

// bandRows is how many rows Difference converts at a time on each goroutine, bounding its
// scratch memory.
const bandRows = 64

// Difference returns the CIE94 difference of every pixel of img from the same pixel of
// ref, both read as sRGB, in CIE94 units (about 2.3 is a just noticeable difference).
func Difference(ref, img image.Image) ([]float64, error) {
	rb, ib := ref.Bounds(), img.Bounds()
	if rb.Dx() != ib.Dx() || rb.Dy() != ib.Dy() {
		return nil, fmt.Errorf("segment: the images differ in size: %dx%d and %dx%d", rb.Dx(), rb.Dy(), ib.Dx(), ib.Dy())
	}
	w, h := rb.Dx(), rb.Dy()
	ref, img = asRGB(ref), asRGB(img) // a JPEG's colours as libjpeg decodes them
	refLUT, imgLUT := linearLUT(1<<Depth(ref)-1), linearLUT(1<<Depth(img)-1)
	d := bigmem.Make[float64](w * h)
	bands := (h + bandRows - 1) / bandRows
	parallel.For(bands, 1, func(b0, b1 int) {
		refLab := make([]Lab, w*min(bandRows, h))
		imgLab := make([]Lab, len(refLab))
		for y0 := b0 * bandRows; y0 < min(b1*bandRows, h); y0 += bandRows {
			y1 := min(y0+bandRows, h)
			labRows(rows(ref, y0, y1), refLUT, refLab)
			labRows(rows(img, y0, y1), imgLUT, imgLab)
			out := d[y0*w : y1*w]
			for i := range out {
				out[i] = DeltaE94(refLab[i], imgLab[i])
			}
		}
	})
	return d, nil
}

// Normalize returns d scaled linearly to [0, 1]: (d - min)/(max - min). Constant d, which
// leaves nothing to segment, is an error.
func Normalize[T float32 | float64](d []float64) ([]T, error) {
	if len(d) == 0 {
		return nil, fmt.Errorf("segment: no values to normalize")
	}
	lo, hi := d[0], d[0]
	for _, v := range d {
		lo, hi = min(lo, v), max(hi, v)
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("segment: the difference is %v at every pixel: nothing to segment", lo)
	}
	out := make([]T, len(d))
	for i, v := range d {
		out[i] = T((v - lo) / (hi - lo))
	}
	return out, nil
}

// ThresholdModel is the reference program's start for background subtraction: pixels whose
// CIE94 difference d is at most threshold are background (component 0), the others
// foreground (component 1); each component takes the mean and population variance of its
// pixels' samples x, and its share of the pixels as weight. Both classes must hold pixels
// whose samples are not all equal.
func ThresholdModel[T float32 | float64](d []float64, x []T, threshold float64) (gmm.Model, error) {
	if len(d) != len(x) {
		return gmm.Model{}, fmt.Errorf("segment: %d differences for %d samples", len(d), len(x))
	}
	var n, sum [2]float64
	for i, v := range d {
		c := 0
		if v > threshold {
			c = 1
		}
		n[c]++
		sum[c] += float64(x[i])
	}
	names := [2]string{"background (difference <= threshold)", "foreground (difference > threshold)"}
	m := gmm.Model{Weights: make([]float64, 2), Means: make([]float64, 2), Covariances: make([]float64, 2)}
	for c := range 2 {
		if n[c] == 0 {
			return gmm.Model{}, fmt.Errorf("segment: subtraction threshold %v leaves the %s empty", threshold, names[c])
		}
		m.Means[c] = sum[c] / n[c]
		m.Weights[c] = n[c] / float64(len(d))
	}
	var ss [2]float64
	for i, v := range d {
		c := 0
		if v > threshold {
			c = 1
		}
		dev := float64(x[i]) - m.Means[c]
		ss[c] += float64(dev * dev)
	}
	for c := range 2 {
		if !(ss[c] > 0) {
			return gmm.Model{}, fmt.Errorf("segment: subtraction threshold %v leaves the %s with no spread", threshold, names[c])
		}
		m.Covariances[c] = ss[c] / n[c]
	}
	return m, nil
}
