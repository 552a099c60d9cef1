package gmm

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
)

// LevelValues returns the sample that each level 0..maxLevel stands for, level/maxLevel
// (pixel values scaled to [0, 1], as the reference program scales them), in the
// precision T. FitLevels and ClassifyLevels use these values, and so should the samples
// that a pixel-by-pixel Fit is compared with.
func LevelValues[T float32 | float64](maxLevel int) []T {
	v := make([]T, maxLevel+1)
	for l := range v {
		v[l] = T(float64(l) / float64(maxLevel))
	}
	return v
}

// checkMaxLevel validates the largest level of integer data.
func checkMaxLevel(maxLevel int) error {
	if maxLevel < 1 || maxLevel > math.MaxUint16 {
		return fmt.Errorf("gmm: %w: maximum level %d, want 1..65535", ErrInvalidData, maxLevel)
	}
	return nil
}

// FitLevels fits a mixture to integer data, sample n being levels[n]/maxLevel (see
// LevelValues): the histogram path. One parallel pass counts the levels; EM then runs on
// the distinct levels weighted by their counts, which is the same EM as Fit on the
// samples, over at most maxLevel+1 points instead of len(levels): the parameters and
// log-likelihoods agree with Fit's to rounding (1e-12 relative, tested), for every
// deterministic start. The random starts (InitKMeansPP, InitRandomFromData) draw from the
// same distribution but not the same samples. Options.Weights must be nil: FitLevels
// counts every sample once.
func FitLevels[T float32 | float64](ctx context.Context, levels []uint16, maxLevel int, opt Options) (*Result, error) {
	return onLevels(levels, maxLevel, opt, checkFit, func(d *kernel.Driver, x []T, opt Options, total float64) (*Result, error) {
		return fit(ctx, d, x, opt, total)
	})
}

// onLevels is onSamples for integer data (see FitLevels): it checks levels, and opt with
// check for len(levels) samples, starts opt's workers, counts the levels on them and runs
// run on the distinct levels with their counts as weights.
func onLevels[T float32 | float64, R any](levels []uint16, maxLevel int, opt Options, check func(Options, int) error, run runner[T, R]) (R, error) {
	var none R
	if err := checkMaxLevel(maxLevel); err != nil {
		return none, err
	}
	switch {
	case len(levels) == 0:
		return none, fmt.Errorf("gmm: %w: no samples", ErrInvalidData)
	case opt.Weights != nil:
		return none, fmt.Errorf("gmm: %w: the histogram path takes no Weights; use Fit for weighted samples", ErrInvalidOptions)
	}
	if err := check(opt, len(levels)); err != nil {
		return none, err
	}
	d, err := opt.driver()
	if err != nil {
		return none, err
	}
	defer d.Close()
	x, w, err := levelHistogram[T](d, levels, maxLevel)
	if err != nil {
		return none, err
	}
	opt.Weights = w
	return run(d, x, opt, float64(len(levels)))
}

// levelHistogram counts the levels on d's workers and returns the values of the levels
// that occur with their counts.
func levelHistogram[T float32 | float64](d *kernel.Driver, levels []uint16, maxLevel int) (x []T, counts []float64, err error) {
	all := make([]uint64, 1<<16)
	if top := kernel.Histogram(d, all, levels); top > maxLevel {
		return nil, nil, fmt.Errorf("gmm: %w: level %d above the maximum level %d", ErrInvalidData, top, maxLevel)
	}
	values := LevelValues[T](maxLevel)
	for l, c := range all[:maxLevel+1] {
		if c > 0 {
			x = append(x, values[l])
			counts = append(counts, float64(c))
		}
	}
	return x, counts, nil
}

// ClassifyLevels sets dst[n] to the index of the most responsible component of m for the
// sample levels[n]/maxLevel in the precision T, as Classify would, through a table of the
// maxLevel+1 levels' classes. dst may be levels itself. A level above maxLevel is an
// error, and leaves dst partly written.
func ClassifyLevels[T float32 | float64](m *Model, dst, levels []uint16, maxLevel int, opt Options) error {
	if err := checkMaxLevel(maxLevel); err != nil {
		return err
	}
	if len(dst) != len(levels) {
		return fmt.Errorf("gmm: ClassifyLevels: %d labels for %d samples", len(dst), len(levels))
	}
	lut := make([]uint16, maxLevel+1)
	if err := Classify(m, lut, LevelValues[T](maxLevel), opt); err != nil {
		return err
	}
	var above atomic.Bool
	parallel.For(len(levels), 1<<16, func(lo, hi int) {
		for i, v := range levels[lo:hi] {
			if int(v) > maxLevel {
				above.Store(true)
				return
			}
			dst[lo+i] = lut[v]
		}
	})
	if above.Load() {
		return fmt.Errorf("gmm: %w: a level above the maximum level %d", ErrInvalidData, maxLevel)
	}
	return nil
}
