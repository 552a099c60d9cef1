package gmm

import (
	"fmt"
	"math"
	"slices"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// checkFinite reports the first value of x that is NaN or infinite, what Fit, scoring
// and Predict refuse alike, as the value first+i of the data, and otherwise returns the
// values' range.
func checkFinite[T float32 | float64](x []T, first int) (lo, hi float64, err error) {
	lo, hi, ok := finiteRange(x)
	if ok {
		return lo, hi, nil
	}
	// Not ok: some v - v was NaN, so some v is NaN or infinite.
	i := slices.IndexFunc(x, func(v T) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) })
	return 0, 0, fmt.Errorf("gmm: %w: sample %d is %v", ErrInvalidData, first+i, x[i])
}

// finiteRange returns the range of x and whether every value is finite, in one pass of
// few branches: v - v is 0 for a finite v and NaN otherwise, and a NaN never passes a
// comparison. Two chains of each sum and comparison, for even and odd values, halve the
// wait on the adds' latency; it checks the samples of a fit at a few times the speed of a
// test of each value.
func finiteRange[T float32 | float64](x []T) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	lo2, hi2, nan, nan2 := lo, hi, 0.0, 0.0
	i := 0
	for ; i+1 < len(x); i += 2 {
		a, b := float64(x[i]), float64(x[i+1])
		nan += a - a
		nan2 += b - b
		if a < lo {
			lo = a
		}
		if a > hi {
			hi = a
		}
		if b < lo2 {
			lo2 = b
		}
		if b > hi2 {
			hi2 = b
		}
	}
	if i < len(x) {
		a := float64(x[i])
		nan += a - a
		lo, hi = min(lo, a), max(hi, a)
	}
	return min(lo, lo2), max(hi, hi2), nan+nan2 == 0
}

// dataset is what Fit knows of its samples once checked: how many there are, their
// weights' sum and the frame it fits them in.
type dataset struct {
	n      int
	total  float64
	frame  frame
	single bool // some samples are float32
}

// checkShape checks that n values are samples of dims features each (0 means 1).
func checkShape(n, dims int) error {
	switch {
	case dims < 0 || dims > MaxDims:
		return fmt.Errorf("gmm: %w: Dims is %d, want 0 to %d", ErrInvalidOptions, dims, MaxDims)
	case n%max(dims, 1) != 0:
		return fmt.Errorf("gmm: %w: %d values are not samples of %d features", ErrInvalidData, n, max(dims, 1))
	}
	return nil
}

// checkSamples checks that the samples s are finite and their weights w valid, in one
// pass over them, and puts s in the frame the fit runs in: a slice is mapped on a copy,
// a source as it is read.
func checkSamples[T float32 | float64](s *samples[T], w []float64) (*samples[T], dataset, error) {
	lo, hi, err := s.valueRange()
	if err != nil {
		return nil, dataset{}, err
	}
	data := dataset{n: s.n, total: float64(s.n), frame: frameOf(lo, hi), single: !is64[T]()}
	if s.x != nil {
		s.x = samplesIn(data.frame, s.x)
	} else {
		s.f = data.frame
	}
	if w == nil {
		return s, data, nil
	}
	if data.total, err = checkWeights(w, s.n); err != nil {
		return nil, dataset{}, err
	}
	if !(data.total > 0) || math.IsInf(data.total, 0) {
		return nil, dataset{}, fmt.Errorf("gmm: %w: the weights sum to %v", ErrInvalidData, data.total)
	}
	return s, data, nil
}

// checkWeights checks that w holds one non-negative finite weight for each of n samples,
// and returns their sum.
func checkWeights(w []float64, n int) (total float64, err error) {
	if len(w) != n {
		return 0, fmt.Errorf("gmm: %w: %d weights for %d samples", ErrInvalidData, len(w), n)
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("gmm: %w: weight %d is %v, want non-negative and finite", ErrInvalidData, i, v)
		}
		total += v
	}
	return total, nil
}

// check validates the options for n samples, weighted or not.
func (o *Options) check(n int, weighted bool) error {
	if _, err := o.Exec.kernels(); err != nil {
		return err
	}
	switch {
	case o.Components < 1:
		return fmt.Errorf("gmm: %w: Components is %d, want at least 1", ErrInvalidOptions, o.Components)
	case o.Components > n && !weighted:
		return fmt.Errorf("gmm: %w: %d components for %d samples", ErrInvalidOptions, o.Components, n)
	case o.Components > kernel.MaxComponents:
		return fmt.Errorf("gmm: %w: %d components, at most %d are supported", ErrInvalidOptions, o.Components, kernel.MaxComponents)
	case (o.MaxIter < 1 && o.MaxIter != NoIterations) || o.MaxIter > MaxIterations:
		return fmt.Errorf("gmm: %w: MaxIter is %d, want 1 to %d (0 for 100), or NoIterations for the start alone", ErrInvalidOptions, o.MaxIter, MaxIterations)
	case !(o.Tol >= 0) || math.IsInf(o.Tol, 0):
		return fmt.Errorf("gmm: %w: Tol is %v, want non-negative and finite, or Off", ErrInvalidOptions, o.Tol)
	case !(o.AddedVariance >= 0) || math.IsInf(o.AddedVariance, 0):
		return fmt.Errorf("gmm: %w: AddedVariance is %v, want non-negative and finite, or Off", ErrInvalidOptions, o.AddedVariance)
	case o.NInit < 0:
		return fmt.Errorf("gmm: %w: NInit is %d, want 0 or more", ErrInvalidOptions, o.NInit)
	case o.Covariance < Full || o.Covariance > Tied:
		return fmt.Errorf("gmm: %w: %v", ErrInvalidOptions, o.Covariance)
	case o.InitModel != nil && o.InitModel.K() != o.Components:
		return fmt.Errorf("gmm: %w: InitModel has %d components, Components is %d", ErrInvalidOptions, o.InitModel.K(), o.Components)
	}
	return o.checkParts()
}
