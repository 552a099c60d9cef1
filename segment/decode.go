// Package segment is the image side of gmmsimd: it decodes images into planes of pixel
// levels, chooses a channel or the CIE94 difference of a pair, turns a fitted mixture into
// a segmented image and cleans it with the reference program's morphology.
//
// To segment an image as gmmseg does by default, read one channel into a Plane, fit the
// histogram of its levels, and label the plane in place:
//
//	p, _, err := segment.Decoding{Channel: segment.Luma}.OpenPlane(ctx, "photo.jpg")
//	counted, err := segment.Histogram[float64](ctx, p, gmm.Exec{})
//	res, err := gmm.Fit(ctx, counted, gmm.Options{Components: 3, MaxIter: 8})
//	err = segment.Segment[float64](ctx, &res.Model, nil, p, gmm.Exec{}) // each pixel its class's mean
//	img, err := segment.IndexedGray(&res.Model, p)
//	err = segment.WritePNG("photo_segmented.png", img)
//
// Images are read within a pixel limit checked from the header before any pixel is
// allocated (Decoding.MaxPixels). The colour spaces (RGB, Lab, YCbCr) fit three features a
// pixel, read tile by tile from the decoded image through ColourPixels, a gmm.Source, and
// ColourClasses and MeanColourImage turn the fit into an image.
package segment

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // registers GIF with image.Decode
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"io"

	_ "golang.org/x/image/bmp"  // registers BMP
	_ "golang.org/x/image/tiff" // registers TIFF
	_ "golang.org/x/image/webp" // registers WebP
)

// Formats names the image formats Decode reads.
const Formats = "PNG, JPEG, GIF, BMP, TIFF or WebP"

// ErrNotImage is wrapped by Decode's error for data in none of the Formats.
var ErrNotImage = errors.New("not a " + Formats + " image")

// DefaultMaxPixels is the most pixels Decode and Open accept when given no limit: 2^28,
// 16384 x 16384. At gmmseg's own estimate of 12 bytes a pixel on the histogram path and
// 20 on the pixels path (its batch memory budget), that is 3 to 5 GiB.
const DefaultMaxPixels = 1 << 28

// ErrTooLarge is wrapped by the error about an image whose header claims more pixels than
// the limit.
var ErrTooLarge = errors.New("image too large")

// Decode reads one image from r. Its size is read from its header first: more than
// maxPixels pixels (DefaultMaxPixels for 0 or less) is an error, before any pixel is
// allocated, so a small file that claims a huge image costs nothing. A truncated or
// corrupt file, and an image with no pixels, are errors too.
func Decode(r io.Reader, maxPixels int64) (image.Image, error) {
	img, err := decode(r, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	return img, nil
}

// decode is Decode, its errors without the package's prefix.
func decode(r io.Reader, maxPixels int64) (image.Image, error) {
	img, _, err := Decoding{MaxPixels: maxPixels}.decode(r, 0)
	return img, err
}

// shortHuffman is image/jpeg's error for entropy-coded data that end with the file.
const shortHuffman = "invalid JPEG format: short Huffman data"

// decodeError is the error of a failed decoding of format.
func decodeError(format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return ErrNotImage
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || err.Error() == shortHuffman:
		return fmt.Errorf("%s data end too early: the file is truncated", format)
	}
	return fmt.Errorf("corrupt %s data: %w", format, err)
}

// Open decodes the image file at path, as Decode does.
func Open(path string, maxPixels int64) (image.Image, error) {
	img, _, err := Decoding{MaxPixels: maxPixels}.Open(context.Background(), path)
	return img, err
}

// Depth returns the bits per channel of img's pixel type: 16 for the 16-bit types of the
// image package and for types it does not know, 8 otherwise.
func Depth(img image.Image) int {
	switch img.(type) {
	case *image.Gray, *image.RGBA, *image.NRGBA, *image.YCbCr, *image.NYCbCrA, *image.Paletted, *image.CMYK:
		return 8
	}
	return 16
}

// eachRGB calls f(i, r, g, b) for every pixel of img in row-major order (i counts from 0),
// with channel values on the 16-bit scale 0..65535; an 8-bit value v arrives as v*257.
// Colour is read as stored, without alpha: the reference program read images the same way.
func eachRGB(img image.Image, f func(i int, r, g, b uint32)) {
	bd := img.Bounds()
	w := bd.Dx()
	switch m := img.(type) {
	case *image.Gray:
		for y := range bd.Dy() {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				v16 := uint32(v) * 0x101
				f(y*w+x, v16, v16, v16)
			}
		}
	case *image.Gray16:
		for y := range bd.Dy() {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := range w {
				v := uint32(row[2*x])<<8 | uint32(row[2*x+1])
				f(y*w+x, v, v, v)
			}
		}
	case *image.RGBA:
		eachRGB8(m.Pix, m.Stride, w, bd.Dy(), f)
	case *image.NRGBA:
		eachRGB8(m.Pix, m.Stride, w, bd.Dy(), f)
	case *image.RGBA64:
		eachRGB16(m.Pix, m.Stride, w, bd.Dy(), f)
	case *image.NRGBA64:
		eachRGB16(m.Pix, m.Stride, w, bd.Dy(), f)
	case *image.YCbCr:
		for y := range bd.Dy() {
			for x := range w {
				yi := m.YOffset(bd.Min.X+x, bd.Min.Y+y)
				ci := m.COffset(bd.Min.X+x, bd.Min.Y+y)
				r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				f(y*w+x, uint32(r)*0x101, uint32(g)*0x101, uint32(b)*0x101)
			}
		}
	case *image.Paletted:
		var lut [256][3]uint32
		for i, c := range m.Palette {
			n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
			lut[i] = [3]uint32{uint32(n.R), uint32(n.G), uint32(n.B)}
		}
		for y := range bd.Dy() {
			for x, idx := range m.Pix[y*m.Stride : y*m.Stride+w] {
				c := lut[idx]
				f(y*w+x, c[0], c[1], c[2])
			}
		}
	default:
		for y := range bd.Dy() {
			for x := range w {
				n := color.NRGBA64Model.Convert(img.At(bd.Min.X+x, bd.Min.Y+y)).(color.NRGBA64)
				f(y*w+x, uint32(n.R), uint32(n.G), uint32(n.B))
			}
		}
	}
}

// eachRGB8 walks 4-byte R, G, B, A pixels.
func eachRGB8(pix []uint8, stride, w, h int, f func(i int, r, g, b uint32)) {
	for y := range h {
		row := pix[y*stride : y*stride+4*w]
		for x := range w {
			p := row[4*x : 4*x+3 : 4*x+3]
			f(y*w+x, uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101)
		}
	}
}

// eachRGB16 walks 8-byte big-endian R, G, B, A pixels.
func eachRGB16(pix []uint8, stride, w, h int, f func(i int, r, g, b uint32)) {
	for y := range h {
		row := pix[y*stride : y*stride+8*w]
		for x := range w {
			p := row[8*x : 8*x+6 : 8*x+6]
			f(y*w+x, uint32(p[0])<<8|uint32(p[1]), uint32(p[2])<<8|uint32(p[3]), uint32(p[4])<<8|uint32(p[5]))
		}
	}
}
