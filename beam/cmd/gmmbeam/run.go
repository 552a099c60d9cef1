package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gmmsimd/gmmsimd/beam/gmmbeam"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/gmm/modelfile"
)

// outcome is what a run did.
type outcome struct {
	res      *gmm.Result
	failures []gmmbeam.Failure
}

// run fits the collection, writes the model and the segmentations, and reports on w.
func (p *plan) run(ctx context.Context, w io.Writer) (out outcome, err error) {
	cfg := gmmbeam.Config{Temp: p.c.temp}
	if cfg.Temp == "" {
		if cfg.Temp, err = os.MkdirTemp("", "gmmbeam-"); err != nil {
			return out, err
		}
		defer os.RemoveAll(cfg.Temp)
	}
	start := time.Now()
	if p.method == "pixels" {
		out.res, out.failures, err = gmmbeam.Fit(ctx, p.images.Shards(), p.opt, cfg)
	} else {
		var h *gmmbeam.Histogram
		out.res, h, out.failures, err = gmmbeam.FitHistogram(ctx, p.images.Histograms(), p.opt, cfg)
		if err == nil {
			fmt.Fprintf(w, "histogram: %d distinct values\n", h.Len())
		}
	}
	if err != nil {
		return out, err
	}
	fitted := time.Now()
	fmt.Fprintf(w, "images: %d read, %d failed; fit (%s, %d iterations) in %.2f s\n",
		len(p.files)-len(out.failures), len(out.failures), p.method, len(out.res.History), fitted.Sub(start).Seconds())
	report(w, &out.res.Model, out.res.LogLikelihood)
	if p.c.modelOut != "" {
		if err := modelfile.Write(p.c.modelOut, &out.res.Model); err != nil {
			return out, fmt.Errorf("--model-out: %w", err)
		}
	}
	if p.c.outDir != "" {
		images := p.images
		images.Paths = succeeded(p.files, out.failures)
		more, err := images.Segment(ctx, &out.res.Model, p.c.outDir, cfg)
		out.failures = append(out.failures, more...)
		if err != nil {
			return out, err
		}
		fmt.Fprintf(w, "segmented %d images into %s in %.2f s\n", len(images.Paths)-len(more), p.c.outDir, time.Since(fitted).Seconds())
	}
	return out, nil
}

// succeeded returns the files that did not fail.
func succeeded(files []string, failures []gmmbeam.Failure) []string {
	failed := map[string]bool{}
	for _, f := range failures {
		failed[f.Key] = true
	}
	var ok []string
	for _, f := range files {
		if !failed[f] {
			ok = append(ok, f)
		}
	}
	return ok
}

// report prints the mixture: one line a component, then the log-likelihood.
func report(w io.Writer, m *gmm.Model, ll float64) {
	d := max(m.Dims, 1)
	for k := range m.K() {
		fmt.Fprintf(w, "component %d: weight %.6f mean %.6g\n", k, m.Weights[k], m.Means[k*d:(k+1)*d])
	}
	fmt.Fprintf(w, "log-likelihood %.10g\n", ll)
}
