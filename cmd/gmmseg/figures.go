package main

import (
	"fmt"
	"image"
	"image/color"
	"io"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/gmm/segment"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
)

// figureSide is the longest side, in pixels, of the images that figures show.
const figureSide = 400

// outputSuffix ends the name of an image's segmentation, and figureSuffixes those of its
// figures after it: <name>_segmented.png, <name>_segmented_strip.png, ...
const outputSuffix = "_segmented"

var figureSuffixes = []string{"_strip", "_sheet", "_curves"}

// writeFigures draws the fit's figures from the samples x (the pixels of in.plane,
// row-major), the iterations kept of the fit res (steps) and the segmentation as written,
// writes them into set (figureNames) and returns their paths.
func writeFigures[T float32 | float64](set *atomicfile.Set, c *plan, in *input, x []T, res *gmm.Result, steps []gmm.Step, segmented image.Image, out string) (paths []string, err error) {
	if c.channel.Dims() > 1 {
		return writeColourFigures(set, c, in, res, steps, segmented, out)
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
	return writeEach(set, c.figureNames(out), figure.Strip(f).PNG, sheet.PNG, sheet.SVG, figure.Curves(f).PNG)
}

// writeEach writes the figures into set, at paths in turn, and returns the paths.
func writeEach(set *atomicfile.Set, paths []string, figures ...func(io.Writer) error) ([]string, error) {
	for i, path := range paths {
		if err := set.Write(path, figures[i]); err != nil {
			return nil, fmt.Errorf("--visualization: %w", err)
		}
	}
	return paths, nil
}

// writeColourFigures draws the figures of a fit in a colour space (the strip and the
// sheet; the density curves are one channel's) from the shrunk input load kept.
func writeColourFigures(set *atomicfile.Set, c *plan, in *input, res *gmm.Result, steps []gmm.Step, segmented image.Image, out string) ([]string, error) {
	f := &figure.ColourFit{
		Input: in.thumb, Segmented: figure.Shrink(segmented, figureSide), Samples: in.thumbX,
		Names: c.channel.Coordinates(), Space: c.channel, Steps: steps, LogLikelihoods: res.History,
		Colour: func(m *gmm.Model, k int) color.Color {
			col, err := segment.MeanColour(m, k, c.channel)
			if err != nil {
				return color.Black // no such model: the figures colour the fit's own, whole
			}
			return col
		},
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
	return writeEach(set, c.figureNames(out), strip.PNG, sheet.PNG, sheet.SVG)
}
