package segment

import (
	"fmt"
	"image"
	"image/color"
	"slices"
	"sync/atomic"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// IndexedGray returns the gray levels of p, as Segment and MeanLevels leave them (each
// pixel the mean of a component of m as a level of 0..p.Max, p.Max at most 255), as a
// paletted image whose palette holds those levels in increasing order: a segmentation of
// K classes takes a byte a pixel in memory and, as a PNG (see WritePNG), the fewest bits
// that index K colours. A level that is no component's mean is an error.
func IndexedGray(m *gmm.Model, p *Plane) (*image.Paletted, error) {
	if p.Max < 1 || p.Max > 255 {
		return nil, fmt.Errorf("segment: an indexed gray image of levels 0..%d, want at most 255", p.Max)
	}
	levels := slices.Compact(slices.Sorted(slices.Values(meanLUT(m, p.Max))))
	var index [256]uint8
	var known [256]bool
	pal := make(color.Palette, len(levels))
	for i, l := range levels {
		index[l], known[l] = uint8(i), true
		pal[i] = color.Gray{uint8(l)} // as Image writes the level
	}
	img := &image.Paletted{Pix: bigmem.Make[uint8](len(p.Levels)), Stride: p.Width, Rect: image.Rect(0, 0, p.Width, p.Height), Palette: pal}
	var bad atomic.Bool
	parallel.For(len(p.Levels), 1<<16, func(lo, hi int) {
		for i, v := range p.Levels[lo:hi] {
			if v > 255 || !known[v] {
				bad.Store(true)
				return
			}
			img.Pix[lo+i] = index[v]
		}
	})
	if bad.Load() {
		return nil, fmt.Errorf("segment: a level that is no component's mean")
	}
	return img, nil
}
