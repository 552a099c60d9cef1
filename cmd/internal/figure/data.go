// Package figure draws a fit as image files, with gonum.org/v1/plot: the segmentation
// after every iteration in a strip, a summary sheet (input, segmentation, histogram with
// the mixture, initial against final mixture, log-likelihood), and the mixture over the
// pixel histogram after every iteration. Component k has the same colour in every panel
// (segment.ClassColour).
package figure

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"

	xdraw "golang.org/x/image/draw"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment"
)

// Histogram is a density histogram: Density[i] is the share of the samples in the i-th of
// len(Density) equal bins over [Lo, Hi], divided by the bin's width, so that it integrates
// to 1.
type Histogram struct {
	Lo, Hi  float64
	Density []float64
}

// NewHistogram returns the density histogram of x in bins equal bins over [lo, hi]
// (lo < hi, bins >= 1), in one parallel pass. Samples outside the range count in the
// end bins; NaN samples are left out.
func NewHistogram[T float32 | float64](x []T, lo, hi float64, bins int) Histogram {
	counts := make([]int, bins)
	var mu sync.Mutex
	scale := float64(bins) / (hi - lo)
	parallel.For(len(x), 1<<16, func(from, to int) {
		local := make([]int, bins)
		for _, v := range x[from:to] {
			f := (float64(v) - lo) * scale
			switch {
			case f != f: // NaN
				continue
			case f < 0:
				f = 0
			case f >= float64(bins):
				f = float64(bins - 1)
			}
			local[int(f)]++
		}
		mu.Lock()
		for i, c := range local {
			counts[i] += c
		}
		mu.Unlock()
	})
	total := 0
	for _, c := range counts {
		total += c
	}
	h := Histogram{Lo: lo, Hi: hi, Density: make([]float64, bins)}
	if total > 0 {
		for i, c := range counts {
			h.Density[i] = float64(c) / float64(total) * scale
		}
	}
	return h
}

// BinWidth is the width of one bin.
func (h Histogram) BinWidth() float64 { return (h.Hi - h.Lo) / float64(len(h.Density)) }

// Thumbnail is a plane of samples in [0, 1] shrunk to fit a square: Gray averages each
// block of pixels, for showing; Samples holds each block's centre sample, so that
// labelling them labels those pixels exactly as the full image's labelling does.
type Thumbnail struct {
	Gray    *image.Gray
	Samples []float64
}

// NewThumbnail shrinks the width x height plane x (row-major) by a whole factor so that
// neither side exceeds maxSide.
func NewThumbnail[T float32 | float64](x []T, width, height, maxSide int) *Thumbnail {
	step := max(1, (max(width, height)+maxSide-1)/maxSide)
	tw, th := (width+step-1)/step, (height+step-1)/step
	t := &Thumbnail{Gray: image.NewGray(image.Rect(0, 0, tw, th)), Samples: make([]float64, tw*th)}
	parallel.For(th, 8, func(r0, r1 int) {
		for ty := r0; ty < r1; ty++ {
			y0, y1 := ty*step, min((ty+1)*step, height)
			for tx := range tw {
				x0, x1 := tx*step, min((tx+1)*step, width)
				sum := 0.0
				for y := y0; y < y1; y++ {
					for _, v := range x[y*width+x0 : y*width+x1] {
						sum += float64(v)
					}
				}
				mean := sum / float64((y1-y0)*(x1-x0))
				t.Gray.Pix[ty*t.Gray.Stride+tx] = uint8(math.Round(255 * min(1, max(0, mean))))
				t.Samples[ty*tw+tx] = float64(x[((y0+y1)/2)*width+(x0+x1)/2])
			}
		}
	})
	return t
}

// Labelled returns the thumbnail's samples labelled under m, each pixel in colour(k) of
// its most responsible component k.
func (t *Thumbnail) Labelled(m *gmm.Model, colour func(k int) color.Color) (image.Image, error) {
	labels := make([]uint16, len(t.Samples))
	if err := gmm.Predict(context.Background(), m, labels, t.Samples, gmm.Exec{}); err != nil {
		return nil, err
	}
	pal := make(color.Palette, m.K())
	for k := range pal {
		pal[k] = colour(k)
	}
	b := t.Gray.Bounds()
	img := image.NewRGBA(b)
	for i, l := range labels {
		r, g, bl, a := pal[l].RGBA()
		o := i * 4
		img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = uint8(r>>8), uint8(g>>8), uint8(bl>>8), uint8(a>>8)
	}
	return img, nil
}

// Shrink returns img scaled down by nearest neighbour (class images must not blend) so
// that neither side exceeds maxSide, 16-bit if img is; a smaller image is returned as it
// is.
func Shrink(img image.Image, maxSide int) image.Image {
	b := img.Bounds()
	if b.Dx() <= maxSide && b.Dy() <= maxSide {
		return img
	}
	scale := float64(maxSide) / float64(max(b.Dx(), b.Dy()))
	w, h := max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))
	var out xdraw.Image = image.NewRGBA(image.Rect(0, 0, w, h))
	if segment.Depth(img) == 16 { // keep 16-bit levels: a 16-bit image's samples read them
		out = image.NewRGBA64(out.Bounds())
	}
	xdraw.NearestNeighbor.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	return out
}

// GrayOfMean is the colour of the gray-level segmentation: component k of m as the gray
// of its mean (samples in [0, 1]).
func GrayOfMean(m *gmm.Model) func(k int) color.Color {
	return func(k int) color.Color {
		return color.Gray{Y: uint8(math.Round(255 * min(1, max(0, m.Means[k]))))}
	}
}
