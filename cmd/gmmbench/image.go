package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"text/tabwriter"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/segment"
)

// imageRun is the --image experiment.
type imageRun struct {
	Path    string     `json:"path"`
	Channel string     `json:"channel"`
	Width   int        `json:"width"`
	Height  int        `json:"height"`
	Configs []imageRow `json:"configurations"`
}

// imageRow is the median time of one configuration's whole segmentation, and its phases.
type imageRow struct {
	Method  string  `json:"method"` // pixels or histogram
	Kernel  string  `json:"kernel"`
	Threads int     `json:"threads"`
	Decode  float64 `json:"decode_seconds"`
	Fit     float64 `json:"fit_seconds"`
	Segment float64 `json:"segment_seconds"`
	Total   float64 `json:"total_seconds"`
	// Speedup is the first configuration's total (generic kernels over every pixel,
	// one thread) over this one's.
	Speedup float64 `json:"speedup_over_generic"`
}

// The reference article's experiment: 3 components, 8 iterations.
const (
	imageComponents = 3
	imageIterations = 8
)

func benchImage(ctx context.Context, c *config) (*imageRun, error) {
	run := &imageRun{Path: c.image, Channel: c.channel.String()}
	kernels := kernel.Available()
	if c.channel.Dims() > 1 {
		kernels = []string{"generic"} // the multichannel passes have no other kernel yet
	}
	configs := []imageRow{{Method: "pixels", Kernel: "generic", Threads: 1}}
	for _, name := range kernels {
		for _, t := range c.threads {
			// generic on one thread is the first; on more, only where no other runs
			if name != "generic" || (c.channel.Dims() > 1 && t != 1) {
				configs = append(configs, imageRow{Method: "pixels", Kernel: name, Threads: t})
			}
		}
	}
	for _, name := range kernels {
		for _, t := range c.threads {
			configs = append(configs, imageRow{Method: "histogram", Kernel: name, Threads: t})
		}
	}
	for _, cfg := range configs {
		var reps []imageRow
		for range c.reps {
			r, err := segmentOnce(ctx, c, cfg, run)
			if err != nil {
				return nil, err
			}
			reps = append(reps, r)
		}
		// The phases are medians of their own, so they need not add up to the total.
		pick := func(f func(imageRow) float64) float64 {
			v := make([]float64, len(reps))
			for i, r := range reps {
				v[i] = f(r)
			}
			return medianOf(v)
		}
		cfg.Decode = pick(func(r imageRow) float64 { return r.Decode })
		cfg.Fit = pick(func(r imageRow) float64 { return r.Fit })
		cfg.Segment = pick(func(r imageRow) float64 { return r.Segment })
		cfg.Total = pick(func(r imageRow) float64 { return r.Total })
		run.Configs = append(run.Configs, cfg)
	}
	for i := range run.Configs {
		run.Configs[i].Speedup = run.Configs[0].Total / run.Configs[i].Total
	}
	return run, nil
}

// segmentOnce decodes the image, fits 3 components in 8 iterations (over the pixels or
// their levels' or colours' histogram) and labels and cleans the result, as gmmseg does
// (writing no file), and times each phase.
func segmentOnce(ctx context.Context, c *config, cfg imageRow, run *imageRun) (imageRow, error) {
	start := time.Now()
	img, err := segment.Open(c.image, 0)
	if err != nil {
		return cfg, err
	}
	opt := gmm.Reference(imageComponents, imageIterations)
	opt.Exec = gmm.Exec{Kernel: gmm.Kernel(cfg.Kernel), Threads: cfg.Threads, Pin: c.pin}
	if c.channel.Dims() > 1 {
		return segmentColourOnce(ctx, img, c.channel, cfg, opt, run, start)
	}
	p, err := segment.NewPlane(img, c.channel)
	if err != nil {
		return cfg, err
	}
	img = nil
	run.Width, run.Height = p.Width, p.Height
	var x []float64 // nil on the histogram path: the plane's levels are the data
	if cfg.Method == "pixels" {
		x = segment.Samples[float64](p)
	}
	decoded := time.Now()
	var data any = x
	if x == nil {
		if data, err = segment.Histogram[float64](ctx, p, opt.Exec); err != nil {
			return cfg, err
		}
	}
	res, err := gmm.Fit(ctx, data, opt)
	if err != nil {
		return cfg, err
	}
	fitted := time.Now()
	if err := segment.Segment(ctx, &res.Model, x, p, opt.Exec); err != nil {
		return cfg, err
	}
	return timed(cfg, start, decoded, fitted), nil
}

// timed sets cfg's phases from their ends, the segmentation's being now.
func timed(cfg imageRow, start, decoded, fitted time.Time) imageRow {
	end := time.Now()
	cfg.Decode = decoded.Sub(start).Seconds()
	cfg.Fit = fitted.Sub(decoded).Seconds()
	cfg.Segment = end.Sub(fitted).Seconds()
	cfg.Total = end.Sub(start).Seconds()
	return cfg
}

// segmentColourOnce is segmentOnce in the colour space ch: full covariances over every
// pixel, or over the distinct colours of an 8-bit image (the histogram).
func segmentColourOnce(ctx context.Context, img image.Image, ch segment.Channel, cfg imageRow, opt gmm.Options, run *imageRun, start time.Time) (imageRow, error) {
	b := img.Bounds()
	run.Width, run.Height = b.Dx(), b.Dy()
	opt.Dims = 3
	p := &segment.Plane{Width: b.Dx(), Height: b.Dy()}
	if cfg.Method == "pixels" {
		px, err := segment.ColourPixels[float64](img, ch, 0)
		if err != nil {
			return cfg, err
		}
		decoded := time.Now()
		res, err := gmm.Fit(ctx, px, opt)
		if err != nil {
			return cfg, err
		}
		fitted := time.Now()
		if err := segment.ColourClasses(ctx, &res.Model, px, p, ch, opt.Exec); err != nil {
			return cfg, err
		}
		return timed(cfg, start, decoded, fitted), nil
	}
	h, err := segment.NewColourHistogram[float64](ctx, img, ch)
	if err != nil {
		return cfg, err
	}
	decoded := time.Now()
	res, err := gmm.Fit(ctx, gmm.Weighted{Samples: h.X, Weights: h.Counts}, opt)
	if err != nil {
		return cfg, err
	}
	fitted := time.Now()
	if err := h.Classes(ctx, &res.Model, p, opt.Exec); err != nil {
		return cfg, err
	}
	return timed(cfg, start, decoded, fitted), nil
}

func printImage(w io.Writer, r *imageRun) {
	fmt.Fprintf(w, "%s (%dx%d, %.1f megapixels, %s): decode, %d EM iterations with %d components, labelling and clean-up; medians in seconds\n",
		r.Path, r.Width, r.Height, float64(r.Width*r.Height)/1e6, r.Channel, imageIterations, imageComponents)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tkernel\tthreads\tdecode\tfit\tsegment\ttotal\tvs generic\t")
	for _, c := range r.Configs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.4f\t%.3f\t%.3f\t%.1fx\t\n", c.Method, c.Kernel, c.Threads, c.Decode, c.Fit, c.Segment, c.Total, c.Speedup)
	}
	tw.Flush()
}
