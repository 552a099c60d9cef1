package gmmbeam

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// maxCount is the largest count a Histogram holds: every integer up to it is a float64,
// so that counts add exactly.
const maxCount = 1 << 53

// Histogram is samples with integer counts: the distinct samples in increasing order
// (row-major, Dims values each, compared feature by feature) and how many times each
// occurs. Merge adds another shard's counts exactly, so the histogram of a collection is
// one pass over its shards, the same whatever their order or grouping; gmm.Fit on
// Weighted() then fits every sample counted.
type Histogram struct {
	Dims   int
	Values []float64
	Counts []float64
}

// NewHistogram returns the histogram of the samples x, of dims features each (0 means
// 1), each counted counts[i] times (nil: once). Equal samples are counted together (-0
// as 0), and samples counted 0 times left out. A NaN or infinite value, or a count that
// is not an integer from 0 to maxCount, is an error.
func NewHistogram[T float32 | float64](x []T, counts []float64, dims int) (*Histogram, error) {
	d := max(dims, 1)
	switch {
	case dims < 0 || dims > gmm.MaxDims || len(x)%d != 0:
		return nil, fmt.Errorf("gmmbeam: %w: %d values are not samples of %d features", gmm.ErrInvalidData, len(x), dims)
	case len(x) != 0 && !finite(x):
		return nil, fmt.Errorf("gmmbeam: %w: a NaN or infinite sample", gmm.ErrInvalidData)
	}
	n := len(x) / d
	if counts != nil && len(counts) != n {
		return nil, fmt.Errorf("gmmbeam: %w: %d counts for %d samples", gmm.ErrInvalidData, len(counts), n)
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
			return nil, fmt.Errorf("gmmbeam: %w: count %d is %v, want an integer from 0 to 2^53", gmm.ErrInvalidData, i, c)
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

// isCount reports whether c is an integer from 0 to maxCount.
func isCount(c float64) bool { return c >= 0 && c <= maxCount && c == math.Trunc(c) }

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
		if h.Counts[n-1] > maxCount-c { // maxCount+1 would round to maxCount
			return fmt.Errorf("gmmbeam: %w: a sample counted more than 2^53 times", gmm.ErrInvalidData)
		}
		h.Counts[n-1] += c
		return nil
	}
	h.Values = append(h.Values, v...)
	h.Counts = append(h.Counts, c)
	return nil
}

// Merge adds o's counts to h's: h becomes the histogram of both shards' samples. A count
// beyond maxCount, samples of another number of features, a nil Histogram or one that
// NewHistogram would not have made (its fields are open to any value) is an error that
// leaves h as it was.
func (h *Histogram) Merge(o *Histogram) error {
	if h == nil || o == nil {
		return fmt.Errorf("gmmbeam: %w: merging nil histograms", gmm.ErrInvalidData)
	}
	for _, g := range []*Histogram{h, o} {
		if err := g.validate(); err != nil {
			return err
		}
	}
	if h.Dims != o.Dims {
		return fmt.Errorf("gmmbeam: %w: merging histograms of %d and %d features", gmm.ErrInvalidData, h.Dims, o.Dims)
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
// order, counted by integers from 1 to maxCount.
func (h *Histogram) validate() error {
	if h.Dims < 1 || h.Dims > gmm.MaxDims || len(h.Values) != h.Dims*h.Len() {
		return fmt.Errorf("gmmbeam: %w: a histogram of %d values, %d counts and %d features", gmm.ErrInvalidData, len(h.Values), h.Len(), h.Dims)
	}
	if !finite(h.Values) {
		return fmt.Errorf("gmmbeam: %w: a NaN or infinite histogram value", gmm.ErrInvalidData)
	}
	for i, v := range h.Values {
		if v == 0 && math.Signbit(v) {
			return fmt.Errorf("gmmbeam: %w: histogram value %d is -0", gmm.ErrInvalidData, i)
		}
	}
	for i, c := range h.Counts {
		if !(c >= 1 && isCount(c)) {
			return fmt.Errorf("gmmbeam: %w: count %d is %v", gmm.ErrInvalidData, i, c)
		}
		if i > 0 && slices.Compare(h.row(i-1), h.row(i)) >= 0 {
			return fmt.Errorf("gmmbeam: %w: histogram sample %d is not above the one before", gmm.ErrInvalidData, i)
		}
	}
	return nil
}

// finite reports whether every value of x is finite.
func finite[T float32 | float64](x []T) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// Weighted returns the samples h counts as gmm.Fit takes them: its values weighted by
// their counts.
func (h *Histogram) Weighted() gmm.Weighted {
	return gmm.Weighted{Samples: h.Values, Weights: h.Counts}
}

// histogramTag begins a Histogram's binary form: then its features and rows as uint64,
// its values and counts as float64, little-endian.
const histogramTag = "GMMH"

// MarshalBinary encodes h; a nil Histogram is an error.
func (h *Histogram) MarshalBinary() ([]byte, error) {
	if h == nil {
		return nil, fmt.Errorf("gmmbeam: %w: nil Histogram", gmm.ErrInvalidData)
	}
	b := []byte(histogramTag)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Dims))
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Len()))
	for _, v := range slices.Concat(h.Values, h.Counts) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

// UnmarshalBinary sets h to the Histogram that data encodes, which it checks as
// NewHistogram would have made it; the lengths are checked against data before anything
// is allocated.
func (h *Histogram) UnmarshalBinary(data []byte) error {
	if h == nil {
		return fmt.Errorf("gmmbeam: %w: nil Histogram", gmm.ErrInvalidData)
	}
	const head = len(histogramTag) + 16
	if len(data) < head || string(data[:len(histogramTag)]) != histogramTag {
		return fmt.Errorf("gmmbeam: %w: not a histogram's binary form", gmm.ErrInvalidData)
	}
	d := binary.LittleEndian.Uint64(data[len(histogramTag):])
	n := binary.LittleEndian.Uint64(data[len(histogramTag)+8:])
	words := uint64(len(data)-head) / 8
	if d < 1 || d > gmm.MaxDims || n > words || n*(d+1) != words || (len(data)-head)%8 != 0 {
		return fmt.Errorf("gmmbeam: %w: a histogram's binary form of %d bytes for %d rows of %d features", gmm.ErrInvalidData, len(data), n, d)
	}
	all := make([]float64, words)
	for i := range all {
		all[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[head+8*i:]))
	}
	g := Histogram{Dims: int(d), Values: all[:n*d], Counts: all[n*d:]}
	if err := g.validate(); err != nil {
		return err
	}
	*h = g
	return nil
}
