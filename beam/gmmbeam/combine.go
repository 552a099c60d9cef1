package gmmbeam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// What mergeFn merges: the binary forms of gmm.Stats or gmm.Histogram, digests (JSON),
// or lines of text.
const (
	kindStats     = "stats"
	kindHistogram = "histogram"
	kindDigest    = "digest"
	kindLines     = "lines"
)

// mergeFn merges encoded values of its Kind into one: the combine of every result. An
// empty value is the merge of none.
type mergeFn struct{ Kind string }

func (f *mergeFn) MergeAccumulators(a, b []byte) ([]byte, error) {
	switch {
	case len(a) == 0:
		return b, nil
	case len(b) == 0:
		return a, nil
	}
	switch f.Kind {
	case kindStats:
		return mergeForms(a, b, new(gmm.Stats), new(gmm.Stats))
	case kindHistogram:
		return mergeForms(a, b, new(gmm.Histogram), new(gmm.Histogram))
	case kindDigest:
		return mergeDigests(a, b)
	case kindLines:
		lines := append(bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))...)
		slices.SortFunc(lines, bytes.Compare)
		return bytes.Join(lines, nil), nil
	}
	return nil, fmt.Errorf("gmmbeam: no merge of %q", f.Kind)
}

// mergeable is a value with a binary form that merges with another of its kind.
type mergeable[T any] interface {
	*T
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
	Merge(*T) error
}

// mergeForms decodes a into x and b into y, merges y into x and encodes x.
func mergeForms[T any, P mergeable[T]](a, b []byte, x, y P) ([]byte, error) {
	if err := x.UnmarshalBinary(a); err != nil {
		return nil, err
	}
	if err := y.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	if err := x.Merge((*T)(y)); err != nil {
		return nil, err
	}
	return x.MarshalBinary()
}

// digest is what the first pass of Fit learns of shards: their summary, merged, and a
// sample of each, by key, for the start.
type digest struct {
	Summary gmm.Summary
	Samples []keyed
}

// keyed is a shard's sample, named by the shard's key.
type keyed struct {
	Key string
	X   []float64
}

func mergeDigests(a, b []byte) ([]byte, error) {
	var x, y digest
	if err := json.Unmarshal(a, &x); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return nil, err
	}
	var err error
	if x.Summary, err = x.Summary.Merge(y.Summary); err != nil {
		return nil, err
	}
	x.Samples = append(x.Samples, y.Samples...)
	slices.SortFunc(x.Samples, func(p, q keyed) int { return strings.Compare(p.Key, q.Key) })
	return json.Marshal(x)
}
