package gmm

import (
	"context"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// A Source holds samples in another form than one row-major slice (an image's planes or
// bytes, say) and reads them a block at a time. FitSource and PredictSource read it tile
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
	if s.f != identityFrame {
		for i, v := range dst {
			dst[i] = T(s.f.in(float64(v)))
		}
	}
}

// tiles returns the samples as the kernels' driver d reads them: slices of the samples
// held row-major, or tiles read into its workers' buffers.
func (s *samples[T]) tiles(d *kernel.Driver) kernel.Tiles[T] {
	if s.x != nil {
		return kernel.Rows[T]{X: s.x, D: s.d}
	}
	return kernel.ReadTiles(d, s.n, s.d, s.read)
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
