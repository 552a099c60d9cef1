package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gmmsimd/gmmsimd/beam/gmmbeam"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/gmm/modelfile"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/segment/inputs"
)

// config holds the flags as given.
type config struct {
	inputs                                 []string
	components, iterations                 int
	tol                                    float64
	channel, covariance, method, initModel string
	modelOut, outDir, temp                 string
	maxPixels                              int64
}

// usageError is a misused flag: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newConfig registers the command's flags on fs.
func newConfig(fs *flag.FlagSet) *config {
	c := &config{}
	fs.Func("input", "an image `file`, a folder of images or a pattern (*, ?, [): repeat for more", func(s string) error {
		c.inputs = append(c.inputs, s)
		return nil
	})
	fs.IntVar(&c.components, "components", 3, "number of mixture components `K`")
	fs.IntVar(&c.iterations, "iterations", 8, "number of EM iterations (at most, with --tol)")
	fs.Float64Var(&c.tol, "tol", 0, "stop once the mean log-likelihood per pixel changes by less than this (0: run every iteration)")
	fs.StringVar(&c.channel, "channel", "luma", "what is fitted: luma, red, green or blue (one channel), or the colour spaces rgb, lab or ycbcr")
	fs.StringVar(&c.covariance, "covariance", "full", "with a colour space, the covariances: full, diag, spherical or tied")
	fs.StringVar(&c.method, "method", "auto", "histogram (one pass counts the collection's levels or colours, EM runs on the counts), pixels (one pipeline per EM pass over every pixel), or auto: histogram")
	fs.StringVar(&c.initModel, "init-model", "", "start from the mixture saved in this JSON `file` (as --model-out writes it)")
	fs.StringVar(&c.modelOut, "model-out", "", "write the fitted mixture as JSON to this `file` (gmmseg --model reads it)")
	fs.StringVar(&c.outDir, "out-dir", "", "segment every image with the fitted mixture into this `folder`: <name>_segmented.png")
	fs.StringVar(&c.temp, "temp", "", "a `folder` that the workers and this program share, for the pipelines' results and the pixel path's spilled samples (default: a new one, removed after)")
	fs.Int64Var(&c.maxPixels, "max-pixels", segment.DefaultMaxPixels, "refuse an image of more `pixels` than this, from its header, before decoding it")
	return c
}

// plan is a checked run: the files, the fit's options and the outputs.
type plan struct {
	c      *config
	files  []string
	images gmmbeam.Images
	opt    gmm.Options
	method string
}

// plan checks the flags, expands the inputs and reads --init-model (which ctx ends).
func (c *config) plan(ctx context.Context, args []string) (*plan, error) {
	if len(args) > 0 {
		return nil, usageError{fmt.Sprintf("unexpected argument %q: give the images with --input", args[0])}
	}
	ch, err := segment.ParseChannel(c.channel)
	if err != nil {
		return nil, usageError{fmt.Sprintf("--channel: %v", err)}
	}
	cov, err := gmm.ParseCovariance(c.covariance)
	if err != nil {
		return nil, usageError{fmt.Sprintf("--covariance: %v", err)}
	}
	switch {
	case len(c.inputs) == 0:
		return nil, usageError{"no images: give them with --input"}
	case c.components < 1:
		return nil, usageError{fmt.Sprintf("--components=%d: want at least 1", c.components)}
	case c.iterations < 1 || c.iterations > gmm.MaxIterations:
		return nil, usageError{fmt.Sprintf("--iterations=%d: want 1 to %d", c.iterations, gmm.MaxIterations)}
	case !(c.tol >= 0):
		return nil, usageError{fmt.Sprintf("--tol=%v: want 0 or more", c.tol)}
	case c.method != "auto" && c.method != "histogram" && c.method != "pixels":
		return nil, usageError{fmt.Sprintf("--method=%s: want auto, histogram or pixels", c.method)}
	}
	if c.outDir != "" {
		if fi, err := os.Stat(c.outDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--out-dir %s is not a folder", c.outDir)
		}
	}
	files, err := expand(c.inputs, c.outDir)
	if err != nil {
		return nil, err
	}
	// The reference program's fit, with what the flags change: --tol=0 runs every
	// iteration.
	opt := gmm.Reference(c.components, c.iterations)
	opt.Dims, opt.Covariance = ch.Dims(), cov
	if c.tol > 0 {
		opt.Tol = c.tol
	}
	p := &plan{c: c, files: files, method: "histogram",
		images: gmmbeam.Images{Paths: files, Channel: ch, MaxPixels: c.maxPixels}, opt: opt}
	if c.method == "pixels" {
		p.method = "pixels"
	}
	return p, p.loadInitModel(ctx)
}

// loadInitModel sets the fit's start from --init-model, checked against the flags.
func (p *plan) loadInitModel(ctx context.Context) error {
	if p.c.initModel == "" {
		return nil
	}
	m, err := modelfile.Read(ctx, p.c.initModel)
	switch {
	case err != nil:
		return fmt.Errorf("--init-model: %w", err)
	case m.K() != p.opt.Components:
		return fmt.Errorf("--init-model %s has %d components, --components=%d", p.c.initModel, m.K(), p.opt.Components)
	case max(m.Dims, 1) != p.opt.Dims:
		return fmt.Errorf("--init-model %s is a mixture of %d features; --channel=%s has %d", p.c.initModel, max(m.Dims, 1), p.c.channel, p.opt.Dims)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("--init-model %s: %w", p.c.initModel, err)
	}
	p.opt.InitModel = m
	return nil
}

// expand turns the --input values into files: local files, folders and patterns as
// gmmseg takes them (inputs.Expand), and URLs of a filesystem Beam has registered
// (gs://bucket/frames/*.png) as that filesystem lists them.
func expand(args []string, outDir string) ([]string, error) {
	var local, files []string
	for _, arg := range args {
		if !strings.Contains(arg, "://") {
			local = append(local, arg)
			continue
		}
		found, err := gmmbeam.List(context.Background(), arg)
		if err != nil {
			return nil, fmt.Errorf("--input %s: %w", arg, err)
		}
		if len(found) == 0 {
			return nil, usageError{fmt.Sprintf("--input %s matches no file", arg)}
		}
		files = append(files, found...)
	}
	if len(local) > 0 {
		more, err := inputs.Expand(local, outDir, gmmbeam.OutputSuffix, isOutput)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		files = append(files, more...)
	}
	return files, nil
}

// isOutput reports whether a file of a folder is a segmentation that gmmbeam or gmmseg
// writes, which a folder's images leave out: --out-dir may be the input folder.
func isOutput(name string) bool {
	return strings.HasSuffix(strings.TrimSuffix(name, filepath.Ext(name)), gmmbeam.OutputSuffix)
}
