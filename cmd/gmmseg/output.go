package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment"
)

// pngTypes are --png's values: the segmentation as a palette of its classes' colours
// (indexed), or as gray levels or RGB colours a pixel.
var pngTypes = []string{"indexed", "gray", "rgb"}

// checkPNG checks --png against the outputs: gray levels are one channel's, without
// --palette's colours.
func checkPNG(c *config) error {
	switch {
	case c.png != "indexed" && c.png != "gray" && c.png != "rgb":
		return usageError{fmt.Sprintf("--png=%s: want indexed, gray or rgb", c.png)}
	case c.png == "gray" && (c.palette || c.channel.Dims() > 1):
		return usageError{"--png=gray writes one channel's gray levels: not with --palette or a colour space"}
	}
	return nil
}

// segmentation returns the image of in's plane, as label left it, that --png asks for:
// in colour (--palette), in the mean colours of a colour space, or in the gray levels
// (0..maxLevel) of the components' means; as a palette of those colours where they fit
// one (8-bit, at most 256 classes), as gray or RGB when asked or where they do not.
func segmentation(c *plan, m *gmm.Model, in *input, maxLevel int) (image.Image, error) {
	p := in.plane
	var img image.Image
	switch {
	case c.palette:
		img = segment.ColourImage(p)
	case c.channel.Dims() > 1:
		depth := 8
		if in.wide {
			depth = 16
		}
		var err error
		if img, err = segment.MeanColourImage(m, p, c.channel, maxLevel, depth); err != nil {
			return nil, err
		}
	default:
		if c.classOutputs() {
			if err := segment.MeanLevels(m, p, maxLevel); err != nil {
				return nil, err
			}
		}
		if c.png == "gray" || in.wide {
			img = gray(p, in.wide)
			break
		}
		var err error
		if img, err = segment.IndexedGray(m, p); err != nil {
			return nil, err
		}
	}
	if c.png == "rgb" {
		img = rgb(img)
	}
	return img, nil
}

// rgb returns img as RGB colours a pixel: a paletted image's colours looked up in
// parallel, a 16-bit gray image as 16-bit RGB, and an RGB image as it is.
func rgb(img image.Image) image.Image {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Paletted:
		out := image.NewNRGBA(b)
		var lut [256]color.NRGBA
		for i, c := range m.Palette {
			lut[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
		}
		parallel.For(len(m.Pix), 1<<16, func(lo, hi int) {
			for i, v := range m.Pix[lo:hi] {
				c := lut[v]
				px := out.Pix[4*(lo+i) : 4*(lo+i)+4 : 4*(lo+i)+4]
				px[0], px[1], px[2], px[3] = c.R, c.G, c.B, c.A
			}
		})
		return out
	case *image.Gray16:
		out := image.NewNRGBA64(b)
		draw.Draw(out, b, m, b.Min, draw.Src)
		return out
	case *image.Gray:
		out := image.NewNRGBA(b)
		draw.Draw(out, b, m, b.Min, draw.Src)
		return out
	}
	return img
}
