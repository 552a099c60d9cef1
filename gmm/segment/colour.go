package segment

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
)

// Dims is how many values a pixel of the channel has: 3 for the colour spaces, 1 for the
// single channels.
func (c Channel) Dims() int {
	if c >= RGB {
		return 3
	}
	return 1
}

// ColourSamples returns the pixels of img in the colour space ch (RGB, CIELab or YCbCr) as
// samples of 3 features, row-major: R, G, B as level/Max in [0, 1]; CIE L*a*b* (D65) of
// the pixels read as sRGB, in its own units (L* 0..100); or the JPEG's Y, Cb, Cr over 255
// (of a YCbCr image, its planes; of another, BT.601 full-range YCbCr of its RGB). A JPEG's
// chroma is upsampled, and its RGB converted, as libjpeg does (see asRGB). The levels of a
// 16-bit image are read as those of a bits-bit one (Max 2^bits - 1; 0 means 16, see
// UsedBits); a level above that is an error. The rows are converted in parallel.
func ColourSamples[T float32 | float64](img image.Image, ch Channel, bits int) ([]T, error) {
	if ch < RGB || ch > YCbCr {
		return nil, fmt.Errorf("segment: %v is not a colour space", ch)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	maxLevel := 1<<Depth(img) - 1
	if maxLevel > 255 && bits != 0 && bits != 16 {
		// Every level must be at most 2^bits - 1: one scan of the channels' maximum.
		if used := UsedBits(img); bits < 8 || bits > 16 || used > bits {
			return nil, fmt.Errorf("segment: %d bits for an image that uses %d", bits, used)
		}
		maxLevel = 1<<bits - 1
	}
	out := bigmem.Make[T](3 * w * h)
	lut := linearLUT(maxLevel)
	src := newColourSource(img, ch)
	parallel.For(h, rowGrain(w), func(y0, y1 int) {
		dst := out[3*y0*w : 3*y1*w]
		src.rows(y0, y1, func(i int, v0, v1, v2 uint32) {
			sampleOf(src, dst[3*i:3*i+3:3*i+3], v0, v1, v2, maxLevel, lut)
		})
	})
	return out, nil
}

// colourSource is an image as the colour spaces read it: for ycbcr, a YCbCr image's own
// planes, the chroma upsampled to full resolution; else its RGB, a JPEG's as libjpeg
// decodes it (asRGB).
type colourSource struct {
	ch     Channel
	img    image.Image  // the RGB, without planes
	ycc    *image.YCbCr // the planes, if read
	cb, cr []uint8
}

func newColourSource(img image.Image, ch Channel) *colourSource {
	if ycc, ok := img.(*image.YCbCr); ok && ch == YCbCr {
		cb, cr := fullChroma(ycc)
		return &colourSource{ch: ch, ycc: ycc, cb: cb, cr: cr}
	}
	return &colourSource{ch: ch, img: asRGB(img)}
}

// rows calls f for every pixel of the rows [y0, y1), with its index from the band's first
// and its three values: Y, Cb, Cr bytes of the planes, or R, G, B levels (0..255 for an
// 8-bit image, 0..65535 for a 16-bit one).
func (s *colourSource) rows(y0, y1 int, f func(i int, v0, v1, v2 uint32)) {
	if s.ycc == nil {
		eightBit := Depth(s.img) == 8 // eachRGB gives 8-bit levels on the 16-bit scale
		eachRGB(rows(s.img, y0, y1), func(i int, r, g, b uint32) {
			if eightBit {
				r, g, b = to8(r), to8(g), to8(b)
			}
			f(i, r, g, b)
		})
		return
	}
	bd := s.ycc.Bounds()
	w := bd.Dx()
	for y := y0; y < y1; y++ {
		yi := s.ycc.YOffset(bd.Min.X, bd.Min.Y+y)
		for x := range w {
			f((y-y0)*w+x, uint32(s.ycc.Y[yi+x]), uint32(s.cb[y*w+x]), uint32(s.cr[y*w+x]))
		}
	}
}

// sampleOf sets o to the sample of the space of the values v0, v1, v2 that s.rows gives:
// the planes' bytes over 255, or the RGB levels (0..maxLevel, linear light through lut)
// in the space (inSpace).
func sampleOf[T float32 | float64](s *colourSource, o []T, v0, v1, v2 uint32, maxLevel int, lut []float64) {
	if s.ycc != nil {
		o[0], o[1], o[2] = T(float64(v0)/255), T(float64(v1)/255), T(float64(v2)/255)
		return
	}
	inSpace(o, v0, v1, v2, maxLevel, s.ch, lut)
}

// inSpace sets o to the sample of the colour space ch of the pixel of levels r, g, b
// (0..maxLevel), read as sRGB through lut (linearLUT(maxLevel)).
func inSpace[T float32 | float64](o []T, r, g, b uint32, maxLevel int, ch Channel, lut []float64) {
	switch ch {
	case RGB:
		o[0], o[1], o[2] = T(float64(r)/float64(maxLevel)), T(float64(g)/float64(maxLevel)), T(float64(b)/float64(maxLevel))
	case CIELab:
		c := LabFromLinear(lut[r], lut[g], lut[b])
		o[0], o[1], o[2] = T(c.L), T(c.A), T(c.B)
	case YCbCr:
		rf, gf, bf := float64(r)/float64(maxLevel), float64(g)/float64(maxLevel), float64(b)/float64(maxLevel)
		yy, cb, cr := ycbcrFromRGB(rf, gf, bf)
		o[0], o[1], o[2] = T(yy), T(cb), T(cr)
	}
}

// UsedBits returns the fewest bits from 8 to 16 that hold every channel of every pixel
// of img: 8 for an 8-bit image or 8-bit data saved as 16-bit, 12 for a 12-bit sensor's.
func UsedBits(img image.Image) int {
	if Depth(img) == 8 {
		return 8
	}
	top := uint32(0)
	eachRGB(img, func(_ int, r, g, b uint32) { top = max(top, r, g, b) })
	return bitsFor(top)
}

// ycbcrFromRGB is JPEG's full-range BT.601 YCbCr of R, G, B in [0, 1], over 255: Cb and Cr
// centred on 128/255.
func ycbcrFromRGB(r, g, b float64) (y, cb, cr float64) {
	y = 0.299*r + 0.587*g + 0.114*b
	cb = 128.0/255 - 0.168735892*r - 0.331264108*g + 0.5*b
	cr = 128.0/255 + 0.5*r - 0.418687589*g - 0.081312411*b
	return y, cb, cr
}

// rgbFromColour returns the sRGB colour, R, G, B in [0, 1] (not clipped), of a sample of
// the colour space ch.
func rgbFromColour(v []float64, ch Channel) (r, g, b float64) {
	switch ch {
	case CIELab:
		return srgbFromLab(Lab{v[0], v[1], v[2]})
	case YCbCr:
		y, cb, cr := v[0], v[1]-128.0/255, v[2]-128.0/255
		return y + 1.402*cr, y - 0.344136286*cb - 0.714136286*cr, y + 1.772*cb
	}
	return v[0], v[1], v[2]
}

// srgbFromLab converts L*a*b* (D65) to sRGB in [0, 1] (not clipped), inverting
// LabFromLinear and the sRGB transfer function.
func srgbFromLab(c Lab) (r, g, b float64) {
	const delta = 6.0 / 29
	inv := func(f float64) float64 {
		if f > delta {
			return f * f * f
		}
		return 3 * delta * delta * (f - 4.0/29)
	}
	fy := (c.L + 16) / 116
	x, y, z := whiteX*inv(fy+c.A/500), whiteY*inv(fy), whiteZ*inv(fy-c.B/200)
	lr := 3.2404542*x - 1.5371385*y - 0.4985314*z
	lg := -0.9692660*x + 1.8760108*y + 0.0415560*z
	lb := 0.0556434*x - 0.2040259*y + 1.0572252*z
	return linearToSRGB(lr), linearToSRGB(lg), linearToSRGB(lb)
}

// linearToSRGB applies the sRGB transfer function to a linear value.
func linearToSRGB(c float64) float64 {
	if c <= 0.0031308 {
		return 12.92 * c
	}
	return 1.055*math.Pow(c, 1/2.4) - 0.055
}

// meanColours returns each component's mean of the colour model m (samples of the space
// ch) as an sRGB colour of levels 0..maxLevel, rounded and clipped.
func meanColours(m *gmm.Model, ch Channel, maxLevel int) [][3]uint16 {
	out := make([][3]uint16, m.K())
	for k := range out {
		out[k] = meanColour(m, k, ch, maxLevel)
	}
	return out
}

// meanColour is component k's entry of meanColours.
func meanColour(m *gmm.Model, k int, ch Channel, maxLevel int) (c [3]uint16) {
	r, g, b := rgbFromColour(m.Means[3*k:3*k+3], ch)
	for i, v := range []float64{r, g, b} {
		c[i] = uint16(math.Round(min(max(v, 0), 1) * float64(maxLevel)))
	}
	return c
}

// MeanColour is component k's mean of the colour model m (samples of the space ch) as an
// 8-bit sRGB colour: the colour MeanColourImage paints its class.
func MeanColour(m *gmm.Model, k int, ch Channel) color.NRGBA {
	c := meanColour(m, k, ch, 255)
	return color.NRGBA{uint8(c[0]), uint8(c[1]), uint8(c[2]), 0xff}
}

// Coordinates names the three values of a pixel in the colour space c.
func (c Channel) Coordinates() [3]string {
	switch c {
	case CIELab:
		return [3]string{"L*", "a*", "b*"}
	case YCbCr:
		return [3]string{"Y", "Cb", "Cr"}
	}
	return [3]string{"R", "G", "B"}
}

// ColourClasses sets every level of p to the index of the most responsible component of
// the colour model m (samples of the space ch) for the pixel that x holds, row-major,
// cleaned as Classes cleans them: opened then closed with a 5x5 square, on the components
// ranked by the luma of their mean colour. p.Max becomes K-1; nil Levels are allocated.
// ctx stops it as it stops Segment.
func ColourClasses[T float32 | float64](ctx context.Context, m *gmm.Model, x []T, p *Plane, ch Channel, e gmm.Exec) error {
	if ch.Dims() != 3 || m.Dims != 3 {
		return fmt.Errorf("segment: a model of %d features for the colour space %v", m.Dims, ch)
	}
	if 3*p.Width*p.Height != len(x) || (p.Levels != nil && 3*len(p.Levels) != len(x)) {
		return fmt.Errorf("segment: %d colour samples for a %dx%d image", len(x)/3, p.Width, p.Height)
	}
	if p.Levels == nil {
		p.Levels = bigmem.Make[uint16](len(x) / 3)
	}
	if err := gmm.Predict(ctx, m, p.Levels, x, e); err != nil {
		return err
	}
	return cleanColourClasses(ctx, m, p, ch)
}

// cleanColourClasses opens and closes the classes of p (component indices of the colour
// model m, of the space ch) with a 5x5 square, on the components ranked by the luma of
// their mean colour, and sets p.Max to K-1.
func cleanColourClasses(ctx context.Context, m *gmm.Model, p *Plane, ch Channel) error {
	cols := meanColours(m, ch, 65535)
	luma := func(c [3]uint16) float64 { return 0.299*float64(c[0]) + 0.587*float64(c[1]) + 0.114*float64(c[2]) }
	order := make([]uint16, m.K())
	for i := range order {
		order[i] = uint16(i)
	}
	slices.SortStableFunc(order, func(a, b uint16) int { return cmp.Compare(luma(cols[a]), luma(cols[b])) })
	if err := rankAndClean(ctx, p, order); err != nil {
		return err
	}
	remap(p.Levels, order)
	p.Max = m.K() - 1
	return nil
}

// MeanColourImage returns the image of p's classes (as ColourClasses leaves them) in the
// mean colour of each component of the colour model m (samples of the space ch), as sRGB
// levels 0..maxLevel in an image of depth bits (8 or 16: the input's).
func MeanColourImage(m *gmm.Model, p *Plane, ch Channel, maxLevel, depth int) image.Image {
	cols := meanColours(m, ch, maxLevel)
	r := image.Rect(0, 0, p.Width, p.Height)
	if depth > 8 || maxLevel > 255 {
		img := image.NewNRGBA64(r)
		parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
			for i, v := range p.Levels[lo:hi] {
				c := cols[v]
				img.SetNRGBA64((lo+i)%p.Width, (lo+i)/p.Width, color.NRGBA64{c[0], c[1], c[2], 0xffff})
			}
		})
		return img
	}
	img := image.NewNRGBA(r)
	parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
		for i, v := range p.Levels[lo:hi] {
			c := cols[v]
			copy(img.Pix[4*(lo+i):], []uint8{uint8(c[0]), uint8(c[1]), uint8(c[2]), 0xff})
		}
	})
	return img
}
