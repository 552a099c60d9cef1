package segment

import (
	"github.com/gmmsimd/gmmsimd/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/internal/minimum"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
)

// Opening is the morphological opening of a plane (erosion, then dilation) with a square of
// side 2r+1: it removes bright specks smaller than the square.
func Opening(p *Plane, r int) {
	tmp := make([]uint16, len(p.Levels))
	erode(p, r, tmp)
	dilate(p, r, tmp)
}

// Closing is the morphological closing (dilation, then erosion) with a square of side 2r+1:
// it fills dark specks smaller than the square.
func Closing(p *Plane, r int) {
	tmp := make([]uint16, len(p.Levels))
	dilate(p, r, tmp)
	erode(p, r, tmp)
}

// openClose is Opening then Closing with one scratch buffer. The two dilations in the
// middle share their complements: erode, complement, erode twice, complement, erode.
func openClose(p *Plane, r int) {
	tmp := bigmem.Make[uint16](len(p.Levels))
	erode(p, r, tmp)
	complement(p.Levels)
	erode(p, r, tmp)
	erode(p, r, tmp)
	complement(p.Levels)
	erode(p, r, tmp)
}

// dilate is erosion of the complement: max(a, b) = ^min(^a, ^b).
func dilate(p *Plane, r int, tmp []uint16) {
	complement(p.Levels)
	erode(p, r, tmp)
	complement(p.Levels)
}

func complement(v []uint16) {
	parallel.For(len(v), 1<<16, func(lo, hi int) {
		for i := range v[lo:hi] {
			v[lo+i] = ^v[lo+i]
		}
	})
}

// erode replaces every level of p by the minimum over the square of side 2r+1 centred on
// it. Pixels outside the image are ignored, as OpenCV does by default. The square is
// separable: rows into tmp, then columns back into p, each as the minimum of shifted
// copies of a row (2r simple passes that stay in the L1 cache, rather than a window per
// pixel), over bands of rows in parallel.
func erode(p *Plane, r int, tmp []uint16) {
	w, h := p.Width, p.Height
	parallel.For(h, rowGrain(w), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src, dst := p.Levels[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
			copy(dst, src)
			for s := 1; s <= min(r, w-1); s++ {
				minimum.Into(dst[:w-s], src[s:]) // the neighbour s to the right
				minimum.Into(dst[s:], src[:w-s]) // and s to the left
			}
		}
	})
	parallel.For(h, rowGrain(w), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			dst := p.Levels[y*w : (y+1)*w]
			copy(dst, tmp[y*w:(y+1)*w])
			for yy := max(y-r, 0); yy < min(y+r+1, h); yy++ {
				if yy != y {
					minimum.Into(dst, tmp[yy*w:(yy+1)*w])
				}
			}
		}
	})
}
