package gmm

import (
	"context"
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/internal/drive"
)

// A Source holds samples in another form than one row-major slice (an image's planes or
// bytes, say) and reads them a block at a time. Fit and Predict read it tile
// by tile into buffers of a tile per worker, in cache, so that the samples are never
// copied whole: what a 20-megapixel colour image in float64 would take 480 MB for.
type Source[T float32 | float64] interface {
	// Len returns the number of samples.
	Len() int
	// Read sets dst to the samples from lo on, row-major: len(dst)/Dims samples of Dims
	// features, all below Len. It is called from several goroutines at once, on
	// disjoint ranges, and must give the same values for a sample every time.
	Read(dst []T, lo int)
}

// A PlaneSource is a Source that can also read its samples as planes, one feature of a
// run of samples after another: the multichannel SIMD kernels take planes, and read them
// a block at a time into L1 instead of transposing rows.
type PlaneSource[T float32 | float64] interface {
	Source[T]
	// ReadPlanes sets dst to the n = len(dst)/Dims samples from lo on, feature j of
	// sample lo+i at dst[j*n+i]: the values Read gives. It is called as Read is.
	ReadPlanes(dst []T, lo int)
}

// A RangedSource is a Source that knows where its values lie: every value it reads is
// finite and within Range. Fit, SelectComponents and Predict then skip
// the pass that checks the samples; a source whose values leave its range gets fits and
// labels of no meaning.
type RangedSource[T float32 | float64] interface {
	Source[T]
	Range() (lo, hi float64)
}

// blockSamples is how many samples the starts and checks read from a source at a time.
const blockSamples = 4096

// samples are the data of a fit as its passes read them, in the fit's frame: one
// row-major slice, or a Source read a block at a time and mapped into the frame.
type samples[T float32 | float64] struct {
	x    []T // the samples, row-major, if held so; else read from src
	src  Source[T]
	n, d int
	f    frame // the frame src's values are mapped into
}

// rowSamples returns the samples x, row-major, d features each.
func rowSamples[T float32 | float64](x []T, d int) *samples[T] {
	return &samples[T]{x: x, n: len(x) / d, d: d, f: identityFrame}
}

// read sets dst to the samples from lo on, in the frame.
func (s *samples[T]) read(dst []T, lo int) {
	if s.x != nil {
		copy(dst, s.x[lo*s.d:])
		return
	}
	s.src.Read(dst, lo)
	s.inFrame(dst)
}

// planeReader returns a function that reads the samples from lo on as planes, in the
// frame, or nil if the source cannot.
func (s *samples[T]) planeReader() func(dst []T, lo int) {
	ps, ok := s.src.(PlaneSource[T])
	if !ok {
		return nil
	}
	return func(dst []T, lo int) {
		ps.ReadPlanes(dst, lo)
		s.inFrame(dst)
	}
}

// inFrame maps the values read into the frame.
func (s *samples[T]) inFrame(dst []T) {
	if s.f != identityFrame {
		for i, v := range dst {
			dst[i] = T(s.f.in(float64(v)))
		}
	}
}

// tiles returns the samples as the kernels' driver d reads them: slices of the samples
// held row-major, or tiles read into its workers' buffers.
func (s *samples[T]) tiles(d *drive.Driver) drive.Tiles[T] {
	if s.x != nil {
		return drive.Rows[T]{X: s.x, D: s.d}
	}
	return drive.ReadTiles(d, s.n, s.d, s.read, s.planeReader())
}

// each calls f with consecutive blocks of the samples, row-major, and the index of each
// block's first sample, until f returns an error or ctx is done.
func (s *samples[T]) each(ctx context.Context, f func(lo int, x []T) error) error {
	var buf []T
	if s.x == nil {
		buf = make([]T, min(blockSamples, s.n)*s.d)
	}
	for lo := 0; lo < s.n; lo += blockSamples {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+blockSamples, s.n)
		var blk []T
		if s.x != nil {
			blk = s.x[lo*s.d : hi*s.d]
		} else {
			blk = buf[:(hi-lo)*s.d]
			s.read(blk, lo)
		}
		if err := f(lo, blk); err != nil {
			return err
		}
	}
	return nil
}

// tiled are samples as the passes of a start read them on a driver's workers, a tile at
// a time; each tile's results are kept apart and added up in tile order by the caller,
// so that a start gives the same bits for any number of workers.
type tiled[T float32 | float64] struct {
	*samples[T]
	dr    *drive.Driver
	tiles drive.Tiles[T]
	count int // tiles in a pass
}

// onDriver returns s as the passes on d read them.
func (s *samples[T]) onDriver(d *drive.Driver) *tiled[T] {
	return &tiled[T]{samples: s, dr: d, tiles: s.tiles(d), count: d.Tiles(s.n, s.d)}
}

// eachTile calls f with the index of every tile, its first sample and its samples, on
// the workers: f writes only to its tile's results. It returns ctx's error if ctx stopped
// the pass.
func (tl *tiled[T]) eachTile(ctx context.Context, f func(t, lo int, x []T)) error {
	tl.dr.ForTiles(tl.n, tl.d, func(w, t, lo, hi int) { f(t, lo, tl.tiles.Tile(w, lo, hi)) })
	return ctx.Err()
}

// valueRange returns the range of the samples' values, from a RangedSource's word or one
// pass over them that fails on the first NaN or infinite value.
func (s *samples[T]) valueRange() (lo, hi float64, err error) {
	if r, ok := s.src.(RangedSource[T]); ok {
		lo, hi = r.Range()
		if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return 0, 0, fmt.Errorf("gmm: %w: a source's range [%v, %v]", ErrInvalidData, lo, hi)
		}
		return lo, hi, nil
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	err = s.each(context.Background(), func(first int, x []T) error {
		l, h, err := checkFinite(x, first*s.d)
		lo, hi = min(lo, l), max(hi, h)
		return err
	})
	return lo, hi, err
}

// at returns sample i, in buf if the samples are read.
func (s *samples[T]) at(i int, buf []T) []T {
	if s.x != nil {
		return s.x[i*s.d : (i+1)*s.d]
	}
	s.read(buf[:s.d], i)
	return buf[:s.d]
}

// held returns the samples in one row-major slice: the one they are held in, or a copy
// read from the source (what the one-dimensional kernels take).
func (s *samples[T]) held() []T {
	if s.x == nil {
		x := make([]T, s.n*s.d)
		s.read(x, 0)
		s.x, s.src = x, nil
	}
	return s.x
}
