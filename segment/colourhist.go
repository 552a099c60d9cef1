package segment

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
	"runtime"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// codes is how many colours of three 8-bit values there are: a table indexed by colour.
const codes = 1 << 24

// A ColourHistogram is the distinct colours of an 8-bit image in a colour space, with how
// many pixels have each: gmm.Fit on them with the counts as Options.Weights is the fit over
// every pixel, over a few hundred thousand points at most for a photo rather than its
// millions of pixels. It keeps the image, to label its pixels after.
type ColourHistogram[T float32 | float64] struct {
	img image.Image
	ch  Channel
	// X holds the distinct colours as samples, three values each, and Counts how many
	// pixels have each: Fit's samples and Options.Weights.
	X      []T
	Counts []float64
}

// colourCodes are an image's pixels as colour codes, each pixel's R, G, B (or Y, Cb, Cr)
// bytes as one number: in codes, or in rgba, the pixels of an 8-bit RGBA image whose rows
// follow each other (what libjpeg-turbo decodes), each pixel's code its first three bytes
// (rgbaCode), so that no copy of them is made.
type colourCodes struct {
	codes []uint32
	rgba  []byte
}

// NewColourHistogram counts the distinct colours of img, an 8-bit image, in the colour
// space ch: as samples (ColourSamples' values, three a colour, in increasing order of
// their R, G, B bytes, or of Y, Cb, Cr for a YCbCr image in ycbcr) with their counts. The
// codes are read, then counted into a table indexed by code (64 MiB), on the CPUs: by
// bands of rows, then by ranges of colours; ctx stops it between them. A JPEG's planes are
// upsampled and converted a row at a time as the codes are read: no whole RGB copy is
// made. The codes and the table are dropped when it returns.
func NewColourHistogram[T float32 | float64](ctx context.Context, img image.Image, ch Channel) (*ColourHistogram[T], error) {
	if ch.Dims() != 3 {
		return nil, fmt.Errorf("segment: %v is not a colour space", ch)
	}
	if Depth(img) != 8 {
		return nil, fmt.Errorf("segment: a colour histogram needs an 8-bit image, not %d-bit", Depth(img))
	}
	src := newColourSource(img, ch)
	cc, err := readCodes(ctx, src)
	if err != nil {
		return nil, err
	}
	table, err := cc.count(ctx)
	if err != nil {
		return nil, err
	}
	// Each distinct colour as ColourSamples makes a pixel of it.
	distinct := 0
	for _, n := range table {
		distinct += int(min(n, 1))
	}
	h := &ColourHistogram[T]{img: img, ch: ch, Counts: make([]float64, 0, distinct), X: make([]T, 0, 3*distinct)}
	lv := newLevels(255)
	var o [3]T
	for c, n := range table {
		if n == 0 {
			continue
		}
		h.Counts = append(h.Counts, float64(n))
		sampleOf(src, o[:], uint32(c)>>16, uint32(c)>>8&0xff, uint32(c)&0xff, lv)
		h.X = append(h.X, o[:]...)
	}
	return h, nil
}

// readCodes returns every pixel's colour code, its three values from src (8 bits each)
// as one number, read by bands of rows on the CPUs.
func readCodes(ctx context.Context, src *colourSource) (*colourCodes, error) {
	b := src.img.Bounds()
	w, h := b.Dx(), b.Dy()
	if pix, stride := rgba8(src.img); pix != nil && src.ycc == nil && stride == 4*w {
		return &colourCodes{rgba: pix[:4*w*h]}, ctx.Err()
	}
	codes := bigmem.Make[uint32](w * h)
	err := parallel.ForContext(ctx, h, rowGrain(w), func(y0, y1 int) {
		out := codes[y0*w : y1*w]
		src.span(y0*w, y1*w, func(i int, v0, v1, v2 uint32) { out[i] = v0<<16 | v1<<8 | v2 })
	})
	return &colourCodes{codes: codes}, err
}

// rgbaCode is the colour code of the RGBA pixel whose bytes, read as a little-endian
// word, are w: its R, G, B as one number, R highest.
func rgbaCode(w uint32) uint32 { return bits.ReverseBytes32(w) >> 8 }

// count returns a table of how many pixels have each code, each CPU counting a range of
// codes over every pixel, so that no two write one entry.
func (cc *colourCodes) count(ctx context.Context) ([]uint32, error) {
	table := bigmem.Make[uint32](codes)
	parts := runtime.GOMAXPROCS(0)
	err := parallel.ForContext(ctx, parts, 1, func(lo, hi int) {
		from, to := uint32(lo*codes/parts), uint32(hi*codes/parts)
		for _, c := range cc.codes {
			if c >= from && c < to {
				table[c]++
			}
		}
		for i := 0; i+4 <= len(cc.rgba); i += 4 {
			if c := rgbaCode(binary.LittleEndian.Uint32(cc.rgba[i:])); c >= from && c < to {
				table[c]++
			}
		}
	})
	return table, err
}

// Classes sets every level of p (allocated if nil) to the most responsible component of m
// for its pixel's colour, and cleans them: ColourClasses on the image's pixels in the
// precision T. Predicting each pixel outruns looking its colour's label up in a table of
// 16 million colours, whose reads, at random, miss every cache.
func (h *ColourHistogram[T]) Classes(ctx context.Context, m *gmm.Model, p *Plane, e gmm.Exec) error {
	px, err := ColourPixels[T](h.img, h.ch, 8)
	if err != nil {
		return err
	}
	return ColourClasses(ctx, m, px, p, h.ch, e)
}
