package segment

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"

	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
	"github.com/gmmsimd/gmmsimd/segment/internal/minimum"
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

// openClose sets every level v of p to out[w], w the opening then closing of the levels
// in[v] (nil maps leave the levels as they are): Opening then Closing, between two maps.
// The two dilations in the middle share their complements (a dilation is the
// complement's erosion: max(a, b) = ^min(^a, ^b)): erode, complement, erode twice,
// complement, erode. It runs band by band of rows, each band mapped in, filtered and
// mapped out in cache, in place (see bands). A level that in (or a result that out) has
// no entry for is errUnmapped.
func openClose(ctx context.Context, p *Plane, r int, in, out []uint16) error {
	return bands(ctx, p, 4*r, in, out, func(b *Plane, tmp []uint16) {
		erodeBand(b, r, tmp)
		complementBand(b.Levels)
		erodeBand(b, r, tmp)
		erodeBand(b, r, tmp)
		complementBand(b.Levels)
		erodeBand(b, r, tmp)
	})
}

// errUnmapped is openClose's error for a level that its map has no entry for.
var errUnmapped = errors.New("a level outside the map")

// filterRows is how many rows of output a band of openClose gives: with the rows around it
// that the chain reaches, two planes of a band of a 5472-pixel row take about 3 MB, in
// the L2 and L3 caches, and the rows computed twice (halo of them either side) cost an
// eighth more than the band.
const filterRows = 128

// bands applies chain, which changes a plane's levels in place with a scratch buffer
// (tmp), to p's levels mapped through in, band by band of rows on the CPUs, and sets them
// to what it gives mapped through out (a nil map is none). Each band is copied with the
// halo rows above and below it on which its rows depend (chain must reach no further),
// filtered alone, and its own rows kept: an image's edge is an edge of the band too, and
// a band's other edges are far enough from its own rows that they do not change them
// (halo must be under filterRows, as it is for every radius below 32). The bands go in
// waves, one a CPU: a wave's bands are copied and filtered, then written back, once the
// input rows just above the next wave are put aside; so the filter needs no second
// plane. ctx stops it between waves, p's levels partly done.
func bands(ctx context.Context, p *Plane, halo int, in, out []uint16, chain func(b *Plane, tmp []uint16)) error {
	w, h := p.Width, p.Height
	workers := runtime.GOMAXPROCS(0)
	scratch := make([][]uint16, workers) // each band of a wave: its plane, then its scratch
	carry := make([]uint16, halo*w)      // the input rows above the wave, since overwritten
	var unmapped atomic.Bool
	for y := 0; y < h; y += workers * filterRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(y+workers*filterRows, h)
		rowsOf := func(b int) (y0, y1, lo, hi int) {
			y0 = y + b*filterRows
			y1 = min(y0+filterRows, end)
			return y0, y1, max(y0-halo, 0), min(y1+halo, h)
		}
		n := (end - y + filterRows - 1) / filterRows
		parallel.For(n, 1, func(b, _ int) {
			_, _, lo, hi := rowsOf(b)
			if scratch[b] == nil {
				scratch[b] = make([]uint16, 2*(filterRows+2*halo)*w)
			}
			levels, tmp := scratch[b][:(hi-lo)*w], scratch[b][(hi-lo)*w:2*(hi-lo)*w]
			above := max(y-lo, 0) // rows above the wave: their input is in carry
			ok := mapInto(levels[:above*w], carry[(halo-above)*w:], in)
			ok = mapInto(levels[above*w:], p.Levels[(lo+above)*w:hi*w], in) && ok
			chain(&Plane{Width: w, Height: hi - lo, Max: p.Max, Levels: levels}, tmp)
			if !ok {
				unmapped.Store(true)
			}
		})
		if end < h {
			copy(carry, p.Levels[(end-halo)*w:end*w])
		}
		parallel.For(n, 1, func(b, _ int) {
			y0, y1, lo, _ := rowsOf(b)
			if !mapInto(p.Levels[y0*w:y1*w], scratch[b][(y0-lo)*w:(y1-lo)*w], out) {
				unmapped.Store(true)
			}
		})
	}
	if unmapped.Load() {
		return errUnmapped
	}
	return nil
}

// mapInto sets dst[i] to lut[src[i]] (to src[i] for a nil lut) and reports whether lut
// had an entry for every one (a level without one becomes 0).
func mapInto(dst, src, lut []uint16) bool {
	if lut == nil {
		copy(dst, src)
		return true
	}
	ok := true
	for i, v := range src[:len(dst)] {
		if int(v) < len(lut) {
			dst[i] = lut[v]
		} else {
			dst[i], ok = 0, false
		}
	}
	return ok
}

// erodeBand is erode of a band, on the goroutine that calls it.
func erodeBand(p *Plane, r int, tmp []uint16) {
	erodeRows(p, r, tmp, 0, p.Height)
	erodeColumns(p, r, tmp, 0, p.Height)
}

// complementBand replaces every level v by ^v.
func complementBand(v []uint16) {
	for i := range v {
		v[i] = ^v[i]
	}
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
	return parallel.ForContext(ctx, len(v), 1<<16, func(lo, hi int) { complementBand(v[lo:hi]) })
}

// erode replaces every level of p by the minimum over the square of side 2r+1 centred on
// it. Pixels outside the image are ignored, as OpenCV does by default. The square is
// separable: rows into tmp, then columns back into p, each as the minimum of shifted
// copies of a row (2r simple passes that stay in the L1 cache, rather than a window per
// pixel), over bands of rows in parallel.
func erode(ctx context.Context, p *Plane, r int, tmp []uint16) error {
	grain := rowGrain(p.Width)
	err := parallel.ForContext(ctx, p.Height, grain, func(y0, y1 int) { erodeRows(p, r, tmp, y0, y1) })
	if err != nil {
		return err
	}
	return parallel.ForContext(ctx, p.Height, grain, func(y0, y1 int) { erodeColumns(p, r, tmp, y0, y1) })
}

// erodeRows sets rows [y0, y1) of tmp to the minimum of p's levels over the row's 2r+1
// pixels around each.
func erodeRows(p *Plane, r int, tmp []uint16, y0, y1 int) {
	w := p.Width
	for y := y0; y < y1; y++ {
		src, dst := p.Levels[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		copy(dst, src)
		for s := 1; s <= min(r, w-1); s++ {
			minimum.Into(dst[:w-s], src[s:]) // the neighbour s to the right
			minimum.Into(dst[s:], src[:w-s]) // and s to the left
		}
	}
}

// erodeColumns sets rows [y0, y1) of p's levels to the minimum of tmp over the column's
// 2r+1 pixels around each.
func erodeColumns(p *Plane, r int, tmp []uint16, y0, y1 int) {
	w, h := p.Width, p.Height
	for y := y0; y < y1; y++ {
		dst := p.Levels[y*w : (y+1)*w]
		copy(dst, tmp[y*w:(y+1)*w])
		for yy := max(y-r, 0); yy < min(y+r+1, h); yy++ {
			if yy != y {
				minimum.Into(dst, tmp[yy*w:(yy+1)*w])
			}
		}
	}
}
