package main

import (
	"fmt"
	"image"
	"image/color"
	"io"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/segment"
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
func writeFigures[T float32 | float64](set outputSet, c *plan, in *input, x []T, res *gmm.Result, steps []gmm.Step, segmented image.Image, out string) (paths []string, err error) {
	if c.channel.Dims() > 1 {
		return writeColourFigures(set, c, in, res, steps, segmented, out)
	}
	f, thumb := channelFigures(c, in, x)
	f.Segmented, f.Initial = figure.Shrink(segmented, figureSide), res.Initial
	f.Steps, f.LogLikelihoods = steps, res.History
	for i := range steps {
		img, err := thumb.Labelled(&steps[i].Model, classColours(c, &steps[i].Model))
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

// channelFigures returns what the figures of a one-channel fit show of its input, the
// samples x (the pixels of in.plane, row-major): the input shrunk and the histogram; and
// the thumbnail whose samples the iterations' panels label.
func channelFigures[T float32 | float64](c *plan, in *input, x []T) (*figure.Fit, *figure.Thumbnail) {
	thumb := figure.NewThumbnail(x, in.plane.Width, in.plane.Height, figureSide)
	f := &figure.Fit{Input: thumb.Gray, InputTitle: "input (" + c.channel.String() + ")"}
	// 8-bit levels each get a bin of their own; other data 256 bins over [0, 1].
	if c.second == "" && in.plane.Max == 255 {
		f.Hist = figure.NewHistogram(x, -0.5/255, 1+0.5/255, 256)
	} else {
		f.Hist = figure.NewHistogram(x, 0, 1, 256)
	}
	if c.second != "" {
		f.InputTitle = "CIE94 difference"
	}
	return f, thumb
}

// classColours gives each component of m the colour of its class in the gray-level
// segmentation: the gray of its mean, or its own colour (--palette).
func classColours(c *plan, m *gmm.Model) func(k int) color.Color {
	if c.palette {
		return func(k int) color.Color { return segment.ClassColour(k) }
	}
	return figure.GrayOfMean(m)
}

// writeEach writes the figures into set, at paths in turn, and returns the paths.
func writeEach(set outputSet, paths []string, figures ...func(io.Writer) error) ([]string, error) {
	for i, path := range paths {
		if err := set.Write(path, figures[i]); err != nil {
			return nil, fmt.Errorf("--visualization: %w", err)
		}
	}
	return paths, nil
}

// writeColourFigures draws the figures of a fit in a colour space (the strip and the
// sheet; the density curves are one channel's) from the shrunk input load kept.
func writeColourFigures(set outputSet, c *plan, in *input, res *gmm.Result, steps []gmm.Step, segmented image.Image, out string) ([]string, error) {
	f := colourFigures(c, in)
	f.Segmented, f.Steps, f.LogLikelihoods = figure.Shrink(segmented, figureSide), steps, res.History
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

// colourFigures returns what the figures of a fit in a colour space show of its input:
// the shrunk image and its pixels in the space, which load kept, and the components'
// colours.
func colourFigures(c *plan, in *input) *figure.ColourFit {
	f := &figure.ColourFit{
		Input: in.thumb, Samples: in.thumbX, Names: c.channel.Coordinates(), Space: c.channel,
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
	return f
}

// preview draws a fit under way, as the page shows it, with the figures' own panels: what
// they show of the input is made once (channelFigures, colourFigures), then a frame for
// any step.
type preview struct {
	c      *plan
	one    *figure.Fit // one channel's
	thumb  *figure.Thumbnail
	colour *figure.ColourFit // a colour space's
}

// newPreview returns the preview of the fit of in, whose samples are x, or nil without
// what the figures show of the input, which load keeps with --visualization=1 (the
// pixels' samples of one channel, the shrunk image of a colour space).
func newPreview[T float32 | float64](c *plan, in *input, x []T) *preview {
	switch {
	case c.channel.Dims() > 1 && in.thumb != nil:
		return &preview{c: c, colour: colourFigures(c, in)}
	case c.channel.Dims() > 1 || len(x) != in.plane.Width*in.plane.Height:
		return nil
	}
	f, thumb := channelFigures(c, in, x)
	return &preview{c: c, one: f, thumb: thumb}
}

// frame draws step s of a fit, history the log-likelihoods of its run up to s
// (figure.Progress, figure.ColourProgress).
func (pv *preview) frame(s gmm.Step, history []float64) (figure.Figure, error) {
	if pv.colour != nil {
		f := *pv.colour
		f.Steps, f.LogLikelihoods = []gmm.Step{s}, history
		return figure.ColourProgress(&f)
	}
	img, err := pv.thumb.Labelled(&s.Model, classColours(pv.c, &s.Model))
	if err != nil {
		return figure.Figure{}, err
	}
	f := *pv.one
	f.Steps, f.LogLikelihoods, f.Iterations = []gmm.Step{s}, history, []image.Image{img}
	return figure.Progress(&f)
}
