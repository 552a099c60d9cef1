package gmm

import (
	"context"
	"fmt"

	"github.com/gmmsimd/gmmsimd/internal/drive"
)

// CountLevels prepares integer data for Fit: it counts the levels (pixel values, say) on
// e's workers and returns, for every level l that occurs, in increasing order, the sample
// values[l] that it stands for ([]T) weighted by its count. Fit on them is the same EM
// as on the samples the levels stand for (the parameters and log-likelihoods agree to
// rounding, 1e-12 relative in the tests), over at most len(values) points instead of
// len(levels): the histogram path of an image. So do SelectComponents and the scoring
// functions. A level of len(values) or more is an error.
// If ctx is cancelled, counting stops within a tile and the error wraps ctx.Err().
func CountLevels[T float32 | float64](ctx context.Context, levels []uint16, values []T, e Exec) (Weighted, error) {
	switch {
	case len(levels) == 0:
		return Weighted{}, fmt.Errorf("gmm: %w: no levels", ErrInvalidData)
	case len(values) == 0 || len(values) > 1<<16:
		return Weighted{}, fmt.Errorf("gmm: %w: %d level values, want 1 to 65536", ErrInvalidData, len(values))
	}
	all := make([]uint64, 1<<16)
	top := 0
	err := e.run(ctx, func(d *drive.Driver) error {
		top = drive.Histogram(d, all, levels)
		return stopped(ctx)
	})
	if err != nil {
		return Weighted{}, err
	}
	if top >= len(values) {
		return Weighted{}, fmt.Errorf("gmm: %w: level %d has no value (%d level values)", ErrInvalidData, top, len(values))
	}
	var x []T
	var counts []float64
	for l, c := range all[:len(values)] {
		if c > 0 {
			x = append(x, values[l])
			counts = append(counts, float64(c))
		}
	}
	return Weighted{Samples: x, Weights: counts}, nil
}
