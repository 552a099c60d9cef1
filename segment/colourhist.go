package segment

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"math"
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
// codes are read, then counted into tables of 16-bit counts indexed by code (32 MiB each,
// one for each of up to two bands of pixels), on the CPUs: by bands of rows, then by
// ranges of colours; ctx stops it between them. A JPEG's planes are
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
	counted, err := cc.count(ctx)
	if err != nil {
		return nil, err
	}
	return histogramOf[T](ctx, counted, img, src)
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

// maxTables is how many tables of counts NewColourHistogram fills at once, one a band of
// pixels: 32 MiB each, whatever the CPUs.
const maxTables = 2 // colourCounts.each reads one or two

// colourCounts are the counts of the pixels of each code, a band of pixels each.
type colourCounts []bandCounts

// bandCounts are the counts of one band of pixels: a table of 16-bit counts indexed by
// code, and in extra (nil until a count passes 65535) the 65535s that the table's count of
// a code gave up on the way: a count never goes back to 0, from 65535 it goes to 1 and
// extra takes 65535.
type bandCounts struct {
	table []uint16
	extra map[uint32]uint64
}

// count counts the pixels of each code, each CPU (up to maxTables) a band of the pixels
// into a table of its own. A band reads each pixel once and writes where its pixels lead,
// with no test of the code: splitting the codes instead, each CPU reading every pixel and
// counting those of its part, took 35 ms on a 20-megapixel photo against 20-24 ms, with a
// scan of the tables (Zen 5, 2 CPUs).
func (cc *colourCodes) count(ctx context.Context) (colourCounts, error) {
	bands := make(colourCounts, min(runtime.GOMAXPROCS(0), maxTables))
	n := max(len(cc.codes), len(cc.rgba)/4)
	err := parallel.ForContext(ctx, len(bands), 1, func(b, _ int) {
		bd := &bands[b]
		bd.table = bigmem.Make[uint16](codes)
		lo, hi := b*n/len(bands), (b+1)*n/len(bands)
		if cc.codes != nil {
			for _, c := range cc.codes[lo:hi] {
				bd.add(c)
			}
		} else {
			for i := 4 * lo; i < 4*hi; i += 4 {
				bd.add(rgbaCode(binary.LittleEndian.Uint32(cc.rgba[i:])))
			}
		}
	})
	return bands, err
}

// add counts a pixel of the code c.
func (b *bandCounts) add(c uint32) {
	v := b.table[c]
	if v == math.MaxUint16 {
		b.wrap(c)
		v = 0
	}
	b.table[c] = v + 1
}

// wrap moves the 65535 pixels of the code c counted so far into extra.
func (b *bandCounts) wrap(c uint32) {
	if b.extra == nil {
		b.extra = map[uint32]uint64{}
	}
	b.extra[c] += math.MaxUint16
}

// each calls f with every code of [from, to) that some pixel has, in increasing order, and
// its count.
func (cc colourCounts) each(from, to uint32, f func(c uint32, n uint64)) {
	// One band or two (maxTables): with one, it is both.
	first, last := &cc[0], &cc[len(cc)-1]
	a, b := first.table[from:to], last.table[from:to]
	b = b[:len(a)]
	for i, v := range a {
		if v|b[i] == 0 {
			continue
		}
		c := from + uint32(i)
		n := uint64(v) + first.extra[c]
		if last != first {
			n += uint64(b[i]) + last.extra[c]
		}
		f(c, n)
	}
}

// histogramOf returns the ColourHistogram of the colours of img (read from src) that cc
// counted, in increasing order of code: the codes in a part for each CPU, each part's
// colours made into samples of its own, then joined in the order of the parts.
func histogramOf[T float32 | float64](ctx context.Context, cc colourCounts, img image.Image, src *colourSource) (*ColourHistogram[T], error) {
	parts := make([]ColourHistogram[T], runtime.GOMAXPROCS(0))
	lv := newLevels(255)
	err := parallel.ForContext(ctx, len(parts), 1, func(p, _ int) {
		part := &parts[p]
		var o [3]T
		from, to := uint32(p*codes/len(parts)), uint32((p+1)*codes/len(parts))
		cc.each(from, to, func(c uint32, n uint64) {
			part.Counts = append(part.Counts, float64(n))
			// Each distinct colour as ColourSamples makes a pixel of it.
			sampleOf(src, o[:], c>>16, c>>8&0xff, c&0xff, lv)
			part.X = append(part.X, o[:]...)
		})
	})
	if err != nil {
		return nil, err
	}
	distinct := 0
	for _, part := range parts {
		distinct += len(part.Counts)
	}
	h := &ColourHistogram[T]{img: img, ch: src.ch, Counts: make([]float64, 0, distinct), X: make([]T, 0, 3*distinct)}
	for _, part := range parts {
		h.Counts = append(h.Counts, part.Counts...)
		h.X = append(h.X, part.X...)
	}
	return h, nil
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
