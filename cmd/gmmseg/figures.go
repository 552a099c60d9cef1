package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/gmm/segment"
)

// figureSide is the longest side, in pixels, of the images that figures show.
const figureSide = 400

// figurePaths are the files --visualization=1 writes for the segmentation out: next to
// it, named after it.
func figurePaths(out string) (strip, sheetPNG, sheetSVG, curves string) {
	base := strings.TrimSuffix(out, filepath.Ext(out))
	return base + figureSuffixes[0] + ".png", base + figureSuffixes[1] + ".png", base + figureSuffixes[1] + ".svg", base + figureSuffixes[2] + ".png"
}

// outputSuffix ends the name of an image's segmentation, and figureSuffixes those of its
// figures after it: <name>_segmented.png, <name>_segmented_strip.png, ...
const outputSuffix = "_segmented"

var figureSuffixes = []string{"_strip", "_sheet", "_curves"}

// writeFigures draws the fit's figures from the samples x (the pixels of in.plane,
// row-major), the iterations kept of the fit res (steps) and the segmentation as written,
// writes them (figurePaths) and returns their paths. If one cannot be written, those
// written before it are removed.
func writeFigures[T float32 | float64](c *plan, in *input, x []T, res *gmm.Result, steps []gmm.Step, segmented image.Image, out string) (paths []string, err error) {
	if c.channel.Dims() > 1 {
		return writeColourFigures(c, in, res, steps, segmented, out)
	}
	thumb := figure.NewThumbnail(x, in.plane.Width, in.plane.Height, figureSide)
	f := &figure.Fit{
		Input:      thumb.Gray,
		InputTitle: "input (" + c.channel.String() + ")",
		Segmented:  figure.Shrink(segmented, figureSide),
		Initial:    res.Initial,
		Steps:      steps, LogLikelihoods: res.History,
	}
	// 8-bit levels each get a bin of their own; other data 256 bins over [0, 1].
	if c.second == "" && in.plane.Max == 255 {
		f.Hist = figure.NewHistogram(x, -0.5/255, 1+0.5/255, 256)
	} else {
		f.Hist = figure.NewHistogram(x, 0, 1, 256)
	}
	if c.second != "" {
		f.InputTitle = "CIE94 difference"
	}
	for i := range steps {
		m := &steps[i].Model
		colour := figure.GrayOfMean(m)
		if c.palette {
			colour = func(k int) color.Color { return segment.ClassColour(k) }
		}
		img, err := thumb.Labelled(m, colour)
		if err != nil {
			return nil, fmt.Errorf("--visualization: %w", err)
		}
		f.Iterations = append(f.Iterations, img)
	}
	sheet, err := figure.Sheet(f)
	if err != nil {
		return nil, fmt.Errorf("--visualization: %w", err)
	}
	strip, sheetPNG, sheetSVG, curves := figurePaths(out)
	return writeEach([]figureFile{
		{strip, figure.Strip(f).WritePNG},
		{sheetPNG, sheet.WritePNG},
		{sheetSVG, sheet.WriteSVG},
		{curves, figure.Curves(f).WritePNG},
	})
}

// figureFile is a figure to write at path.
type figureFile struct {
	path  string
	write func(string) error
}

// writeEach writes the figures in turn and returns their paths; if one cannot be
// written, those written before it are removed.
func writeEach(files []figureFile) ([]string, error) {
	var paths []string
	for _, f := range files {
		if err := f.write(f.path); err != nil {
			removeAll(paths)
			return nil, fmt.Errorf("--visualization: %w", err)
		}
		paths = append(paths, f.path)
	}
	return paths, nil
}

// writeColourFigures draws the figures of a fit in a colour space (the strip and the
// sheet; the density curves are one channel's) from the shrunk input load kept.
func writeColourFigures(c *plan, in *input, res *gmm.Result, steps []gmm.Step, segmented image.Image, out string) ([]string, error) {
	f := &figure.ColourFit{
		Input: in.thumb, Segmented: figure.Shrink(segmented, figureSide), Samples: in.thumbX,
		Names: c.channel.Coordinates(), Space: c.channel, Steps: steps, LogLikelihoods: res.History,
		Colour: func(m *gmm.Model, k int) color.Color { return segment.MeanColour(m, k, c.channel) },
	}
	if c.palette {
		f.Colour = func(_ *gmm.Model, k int) color.Color { return segment.ClassColour(k) }
	}
	strip, err := figure.ColourStrip(f)
	if err != nil {
		return nil, fmt.Errorf("--visualization: %w", err)
	}
	sheet, err := figure.ColourSheet(f)
	if err != nil {
		return nil, fmt.Errorf("--visualization: %w", err)
	}
	stripPath, sheetPNG, sheetSVG, _ := figurePaths(out)
	return writeEach([]figureFile{{stripPath, strip.WritePNG}, {sheetPNG, sheet.WritePNG}, {sheetSVG, sheet.WriteSVG}})
}

// removeAll removes the files at paths, ignoring errors: it cleans up after a failure.
func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}
