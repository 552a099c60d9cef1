package segment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"sync/atomic"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/segment/internal/pngenc"
)

// CleanRadius is the half-side of the square that Segment opens and closes with: 2, a 5x5
// square, as the reference program.
const CleanRadius = 2

// Segment labels every sample of x, the pixels of p row-major, with its most responsible
// component of m, and sets each level of p to the mean of that component as a level of
// 0..p.Max (rounded and clipped), opened then closed with a 5x5 square: the reference
// program's output, and what Classes followed by MeanLevels gives in one pass fewer. p's
// levels are overwritten, so the plane that x was made from can hold the result without
// new memory; nil Levels are allocated. With x nil, the samples are p's own levels
// (LevelValues, as Samples makes them), labelled through a table of their classes: the
// same labels, without per-pixel arithmetic. e says where the labelling runs. If ctx is
// cancelled, the labelling or the filters stop within a tile or a band of rows, p's levels
// are left partly done, and the error wraps ctx.Err().
func Segment[T float32 | float64](ctx context.Context, m *gmm.Model, x []T, p *Plane, e gmm.Exec) error {
	maxLevel := p.Max
	if maxLevel < 1 || maxLevel > math.MaxUint16 {
		return fmt.Errorf("segment: maximum level %d, want 1..65535", maxLevel)
	}
	in, order, err := classRanks(ctx, m, x, p, e)
	if err != nil {
		return err
	}
	lut := meanLUT(m, maxLevel)
	for r, c := range order {
		order[r] = lut[c]
	}
	if err := clean(ctx, p, in, order); err != nil {
		return err
	}
	p.Max = maxLevel
	return nil
}

// Classes sets every level of p, whose pixels x holds row-major, to the index of the most
// responsible component of m, cleaned as Segment cleans its gray levels: opened then
// closed with a 5x5 square, with the components ranked by mean. A rank-to-level map that
// never decreases commutes with the minimum and maximum of the filters, so MeanLevels of
// the result is exactly the filtered gray levels. p.Max becomes K-1; nil Levels are
// allocated. x may be nil, and ctx stops it, as for Segment.
func Classes[T float32 | float64](ctx context.Context, m *gmm.Model, x []T, p *Plane, e gmm.Exec) error {
	in, order, err := classRanks(ctx, m, x, p, e)
	if err != nil {
		return err
	}
	if err := clean(ctx, p, in, order); err != nil {
		return err
	}
	p.Max = m.K() - 1
	return nil
}

// classRanks labels the pixels of p (samples x) with the most responsible component of m
// and returns in, the table from each level p then holds to the rank by mean (then index)
// of its component, and order, the component of each rank. With x nil the samples are
// p's own levels, which stay as they are: in takes each of the p.Max+1 levels to its
// class's rank through a table of the levels' classes. Otherwise p's levels become the
// pixels' components, and in takes each to its rank.
func classRanks[T float32 | float64](ctx context.Context, m *gmm.Model, x []T, p *Plane, e gmm.Exec) (in, order []uint16, err error) {
	k := m.K()
	order = make([]uint16, k)
	for i := range order {
		order[i] = uint16(i)
	}
	slices.SortStableFunc(order, func(a, b uint16) int { return cmp.Compare(m.Means[a], m.Means[b]) })
	rank := make([]uint16, k)
	for r, c := range order {
		rank[c] = uint16(r)
	}
	if x == nil {
		if len(p.Levels) != p.Width*p.Height {
			return nil, nil, fmt.Errorf("segment: %d levels for a %dx%d image", len(p.Levels), p.Width, p.Height)
		}
		if p.Max < 1 || p.Max > math.MaxUint16 {
			return nil, nil, fmt.Errorf("segment: maximum level %d, want 1..65535", p.Max)
		}
		in = make([]uint16, p.Max+1)
		if err := gmm.Predict(ctx, m, in, LevelValues[T](p.Max), e); err != nil {
			return nil, nil, err
		}
		for l, c := range in {
			in[l] = rank[c]
		}
		return in, order, nil
	}
	if p.Width*p.Height != len(x) || (p.Levels != nil && len(p.Levels) != len(x)) {
		return nil, nil, fmt.Errorf("segment: %d samples for a %dx%d image", len(x), p.Width, p.Height)
	}
	if p.Levels == nil {
		p.Levels = bigmem.Make[uint16](len(x))
	}
	return rank, order, gmm.Predict(ctx, m, p.Levels, x, e)
}

// clean sets every level v of p to out[w], w the opening then closing with a 5x5 square
// of the levels in[v]: ranks, which a map to levels that never decreases (out) commutes
// with, as it does with the filters' minima and maxima. The maps are applied as each band
// of rows is filtered (see openClose). A level that in has no entry for is an error.
func clean(ctx context.Context, p *Plane, in, out []uint16) error {
	err := openClose(ctx, p, CleanRadius, in, out)
	if errors.Is(err, errUnmapped) {
		return fmt.Errorf("segment: a level above the maximum level %d", p.Max)
	}
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	return nil
}

// MeanLevels replaces every component index of p (as Classes leaves it) by the mean of
// that component of m as a level of 0..maxLevel, rounded and clipped to [0, 1] first. A
// model that Validate refuses, a maxLevel out of 1..65535, or an index that is no
// component of m, is an error that leaves p as it was.
func MeanLevels(m *gmm.Model, p *Plane, maxLevel int) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkClasses(p, m.K(), maxLevel); err != nil {
		return err
	}
	remap(p.Levels, meanLUT(m, maxLevel))
	p.Max = maxLevel
	return nil
}

// checkClasses refuses a plane that holds an index of no component of k, or levels of
// other than 1..65535.
func checkClasses(p *Plane, k, maxLevel int) error {
	if maxLevel < 1 || maxLevel > math.MaxUint16 {
		return fmt.Errorf("segment: maximum level %d, want 1..65535", maxLevel)
	}
	if len(p.Levels) != p.Width*p.Height {
		return fmt.Errorf("segment: %d levels for a %dx%d image", len(p.Levels), p.Width, p.Height)
	}
	if top := p.top(); int(top) >= k {
		return fmt.Errorf("segment: class %d of a model of %d components", top, k)
	}
	return nil
}

// meanLUT maps each component of m to its mean as a level of 0..maxLevel.
func meanLUT(m *gmm.Model, maxLevel int) []uint16 {
	lut := make([]uint16, m.K())
	for k, mu := range m.Means {
		lut[k] = uint16(math.Round(min(max(mu, 0), 1) * float64(maxLevel)))
	}
	return lut
}

// remap sets every v of levels to lut[v], in parallel, and reports whether lut had an
// entry for every one (a level without one stops its band of rows unmapped). The callers
// whose table covers every level by construction leave the report aside.
func remap(levels, lut []uint16) (covered bool) {
	var beyond atomic.Bool
	parallel.For(len(levels), 1<<16, func(lo, hi int) {
		for i, v := range levels[lo:hi] {
			if int(v) >= len(lut) {
				beyond.Store(true)
				return
			}
			levels[lo+i] = lut[v]
		}
	})
	return !beyond.Load()
}

// classColours are Okabe and Ito's eight colours, told apart with every common colour
// vision deficiency; components beyond them take hues a golden angle apart.
var classColours = []color.RGBA{
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xf0, 0xe4, 0x42, 0xff}, // yellow
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0x00, 0x00, 0x00, 0xff}, // black
}

// ClassColour is the colour of component k in palette images (and figures).
func ClassColour(k int) color.RGBA {
	if k < len(classColours) {
		return classColours[k]
	}
	h := math.Mod(float64(k-len(classColours))*137.50776405003785, 360) / 60
	x := uint8(math.Round(255 * (1 - math.Abs(math.Mod(h, 2)-1))))
	switch int(h) {
	case 0:
		return color.RGBA{255, x, 0, 255}
	case 1:
		return color.RGBA{x, 255, 0, 255}
	case 2:
		return color.RGBA{0, 255, x, 255}
	case 3:
		return color.RGBA{0, x, 255, 255}
	case 4:
		return color.RGBA{x, 0, 255, 255}
	}
	return color.RGBA{255, 0, x, 255}
}

// ColourImage returns the class plane p (as Classes leaves it) with each component in its
// ClassColour: a paletted image for up to 256 components.
func ColourImage(p *Plane) image.Image {
	r := image.Rect(0, 0, p.Width, p.Height)
	k := p.Max + 1
	if k <= 256 {
		pal := make(color.Palette, k)
		for i := range pal {
			pal[i] = ClassColour(i)
		}
		return &image.Paletted{Pix: narrow(p.Levels), Stride: p.Width, Rect: r, Palette: pal}
	}
	img := &image.RGBA{Pix: bigmem.Make[uint8](4 * len(p.Levels)), Stride: 4 * p.Width, Rect: r}
	parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
		for i, v := range p.Levels[lo:hi] {
			c := ClassColour(int(v))
			px := img.Pix[4*(lo+i) : 4*(lo+i)+4 : 4*(lo+i)+4]
			px[0], px[1], px[2], px[3] = c.R, c.G, c.B, c.A
		}
	})
	return img
}

// narrow returns levels, each below 256, as bytes, converted in parallel.
func narrow(levels []uint16) []uint8 {
	out := bigmem.Make[uint8](len(levels))
	parallel.For(len(levels), 1<<16, func(lo, hi int) {
		for i, v := range levels[lo:hi] {
			out[lo+i] = uint8(v)
		}
	})
	return out
}

// Image returns p as an 8-bit gray image when its levels fit in 8 bits, 16-bit otherwise.
func (p *Plane) Image() image.Image {
	if p.Max <= 255 {
		return &image.Gray{Pix: narrow(p.Levels), Stride: p.Width, Rect: image.Rect(0, 0, p.Width, p.Height)}
	}
	return p.Image16()
}

// Image16 returns p as a 16-bit gray image, its levels as they are: the output of a
// 16-bit image stays 16-bit whatever its levels' range (see SetBits).
func (p *Plane) Image16() image.Image {
	r := image.Rect(0, 0, p.Width, p.Height)
	img := &image.Gray16{Pix: bigmem.Make[uint8](2 * len(p.Levels)), Stride: 2 * p.Width, Rect: r}
	parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
		for i, v := range p.Levels[lo:hi] {
			img.Pix[2*(lo+i)], img.Pix[2*(lo+i)+1] = uint8(v>>8), uint8(v)
		}
	})
	return img
}

// WritePNG writes img as a PNG file at path, atomically: on any error nothing is left at
// path (an existing file there stays as it was). A paletted image takes the fewest bits a
// pixel that index its palette, and the rows are deflated on every CPU (see
// segment/internal/pngenc).
func WritePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error { return EncodePNG(w, img) })
}

// EncodePNG writes img to w as PNG, as WritePNG writes it.
func EncodePNG(w io.Writer, img image.Image) error {
	return pngenc.Encode(w, img)
}
