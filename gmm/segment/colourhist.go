package segment

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
	"runtime"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
)

// codes is how many colours of three 8-bit values there are: a table indexed by colour.
const codes = 1 << 24

// A ColourHistogram is the distinct colours of an 8-bit image in a colour space, with how
// many pixels have each: gmm.Fit on them with the counts as Options.Weights is the fit over
// every pixel, over a few hundred thousand points at most for a photo rather than its
// millions of pixels. It keeps each pixel's colour code (4 bytes a pixel; of an 8-bit RGBA
// image, such as libjpeg-turbo decodes, the image's own bytes) and a table from each code
// to the colour's index (64 MiB), to label the pixels after.
type ColourHistogram[T float32 | float64] struct {
	width, height int
	ch            Channel
	codes         []uint32 // each pixel's R, G, B (or Y, Cb, Cr) bytes as one number
	// rgba holds the pixels of an 8-bit RGBA image whose rows follow each other (what
	// libjpeg-turbo decodes), read in place of codes: each pixel's code is its first
	// three bytes (rgbaCode), so that no copy of them is made.
	rgba  []byte
	table []uint32 // colour code -> index among the distinct colours
	// X holds the distinct colours as samples, three values each, and Counts how many
	// pixels have each: Fit's samples and Options.Weights.
	X      []T
	Counts []float64
}

// NewColourHistogram counts the distinct colours of img, an 8-bit image, in the colour
// space ch: as samples (ColourSamples' values, three a colour, in increasing order of
// their R, G, B bytes, or of Y, Cb, Cr for a YCbCr image in ycbcr) with their counts. The
// codes are read, then counted into the table, on the CPUs: by bands of rows, then by
// ranges of colours; ctx stops it between them. A JPEG's planes are upsampled and
// converted a row at a time as the codes are read: no whole RGB copy is made.
func NewColourHistogram[T float32 | float64](ctx context.Context, img image.Image, ch Channel) (*ColourHistogram[T], error) {
	if ch.Dims() != 3 {
		return nil, fmt.Errorf("segment: %v is not a colour space", ch)
	}
	if Depth(img) != 8 {
		return nil, fmt.Errorf("segment: a colour histogram needs an 8-bit image, not %d-bit", Depth(img))
	}
	b := img.Bounds()
	h := &ColourHistogram[T]{width: b.Dx(), height: b.Dy(), ch: ch}
	src := newColourSource(img, ch)
	if err := h.readCodes(ctx, src); err != nil {
		return nil, err
	}
	if err := h.count(ctx); err != nil {
		return nil, err
	}
	// Each distinct colour as ColourSamples makes a pixel of it.
	distinct := 0
	for _, n := range h.table {
		distinct += int(min(n, 1))
	}
	h.Counts, h.X = make([]float64, 0, distinct), make([]T, 0, 3*distinct)
	lv := newLevels(255)
	var o [3]T
	for c, n := range h.table {
		if n == 0 {
			continue
		}
		h.table[c] = uint32(len(h.Counts))
		h.Counts = append(h.Counts, float64(n))
		sampleOf(src, o[:], uint32(c)>>16, uint32(c)>>8&0xff, uint32(c)&0xff, lv)
		h.X = append(h.X, o[:]...)
	}
	return h, nil
}

// readCodes sets every pixel's colour code, its three values from src (8 bits each) as
// one number, by bands of rows on the CPUs.
func (h *ColourHistogram[T]) readCodes(ctx context.Context, src *colourSource) error {
	if pix, stride := rgba8(src.img); pix != nil && src.ycc == nil && stride == 4*h.width {
		h.rgba = pix[:4*h.width*h.height]
		return ctx.Err()
	}
	h.codes = bigmem.Make[uint32](h.width * h.height)
	return parallel.ForContext(ctx, h.height, rowGrain(h.width), func(y0, y1 int) {
		out := h.codes[y0*h.width : y1*h.width]
		src.span(y0*h.width, y1*h.width, func(i int, v0, v1, v2 uint32) { out[i] = v0<<16 | v1<<8 | v2 })
	})
}

// rgbaCode is the colour code of the RGBA pixel whose bytes, read as a little-endian
// word, are w: its R, G, B as one number, R highest.
func rgbaCode(w uint32) uint32 { return bits.ReverseBytes32(w) >> 8 }

// pixels is the number of pixels counted.
func (h *ColourHistogram[T]) pixels() int { return h.width * h.height }

// count sets the table to how many pixels have each code, each CPU counting a range of
// codes over every pixel, so that no two write one entry.
func (h *ColourHistogram[T]) count(ctx context.Context) error {
	h.table = bigmem.Make[uint32](codes)
	parts := runtime.GOMAXPROCS(0)
	return parallel.ForContext(ctx, parts, 1, func(lo, hi int) {
		from, to := uint32(lo*codes/parts), uint32(hi*codes/parts)
		for _, c := range h.codes {
			if c >= from && c < to {
				h.table[c]++
			}
		}
		for i := 0; i+4 <= len(h.rgba); i += 4 {
			if c := rgbaCode(binary.LittleEndian.Uint32(h.rgba[i:])); c >= from && c < to {
				h.table[c]++
			}
		}
	})
}

// Classes sets every level of p (allocated if nil) to the most responsible component of m
// for its pixel's colour, through the table: the distinct colours are labelled, then each
// pixel takes its colour's label; then cleaned as ColourClasses cleans. It gives the same
// labels as ColourClasses on the pixels' samples in the precision T.
func (h *ColourHistogram[T]) Classes(ctx context.Context, m *gmm.Model, p *Plane, e gmm.Exec) error {
	if p.Width != h.width || p.Height != h.height {
		return fmt.Errorf("segment: a %dx%d plane for a %dx%d image", p.Width, p.Height, h.width, h.height)
	}
	if m.Dims != 3 {
		return fmt.Errorf("segment: a model of %d features for the colour space %v", m.Dims, h.ch)
	}
	labels := make([]uint16, len(h.Counts))
	if err := gmm.Predict(ctx, m, labels, h.X, e); err != nil {
		return err
	}
	if p.Levels == nil {
		p.Levels = bigmem.Make[uint16](p.Width * p.Height)
	}
	err := parallel.ForContext(ctx, h.pixels(), 1<<16, func(lo, hi int) {
		if h.rgba != nil {
			for i := lo; i < hi; i++ {
				p.Levels[i] = labels[h.table[rgbaCode(binary.LittleEndian.Uint32(h.rgba[4*i:]))]]
			}
			return
		}
		for i, c := range h.codes[lo:hi] {
			p.Levels[lo+i] = labels[h.table[c]]
		}
	})
	if err != nil {
		return err
	}
	return cleanColourClasses(ctx, m, p, h.ch)
}
