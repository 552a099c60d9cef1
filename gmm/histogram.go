package gmm

import (
	"fmt"
	"math"
	"slices"
)

// MaxCount is the largest count a Histogram holds: every integer up to it is a float64,
// so that counts add exactly.
const MaxCount = 1 << 53

// Histogram is samples with integer counts: the distinct samples in increasing order
// (row-major, Dims values each, compared feature by feature) and how many times each
// occurs. Merge adds another shard's counts exactly, so the histogram of a collection is
// one pass over its shards, the same whatever their order or grouping; Fit on Values with
// Counts as Options.Weights then fits every sample counted. CountLevels gives the values
// and counts of integer data, which NewHistogram takes.
type Histogram struct {
	Dims   int
	Values []float64
	Counts []float64
}

// NewHistogram returns the histogram of the samples x, of dims features each (0 means
// 1), each counted counts[i] times (nil: once). Equal samples are counted together (-0
// as 0), and samples counted 0 times left out. A NaN or infinite value, or a count that
// is not an integer from 0 to MaxCount, is an error.
func NewHistogram[T float32 | float64](x []T, counts []float64, dims int) (*Histogram, error) {
	d := max(dims, 1)
	if err := checkShape(len(x), dims); err != nil {
		return nil, err
	}
	if _, _, err := checkFinite(x, 0); err != nil {
		return nil, err
	}
	n := len(x) / d
	if counts != nil && len(counts) != n {
		return nil, fmt.Errorf("gmm: %w: %d counts for %d samples", ErrInvalidData, len(counts), n)
	}
	h := &Histogram{Dims: d, Values: make([]float64, len(x)), Counts: make([]float64, n)}
	for i, v := range x {
		if h.Values[i] = float64(v); v == 0 {
			h.Values[i] = 0 // -0 is 0: which of them a shard holds must not matter
		}
	}
	for i := range h.Counts {
		h.Counts[i] = 1
		if counts != nil {
			h.Counts[i] = counts[i]
		}
		if c := h.Counts[i]; !isCount(c) {
			return nil, fmt.Errorf("gmm: %w: count %d is %v, want an integer from 0 to 2^53", ErrInvalidData, i, c)
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return slices.Compare(h.row(a), h.row(b)) })
	out := &Histogram{Dims: d}
	for _, i := range order {
		if err := out.add(h.row(i), h.Counts[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// isCount reports whether c is an integer from 0 to MaxCount.
func isCount(c float64) bool { return c >= 0 && c <= MaxCount && c == math.Trunc(c) }

// row returns sample i.
func (h *Histogram) row(i int) []float64 { return h.Values[i*h.Dims : (i+1)*h.Dims] }

// Len returns how many distinct samples h holds (0 for a nil Histogram).
func (h *Histogram) Len() int {
	if h == nil {
		return 0
	}
	return len(h.Counts)
}

// add appends v counted c times, v not below the last sample: to its count if equal.
func (h *Histogram) add(v []float64, c float64) error {
	n := h.Len()
	switch {
	case c == 0:
		return nil
	case n > 0 && slices.Equal(h.row(n-1), v):
		if h.Counts[n-1] > MaxCount-c { // MaxCount+1 would round to MaxCount
			return fmt.Errorf("gmm: %w: a sample counted more than 2^53 times", ErrInvalidData)
		}
		h.Counts[n-1] += c
		return nil
	}
	h.Values = append(h.Values, v...)
	h.Counts = append(h.Counts, c)
	return nil
}

// Merge adds o's counts to h's: h becomes the histogram of both shards' samples. A count
// beyond MaxCount, samples of another number of features, a nil Histogram or one that
// NewHistogram would not have made (its fields are open to any value) is an error that
// leaves h as it was.
func (h *Histogram) Merge(o *Histogram) error {
	if h == nil || o == nil {
		return fmt.Errorf("gmm: %w: merging nil histograms", ErrInvalidData)
	}
	for _, g := range []*Histogram{h, o} {
		if err := g.validate(); err != nil {
			return err
		}
	}
	if h.Dims != o.Dims {
		return fmt.Errorf("gmm: %w: merging histograms of %d and %d features", ErrInvalidData, h.Dims, o.Dims)
	}
	out := &Histogram{Dims: h.Dims, Values: make([]float64, 0, len(h.Values)+len(o.Values)), Counts: make([]float64, 0, h.Len()+o.Len())}
	i, j := 0, 0
	for i < h.Len() || j < o.Len() {
		var err error
		switch {
		case j == o.Len() || (i < h.Len() && slices.Compare(h.row(i), o.row(j)) <= 0):
			err = out.add(h.row(i), h.Counts[i])
			i++
		default:
			err = out.add(o.row(j), o.Counts[j])
			j++
		}
		if err != nil {
			return err
		}
	}
	*h = *out
	return nil
}

// validate checks what NewHistogram makes sure of: finite samples (no -0) in increasing
// order, counted by integers from 1 to MaxCount.
func (h *Histogram) validate() error {
	if h.Dims < 1 || h.Dims > MaxDims || len(h.Values) != h.Dims*h.Len() {
		return fmt.Errorf("gmm: %w: a histogram of %d values, %d counts and %d features", ErrInvalidData, len(h.Values), h.Len(), h.Dims)
	}
	if _, _, err := checkFinite(h.Values, 0); err != nil {
		return err
	}
	for i, v := range h.Values {
		if v == 0 && math.Signbit(v) {
			return fmt.Errorf("gmm: %w: histogram value %d is -0", ErrInvalidData, i)
		}
	}
	for i, c := range h.Counts {
		if !(c >= 1 && isCount(c)) {
			return fmt.Errorf("gmm: %w: count %d is %v", ErrInvalidData, i, c)
		}
		if i > 0 && slices.Compare(h.row(i-1), h.row(i)) >= 0 {
			return fmt.Errorf("gmm: %w: histogram sample %d is not above the one before", ErrInvalidData, i)
		}
	}
	return nil
}
