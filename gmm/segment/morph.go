package segment

import (
	"context"

	"github.com/gmmsimd/gmmsimd/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/internal/minimum"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
)

// Opening is the morphological opening of a plane (erosion, then dilation) with a square of
// side 2r+1: it removes bright specks smaller than the square. If ctx is cancelled it
// stops within a band of rows, with p's levels partly filtered, and returns ctx.Err().
func Opening(ctx context.Context, p *Plane, r int) error {
	return filter(ctx, p, r, erode, complement, erode, complement)
}

// Closing is the morphological closing (dilation, then erosion) with a square of side 2r+1:
// it fills dark specks smaller than the square. It stops on ctx's cancellation as Opening
// does.
func Closing(ctx context.Context, p *Plane, r int) error {
	return filter(ctx, p, r, complement, erode, complement, erode)
}

// openClose is Opening then Closing with one scratch buffer. The two dilations in the
// middle share their complements (a dilation is the complement's erosion:
// max(a, b) = ^min(^a, ^b)): erode, complement, erode twice, complement, erode.
func openClose(ctx context.Context, p *Plane, r int) error {
	return filter(ctx, p, r, erode, complement, erode, erode, complement, erode)
}

// step is one stage of a filter over p's levels, with a scratch plane tmp.
type step func(ctx context.Context, p *Plane, r int, tmp []uint16) error

// filter runs the steps in turn with one scratch plane, until one is cut short.
func filter(ctx context.Context, p *Plane, r int, steps ...step) error {
	tmp := bigmem.Make[uint16](len(p.Levels))
	for _, s := range steps {
		if err := s(ctx, p, r, tmp); err != nil {
			return err
		}
	}
	return nil
}

// complement replaces every level v of p by ^v.
func complement(ctx context.Context, p *Plane, _ int, _ []uint16) error {
	v := p.Levels
	return parallel.ForContext(ctx, len(v), 1<<16, func(lo, hi int) {
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
func erode(ctx context.Context, p *Plane, r int, tmp []uint16) error {
	w, h := p.Width, p.Height
	err := parallel.ForContext(ctx, h, rowGrain(w), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src, dst := p.Levels[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
			copy(dst, src)
			for s := 1; s <= min(r, w-1); s++ {
				minimum.Into(dst[:w-s], src[s:]) // the neighbour s to the right
				minimum.Into(dst[s:], src[:w-s]) // and s to the left
			}
		}
	})
	if err != nil {
		return err
	}
	return parallel.ForContext(ctx, h, rowGrain(w), func(y0, y1 int) {
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
