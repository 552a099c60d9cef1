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
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/segment/internal/eightbit"
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
// ColourPixels gives the same samples without the copy.
func ColourSamples[T float32 | float64](img image.Image, ch Channel, bits int) ([]T, error) {
	p, err := ColourPixels[T](img, ch, bits)
	if err != nil {
		return nil, err
	}
	out := bigmem.Make[T](3 * p.n)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	parallel.For(h, rowGrain(w), func(y0, y1 int) { p.Read(out[3*y0*w:3*y1*w], y0*w) })
	return out, nil
}

// Pixels are an image's pixels as samples of a colour space, read a block at a time: a
// gmm.Source (see ColourPixels).
type Pixels[T float32 | float64] struct {
	src *colourSource
	n   int
	lv  levels
}

// ColourPixels returns the pixels of img in the colour space ch as a gmm.Source of the
// samples ColourSamples gives, converted from the image as they are read: gmm.Fit
// and gmm.Predict then fit and label them tile by tile, in cache, and never hold
// them all (the JPEG's RGB that libjpeg would decode is made once, 4 bytes a pixel, for
// rgb and lab; its upsampled chroma, 2 bytes a pixel, for ycbcr).
func ColourPixels[T float32 | float64](img image.Image, ch Channel, bits int) (*Pixels[T], error) {
	if ch < RGB || ch > YCbCr {
		return nil, fmt.Errorf("segment: %v is not a colour space", ch)
	}
	maxLevel := 1<<Depth(img) - 1
	if maxLevel > 255 && bits != 0 && bits != 16 {
		// Every level must be at most 2^bits - 1: one scan of the channels' maximum.
		if used := UsedBits(img); bits < 8 || bits > 16 || used > bits {
			return nil, fmt.Errorf("segment: %d bits for an image that uses %d", bits, used)
		}
		maxLevel = 1<<bits - 1
	}
	src := newColourSource(img, ch)
	src.keep() // read once a pass
	b := img.Bounds()
	return &Pixels[T]{src: src, n: b.Dx() * b.Dy(), lv: newLevels(maxLevel)}, nil
}

// Len returns the number of pixels.
func (p *Pixels[T]) Len() int { return p.n }

// Range returns bounds on the samples' values, which makes Pixels a gmm.RangedSource: R,
// G, B in [0, 1]; Y, Cb, Cr within [-1, 2] (Cb and Cr of an RGB image reach 1.002);
// L*, a*, b* within [-128, 128].
func (p *Pixels[T]) Range() (lo, hi float64) {
	switch p.src.ch {
	case RGB:
		return 0, 1
	case YCbCr:
		return -1, 2
	}
	return -128, 128
}

// Read sets dst to the samples of the pixels from lo on, row by row, 3 values each. The
// planes of a JPEG and 8-bit RGBA in rgb, what the decoders give, are read in loops of
// their own, each level through the table of level/255 (ReadPlanes converts a row's
// channel at a time instead: interleaving its planes again costs more than these loops);
// the rest through span's values.
func (p *Pixels[T]) Read(dst []T, lo int) {
	s := p.src
	hi := lo + len(dst)/3
	pix, stride := rgba8(s.img)
	switch {
	case s.planes():
		w := s.ycc.Bounds().Dx()
		unit := p.lv.unit[:256]
		eachRow(lo, hi, w, func(y, x0, x1, first int) {
			yy := s.ycc.Y[s.ycc.YOffset(s.ycc.Rect.Min.X, s.ycc.Rect.Min.Y+y)+x0:][:x1-x0]
			cb, cr := s.cb[y*w+x0:y*w+x1], s.cr[y*w+x0:y*w+x1]
			out := dst[3*first : 3*(first+x1-x0)]
			for i, v := range yy {
				o := out[3*i : 3*i+3 : 3*i+3]
				o[0], o[1], o[2] = T(unit[v]), T(unit[cb[i]]), T(unit[cr[i]])
			}
		})
	case pix != nil && s.ch == RGB:
		unit := (*[256]float64)(p.lv.unit) // a byte indexes it without a bounds check
		eachRow(lo, hi, s.img.Bounds().Dx(), func(y, x0, x1, first int) {
			row := pix[y*stride+4*x0 : y*stride+4*x1]
			out := dst[3*first : 3*(first+x1-x0)]
			// The lengths checked where the loop tests them, no index is checked again.
			for len(row) >= 4 && len(out) >= 3 {
				out[0], out[1], out[2] = T(unit[row[0]]), T(unit[row[1]]), T(unit[row[2]])
				row, out = row[4:], out[3:]
			}
		})
	default:
		s.span(lo, hi, func(i int, v0, v1, v2 uint32) {
			sampleOf(s, dst[3*i:3*i+3:3*i+3], v0, v1, v2, p.lv)
		})
	}
}

// ReadPlanes sets dst to the samples of the n = len(dst)/3 pixels from lo on as planes:
// feature j of pixel lo+i at dst[j*n+i]. It makes Pixels a gmm.PlaneSource. The planes
// of a JPEG and 8-bit RGBA in rgb, what the decoders give, are read a channel of a row
// at a time (eightbit.Unit: 8-bit levels over 255); the rest through span's values.
func (p *Pixels[T]) ReadPlanes(dst []T, lo int) {
	s := p.src
	n := len(dst) / 3
	if n == 0 {
		return
	}
	p0, p1, p2 := dst[:n], dst[n:2*n], dst[2*n:3*n]
	pix, stride := rgba8(s.img)
	switch {
	case s.planes():
		w := s.ycc.Bounds().Dx()
		eachRow(lo, lo+n, w, func(y, x0, x1, first int) {
			yy := s.ycc.Y[s.ycc.YOffset(s.ycc.Rect.Min.X, s.ycc.Rect.Min.Y+y)+x0:][:x1-x0]
			m := x1 - x0
			eightbit.Unit(p0[first:first+m], yy, 1)
			eightbit.Unit(p1[first:first+m], s.cb[y*w+x0:], 1)
			eightbit.Unit(p2[first:first+m], s.cr[y*w+x0:], 1)
		})
	case pix != nil && s.ch == RGB:
		eachRow(lo, lo+n, s.img.Bounds().Dx(), func(y, x0, x1, first int) {
			m := x1 - x0
			// Channel c of the row's pixels: the bytes from it on, through the next
			// pixel's first c where the image has them, so that Unit's loops take whole
			// turns to the row's end rather than leave the last to its Go loop.
			channel := func(c int) []uint8 {
				at := y*stride + 4*x0 + c
				return pix[at:min(at+4*m, len(pix))]
			}
			eightbit.Unit(p0[first:first+m], channel(0), 4)
			eightbit.Unit(p1[first:first+m], channel(1), 4)
			eightbit.Unit(p2[first:first+m], channel(2), 4)
		})
	default:
		var o [3]T
		s.span(lo, lo+n, func(i int, v0, v1, v2 uint32) {
			sampleOf(s, o[:], v0, v1, v2, p.lv)
			p0[i], p1[i], p2[i] = o[0], o[1], o[2]
		})
	}
}

// colourSource is an image as the colour spaces read it: a YCbCr image (a JPEG) by its
// planes, the chroma upsampled and, for rgb and lab, converted as libjpeg decodes them
// (see asRGB), row by row as they are read; any other by its RGB. A source read more than
// once is kept (keep) ready to read: the planes' upsampled chroma, or the JPEG's RGB.
type colourSource struct {
	ch     Channel
	img    image.Image  // the image, or the RGB a JPEG's planes decode to once kept
	ycc    *image.YCbCr // a JPEG's planes, while read from
	cb, cr []uint8      // ycbcr's upsampled chroma, once kept
}

func newColourSource(img image.Image, ch Channel) *colourSource {
	ycc, _ := img.(*image.YCbCr)
	return &colourSource{ch: ch, img: img, ycc: ycc}
}

// keep makes s quick to read again and again: the chroma upsampled once for ycbcr (2
// bytes a pixel), or the RGB converted once for the other spaces (4 bytes a pixel).
func (s *colourSource) keep() {
	switch {
	case s.ycc == nil:
	case s.ch == YCbCr:
		s.cb, s.cr = fullChroma(s.ycc)
	default:
		s.img, s.ycc = asRGB(s.ycc), nil
	}
}

// planes tells whether span gives a JPEG's Y, Cb, Cr bytes rather than R, G, B levels.
func (s *colourSource) planes() bool { return s.ycc != nil && s.ch == YCbCr }

// span calls f for every pixel of [lo, hi), pixels counted row by row from the image's
// first, with its index from lo and its three values: Y, Cb, Cr bytes of the planes, or
// R, G, B levels (0..255 for an 8-bit image, 0..65535 for a 16-bit one).
func (s *colourSource) span(lo, hi int, f func(i int, v0, v1, v2 uint32)) {
	if s.ycc != nil {
		s.planeSpan(lo, hi, f)
		return
	}
	eightBit := Depth(s.img) == 8 // eachRGB gives 8-bit levels on the 16-bit scale
	pix, stride := rgba8(s.img)
	eachRow(lo, hi, s.img.Bounds().Dx(), func(y, x0, x1, first int) {
		if pix != nil {
			row := pix[y*stride+4*x0 : y*stride+4*x1]
			for i := range x1 - x0 {
				f(first+i, uint32(row[4*i]), uint32(row[4*i+1]), uint32(row[4*i+2]))
			}
			return
		}
		eachRGB(window(s.img, image.Rect(x0, y, x1, y+1)), func(i int, r, g, b uint32) {
			if eightBit {
				r, g, b = to8(r), to8(g), to8(b)
			}
			f(first+i, r, g, b)
		})
	})
}

// planeSpan is span of a JPEG's planes: its chroma kept, or upsampled a row at a time;
// converted to RGB unless s reads ycbcr.
func (s *colourSource) planeSpan(lo, hi int, f func(i int, v0, v1, v2 uint32)) {
	ycc := s.ycc
	w := ycc.Bounds().Dx()
	var cbRow, crRow []uint8
	if s.cb == nil {
		cbRow, crRow = make([]uint8, w), make([]uint8, w)
	}
	eachRow(lo, hi, w, func(y, x0, x1, first int) {
		cb, cr := cbRow, crRow
		if s.cb != nil {
			cb, cr = s.cb[y*w:(y+1)*w], s.cr[y*w:(y+1)*w]
		} else {
			upsampleRow(cb, ycc, ycc.Cb, y)
			upsampleRow(cr, ycc, ycc.Cr, y)
		}
		yy := ycc.Y[ycc.YOffset(ycc.Rect.Min.X, ycc.Rect.Min.Y+y):][:w]
		if s.ch == YCbCr {
			for x := x0; x < x1; x++ {
				f(first+x-x0, uint32(yy[x]), uint32(cb[x]), uint32(cr[x]))
			}
			return
		}
		for x := x0; x < x1; x++ {
			r, g, b := jpegRGB(yy[x], cb[x], cr[x])
			f(first+x-x0, uint32(r), uint32(g), uint32(b))
		}
	})
}

// rgba8 returns the bytes of an 8-bit RGBA or NRGBA image (R, G, B, A a pixel) and the
// bytes from one row to the next, or nil for another image.
func rgba8(img image.Image) (pix []uint8, stride int) {
	switch m := img.(type) {
	case *image.RGBA:
		return m.Pix, m.Stride
	case *image.NRGBA:
		return m.Pix, m.Stride
	}
	return nil, 0
}

// eachRow calls f for each row y that the pixels [lo, hi) of an image w pixels wide meet,
// with the columns [x0, x1) they take in it and the index of its first one from lo.
func eachRow(lo, hi, w int, f func(y, x0, x1, first int)) {
	for y := lo / w; y*w < hi; y++ {
		x0, x1 := max(lo-y*w, 0), min(hi-y*w, w)
		f(y, x0, x1, y*w+x0-lo)
	}
}

// levels are the tables that turn the levels 0..max of a channel into samples: unit
// holds level/max, linear the level's linear light (read as sRGB).
type levels struct{ unit, linear []float64 }

func newLevels(maxLevel int) levels {
	unit := make([]float64, maxLevel+1)
	for v := range unit {
		unit[v] = float64(v) / float64(maxLevel)
	}
	return levels{unit: unit, linear: linearLUT(maxLevel)}
}

// sampleOf sets o to the sample of the space of the values v0, v1, v2 that s.span gives:
// the planes' bytes over 255, or the RGB levels (0..max of lv) in the space (inSpace).
func sampleOf[T float32 | float64](s *colourSource, o []T, v0, v1, v2 uint32, lv levels) {
	if s.planes() {
		o[0], o[1], o[2] = T(lv.unit[v0]), T(lv.unit[v1]), T(lv.unit[v2])
		return
	}
	inSpace(o, v0, v1, v2, s.ch, lv)
}

// inSpace sets o to the sample of the colour space ch of the pixel of levels r, g, b,
// read as sRGB through lv.
func inSpace[T float32 | float64](o []T, r, g, b uint32, ch Channel, lv levels) {
	switch ch {
	case RGB:
		o[0], o[1], o[2] = T(lv.unit[r]), T(lv.unit[g]), T(lv.unit[b])
	case CIELab:
		c := LabFromLinear(lv.linear[r], lv.linear[g], lv.linear[b])
		o[0], o[1], o[2] = T(c.L), T(c.A), T(c.B)
	case YCbCr:
		yy, cb, cr := ycbcrFromRGB(lv.unit[r], lv.unit[g], lv.unit[b])
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
	y = float64(0.299*r) + float64(0.587*g) + float64(0.114*b)
	cb = 128.0/255 - float64(0.168735892*r) - float64(0.331264108*g) + float64(0.5*b)
	cr = 128.0/255 + float64(0.5*r) - float64(0.418687589*g) - float64(0.081312411*b)
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
		return y + float64(1.402*cr), y - float64(0.344136286*cb) - float64(0.714136286*cr), y + float64(1.772*cb)
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
	lr := float64(3.2404542*x) - float64(1.5371385*y) - float64(0.4985314*z)
	lg := float64(-0.9692660*x) + float64(1.8760108*y) + float64(0.0415560*z)
	lb := float64(0.0556434*x) - float64(0.2040259*y) + float64(1.0572252*z)
	return linearToSRGB(lr), linearToSRGB(lg), linearToSRGB(lb)
}

// linearToSRGB applies the sRGB transfer function to a linear value.
func linearToSRGB(c float64) float64 {
	if c <= 0.0031308 {
		return 12.92 * c
	}
	return float64(1.055*math.Pow(c, 1/2.4)) - 0.055
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
// 8-bit sRGB colour: the colour MeanColourImage paints its class. A model that Validate
// refuses, of other than three features, or without a component k is an error.
func MeanColour(m *gmm.Model, k int, ch Channel) (color.NRGBA, error) {
	if err := checkColourModel(m, ch); err != nil {
		return color.NRGBA{}, err
	}
	if k < 0 || k >= m.K() {
		return color.NRGBA{}, fmt.Errorf("segment: no component %d of %d", k, m.K())
	}
	c := meanColour(m, k, ch, 255)
	return color.NRGBA{uint8(c[0]), uint8(c[1]), uint8(c[2]), 0xff}, nil
}

// checkColourModel refuses a model that Validate refuses or that is not of the three
// features of the colour space ch.
func checkColourModel(m *gmm.Model, ch Channel) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if ch.Dims() != 3 || m.Dims != 3 {
		return fmt.Errorf("segment: a model of %d features for the colour space %v", max(m.Dims, 1), ch)
	}
	return nil
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
// the colour model m (samples of the space ch) for its pixel, as src gives them (see
// ColourPixels), cleaned as Classes cleans them: opened then closed with a 5x5 square, on
// the components ranked by the luma of their mean colour. p.Max becomes K-1; nil Levels
// are allocated. ctx stops it as it stops Segment.
func ColourClasses[T float32 | float64](ctx context.Context, m *gmm.Model, src gmm.Source[T], p *Plane, ch Channel, e gmm.Exec) error {
	if err := checkColourModel(m, ch); err != nil {
		return err
	}
	if n := src.Len(); p.Width*p.Height != n || (p.Levels != nil && len(p.Levels) != n) {
		return fmt.Errorf("segment: %d colour samples for a %dx%d image", n, p.Width, p.Height)
	}
	if p.Levels == nil {
		p.Levels = bigmem.Make[uint16](src.Len())
	}
	if err := gmm.Predict(ctx, m, p.Levels, src, e); err != nil {
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
	rank := make([]uint16, len(order))
	for r, c := range order {
		rank[c] = uint16(r)
	}
	if err := clean(ctx, p, rank, order); err != nil {
		return err
	}
	p.Max = m.K() - 1
	return nil
}

// MeanColourImage returns the image of p's classes (as ColourClasses leaves them) in the
// mean colour of each component of the colour model m (samples of the space ch), as sRGB
// levels 0..maxLevel in an image of depth bits (8 or 16: the input's). An 8-bit image of
// at most 256 components is paletted, a byte a pixel, and so is its PNG. A model that
// Validate refuses or not of three features, a maxLevel out of 1..65535, or a class that
// is no component of m, is an error.
func MeanColourImage(m *gmm.Model, p *Plane, ch Channel, maxLevel, depth int) (image.Image, error) {
	if err := checkColourModel(m, ch); err != nil {
		return nil, err
	}
	if err := checkClasses(p, m.K(), maxLevel); err != nil {
		return nil, err
	}
	cols := meanColours(m, ch, maxLevel)
	r := image.Rect(0, 0, p.Width, p.Height)
	if depth <= 8 && maxLevel <= 255 && len(cols) <= 256 {
		pal := make(color.Palette, len(cols))
		for k, c := range cols {
			pal[k] = color.NRGBA{uint8(c[0]), uint8(c[1]), uint8(c[2]), 0xff}
		}
		img := image.NewPaletted(r, pal)
		parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
			for i, v := range p.Levels[lo:hi] {
				img.Pix[lo+i] = uint8(v)
			}
		})
		return img, nil
	}
	if depth > 8 || maxLevel > 255 {
		img := image.NewNRGBA64(r)
		parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
			for i, v := range p.Levels[lo:hi] {
				c := cols[v]
				img.SetNRGBA64((lo+i)%p.Width, (lo+i)/p.Width, color.NRGBA64{c[0], c[1], c[2], 0xffff})
			}
		})
		return img, nil
	}
	img := image.NewNRGBA(r)
	parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
		for i, v := range p.Levels[lo:hi] {
			c := cols[v]
			px := img.Pix[4*(lo+i) : 4*(lo+i)+4 : 4*(lo+i)+4]
			px[0], px[1], px[2], px[3] = uint8(c[0]), uint8(c[1]), uint8(c[2]), 0xff
		}
	})
	return img, nil
}
