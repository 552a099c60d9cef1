package gmmbeam

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// levelsOf draws n levels from 0..top.
func levelsOf(seed uint64, n, top int) []uint16 {
	rng := rand.New(rand.NewPCG(seed, 3))
	l := make([]uint16, n)
	for i := range l {
		l[i] = uint16(rng.IntN(top + 1))
	}
	return l
}

func form(t *testing.T, h *Histogram) []byte {
	t.Helper()
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The histogram of a collection is the same, bit for bit, whatever its shards and the
// order in which they merge: it is the histogram of every sample at once.
func TestHistogramsMergeExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, d := range []int{1, 3} {
		// Few distinct values (levels / 15), repeated, with -0 among them.
		x := make([]float64, 5000*d)
		for i := range x {
			x[i] = float64(rng.IntN(16)-3) / 15
		}
		x[7] = math.Copysign(0, -1)
		whole, err := NewHistogram(x, nil, d)
		if err != nil {
			t.Fatal(err)
		}
		want := form(t, whole)
		for trial := range 5 {
			var parts []*Histogram
			for _, s := range shardsOf(rng, x, d, 2+trial*3) {
				h, err := NewHistogram(s, nil, d)
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, h)
			}
			// Merge as a tree whose shape and order rng chooses.
			for len(parts) > 1 {
				i := rng.IntN(len(parts) - 1)
				a, b := parts[i], parts[i+1]
				if rng.IntN(2) == 0 {
					a, b = b, a
				}
				if err := a.Merge(b); err != nil {
					t.Fatal(err)
				}
				parts = append(parts[:i], append([]*Histogram{a}, parts[i+2:]...)...)
			}
			if got := form(t, parts[0]); !bytes.Equal(got, want) {
				t.Fatalf("d=%d, trial %d: merged shards differ from the whole", d, trial)
			}
		}
		var total float64
		for _, c := range whole.Counts {
			total += c
		}
		if total != 5000 || whole.Len() > 19*19*19 {
			t.Fatalf("d=%d: %v samples counted in %d rows", d, total, whole.Len())
		}
	}
}

// gmm.CountLevels' values and counts make the histogram of the samples the levels stand
// for, and gmm.Fit on it is gmm.Fit on what CountLevels gives, bit for bit.
func TestHistogramOfLevels(t *testing.T) {
	levels := levelsOf(1, 40_000, 255)
	values := make([]float64, 256)
	for l := range values {
		values[l] = float64(l) / 255
	}
	counted, err := gmm.CountLevels(t.Context(), levels, values, gmm.Exec{})
	if err != nil {
		t.Fatal(err)
	}
	x, counts := counted.Samples.([]float64), counted.Weights
	h, err := NewHistogram(x, counts, 1)
	if err != nil {
		t.Fatal(err)
	}
	samples := make([]float64, len(levels))
	for i, l := range levels {
		samples[i] = values[l]
	}
	direct, err := NewHistogram(samples, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(form(t, h), form(t, direct)) || !slices.Equal(h.Values, x) || !slices.Equal(h.Counts, counts) {
		t.Fatal("the histogram of the levels is not CountLevels'")
	}
	opt := gmm.Reference(3, 6)
	want, err := gmm.Fit(t.Context(), counted, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gmm.Fit(t.Context(), h.Weighted(), opt)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the fit of the histogram differs from CountLevels' (%v)", err)
	}
}

// shardsOf splits x, samples of d features, into n shards of random sizes, in order.
func shardsOf(rng *rand.Rand, x []float64, d, n int) [][]float64 {
	var out [][]float64
	rows := len(x) / d
	cut := 0
	for i := range n {
		next := rows
		if i < n-1 {
			next = cut + rng.IntN(rows-cut+1)
		}
		out = append(out, x[cut*d:next*d])
		cut = next
	}
	return out
}

func TestHistogramRefusesBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		x      []float64
		counts []float64
		dims   int
	}{
		"NaN":           {[]float64{1, math.NaN()}, nil, 1},
		"shape":         {[]float64{1, 2, 3}, nil, 2},
		"counts":        {[]float64{1, 2}, []float64{1}, 1},
		"fraction":      {[]float64{1, 2}, []float64{1, 0.5}, 1},
		"negative":      {[]float64{1, 2}, []float64{1, -1}, 1},
		"beyond 2^53":   {[]float64{1, 2}, []float64{1, 1 << 54}, 1},
		"sum past 2^53": {[]float64{1, 1}, []float64{maxCount, 1}, 1},
	} {
		if _, err := NewHistogram(c.x, c.counts, c.dims); !errors.Is(err, gmm.ErrInvalidData) && !errors.Is(err, gmm.ErrInvalidOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	a, _ := NewHistogram([]float64{1}, []float64{maxCount}, 1)
	b, _ := NewHistogram([]float64{1, 2}, nil, 1)
	before := form(t, a)
	if err := a.Merge(b); !errors.Is(err, gmm.ErrInvalidData) || !bytes.Equal(form(t, a), before) {
		t.Errorf("a count past 2^53: %v", err)
	}
	c, _ := NewHistogram([]float64{1, 2}, nil, 2)
	if err := b.Merge(c); !errors.Is(err, gmm.ErrInvalidData) {
		t.Errorf("1 and 2 features: %v", err)
	}
	good := form(t, b)
	for i, bad := range [][]byte{good[:len(good)-1], append(slices.Clone(good), 1), swapped(good), negZero(good)} {
		var h Histogram
		if err := h.UnmarshalBinary(bad); !errors.Is(err, gmm.ErrInvalidData) {
			t.Errorf("bad form %d: %v", i, err)
		}
	}
}

// swapped returns the form of a one-feature histogram of two samples with them swapped.
func swapped(b []byte) []byte {
	s := slices.Clone(b)
	copy(s[20:28], b[28:36])
	copy(s[28:36], b[20:28])
	return s
}

// negZero returns the form with its first value -0.
func negZero(b []byte) []byte {
	s := slices.Clone(b)
	copy(s[20:28], []byte{0, 0, 0, 0, 0, 0, 0, 0x80})
	return s
}

// Methods of a nil Histogram, or merges with one, are errors, never a panic.
func TestNilHistograms(t *testing.T) {
	var h *Histogram
	bad := &Histogram{Dims: 1, Values: []float64{1}, Counts: []float64{1, 2, 3}}
	if err := (&Histogram{Dims: 1}).Merge(h); err == nil {
		t.Error("merging a nil histogram succeeded")
	}
	if err := h.Merge(&Histogram{Dims: 1}); err == nil {
		t.Error("merging into a nil histogram succeeded")
	}
	if err := (&Histogram{Dims: 1}).Merge(bad); err == nil {
		t.Error("merging a histogram of 1 value and 3 counts succeeded")
	}
	if _, err := h.MarshalBinary(); err == nil || h.Len() != 0 {
		t.Error("a nil histogram marshals, or has samples")
	}
}

func FuzzUnmarshalHistogram(f *testing.F) {
	h, _ := NewHistogram([]float64{0.5, 1, 0.5, 2, 3, 1}, []float64{1, 2, 3}, 2)
	b, _ := h.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Histogram
		if h.UnmarshalBinary(b) == nil {
			again, _ := h.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("the form does not round-trip")
			}
			if err := h.Merge(&h); err != nil && !errors.Is(err, gmm.ErrInvalidData) {
				t.Fatal(err)
			}
		}
	})
}
