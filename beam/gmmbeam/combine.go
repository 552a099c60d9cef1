package gmmbeam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gmmsimd/gmmsimd/gmm"
)

// What mergeAllFn merges: the binary forms of gmm.Stats or Histogram, digests (JSON),
// or lines of text.
const (
	kindStats     = "stats"
	kindHistogram = "histogram"
	kindDigest    = "digest"
	kindLines     = "lines"
)

func init() {
	register.DoFn3x1[int, func(*[]byte) bool, func([]byte), error](&mergeAllFn{})
	register.Iter1[[]byte]()
}

// mergeAllFn merges every encoded value of its Kind, grouped under one key, into one:
// each is decoded once and merged in memory, so that the work grows with the values'
// total size (a combine that re-encodes its accumulator for every input grows with its
// square).
type mergeAllFn struct{ Kind string }

func (f *mergeAllFn) ProcessElement(_ int, values func(*[]byte) bool, emit func([]byte)) error {
	var all [][]byte
	var b []byte
	for values(&b) {
		all = append(all, b)
	}
	out, err := mergeAll(f.Kind, all)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

// mergeAll merges the encoded values of kind into one encoded value, the same whatever
// their order (up to rounding for statistics).
func mergeAll(kind string, all [][]byte) ([]byte, error) {
	switch kind {
	case kindStats:
		return mergeStats(all)
	case kindHistogram:
		return mergeHistograms(all)
	case kindDigest:
		return mergeDigests(all)
	case kindLines: // in any order: parseFailures sorts them
		return bytes.Join(all, nil), nil
	}
	return nil, fmt.Errorf("gmmbeam: no merge of %q", kind)
}

func mergeStats(all [][]byte) ([]byte, error) {
	var sum *gmm.Stats
	for _, b := range all {
		s := new(gmm.Stats)
		if err := s.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if sum == nil {
			sum = s
		} else if err := sum.Merge(s); err != nil {
			return nil, err
		}
	}
	return sum.MarshalBinary()
}

// mergeHistograms makes one histogram of every row of all: sorted once, the counts of
// equal rows added exactly.
func mergeHistograms(all [][]byte) ([]byte, error) {
	var values, counts []float64
	dims := 0
	for _, b := range all {
		var h Histogram
		if err := h.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		if dims != 0 && h.Dims != dims {
			return nil, fmt.Errorf("gmmbeam: histograms of %d and %d features", dims, h.Dims)
		}
		dims = h.Dims
		values, counts = append(values, h.Values...), append(counts, h.Counts...)
	}
	h, err := NewHistogram(values, counts, dims)
	if err != nil {
		return nil, err
	}
	return h.MarshalBinary()
}

// digest is what the first pass of Fit learns of shards: their summary, merged, and a
// sample of each, by key, for the start.
type digest struct {
	Summary gmm.Summary
	Samples []keyed
	Spilled []string // the files the shards were spilled to
}

// keyed is a shard's sample, named by the shard's key.
type keyed struct {
	Key string
	X   []float64
}

func mergeDigests(all [][]byte) ([]byte, error) {
	var sum digest
	for _, b := range all {
		var d digest
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, err
		}
		var err error
		if sum.Summary, err = sum.Summary.Merge(d.Summary); err != nil {
			return nil, err
		}
		sum.Samples = append(sum.Samples, d.Samples...)
		sum.Spilled = append(sum.Spilled, d.Spilled...)
	}
	slices.SortFunc(sum.Samples, func(p, q keyed) int { return strings.Compare(p.Key, q.Key) })
	return json.Marshal(sum)
}
