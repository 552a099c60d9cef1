package gmmbeam

import (
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// Every exported function refuses nil and empty arguments with an error, never a panic:
// no source, no temporary folder, no model, an invalid model.
func TestNilArgumentsAreErrors(t *testing.T) {
	opt := gmm.Options{Components: 2, MaxIter: 2, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
	src := Images{Paths: collection(t)[:1]}
	for name, call := range map[string]func() error{
		"Fit without a source": func() error { _, _, err := Fit(t.Context(), nil, opt, config(t)); return err },
		"FitHistogram without a source": func() error {
			_, _, _, err := FitHistogram(t.Context(), nil, opt, config(t))
			return err
		},
		"Fit without a temporary folder": func() error { _, _, err := Fit(t.Context(), src.Shards(), opt, Config{}); return err },
		"FitHistogram without a temporary folder": func() error {
			_, _, _, err := FitHistogram(t.Context(), src.Histograms(), opt, Config{})
			return err
		},
		"Segment without a model": func() error { _, err := src.Segment(t.Context(), nil, t.TempDir(), config(t)); return err },
		"Segment with an invalid model": func() error {
			_, err := src.Segment(t.Context(), &gmm.Model{Weights: []float64{1}}, t.TempDir(), config(t))
			return err
		},
		"List of nothing": func() error { _, err := List(t.Context(), ""); return err },
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic %v", name, p)
				}
			}()
			if err := call(); err == nil {
				t.Errorf("%s: no error", name)
			}
		}()
	}
	if _, err := mergeAll(kindStats, nil); err == nil {
		t.Error("merging no statistics: no error")
	}
}
