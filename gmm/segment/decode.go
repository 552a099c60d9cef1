// Package segment is the image side of gmmsimd: it decodes images into planes of pixel
// levels, chooses a channel or the CIE94 difference of a pair, turns a fitted mixture into
// a segmented image and cleans it with the reference program's morphology.
package segment

import (
	"bufio"
	"bytes"
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

	"github.com/gmmsimd/gmmsimd/internal/ctxfile"
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
	h, err := readHeader(r, maxPixels)
	if err != nil {
		return nil, err
	}
	img, format, err := image.Decode(h.stream)
	if err != nil {
		return nil, decodeError(format, err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("the %s image has no pixels (%dx%d)", format, b.Dx(), b.Dy())
	}
	return img, nil
}

// header is an image's header, read and checked: its format, the bytes read for it and
// the stream of the whole image again, from its first byte.
type header struct {
	format string
	head   []byte
	stream io.Reader
}

// readHeader reads the header of the image of r and checks its size: more than maxPixels
// pixels (DefaultMaxPixels for 0 or less), or none, is an error.
func readHeader(r io.Reader, maxPixels int64) (*header, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	// The header is read twice: once for the size, then again by the decoder, from a copy
	// of what the first reading consumed.
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, decodeError(format, err)
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	switch {
	case w <= 0 || h <= 0:
		return nil, fmt.Errorf("the %s image has no pixels (%dx%d)", format, w, h)
	case w*h > maxPixels:
		return nil, fmt.Errorf("%w: the %s header says %dx%d, %d pixels, above the limit of %d", ErrTooLarge, format, w, h, w*h, maxPixels)
	}
	return &header{format: format, head: head.Bytes(), stream: io.MultiReader(&head, r)}, nil
}

// DecodePlane reads one image from r, as Decode does, and returns its channel ch (luma,
// red, green or blue) as a plane, as NewPlane does of Decode's image. A colour PNG that is
// not interlaced is read into the plane a band of rows at a time (pngPlane): what the
// decoding holds is then the plane, 2 bytes a pixel, and a band, where image/png would
// hold the image whole at 4 to 8 bytes a pixel (16-bit RGBA) besides the plane. Other
// images are decoded whole, then converted: a gray or paletted PNG, a JPEG's luma, take
// no more than the plane does.
func DecodePlane(r io.Reader, ch Channel, maxPixels int64) (*Plane, error) {
	p, err := decodePlane(r, ch, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	return p, nil
}

// decodePlane is DecodePlane, its errors without the package's prefix.
func decodePlane(r io.Reader, ch Channel, maxPixels int64) (*Plane, error) {
	if ch < Luma || ch > Blue {
		return nil, fmt.Errorf("%v is not a single channel", ch)
	}
	h, err := readHeader(r, maxPixels)
	if err != nil {
		return nil, err
	}
	// The IHDR chunk's data are bytes 16 to 29 of a PNG: its colour type at 25, and at 28
	// whether it is interlaced. A gray or paletted PNG decodes whole to no more than the
	// plane's 2 bytes a pixel, and is read whole; a colour one (RGB, RGBA, gray with
	// alpha: 4 to 8 bytes a pixel decoded) into the plane, a band at a time.
	if h.format == "png" && len(h.head) >= 29 && h.head[25]&(2|4) != 0 && h.head[28] == 0 {
		p, err := pngPlane(h.stream, h.head[16:29], ch)
		if err != nil {
			return nil, decodeError(h.format, err)
		}
		return p, nil
	}
	img, format, err := image.Decode(h.stream)
	if err != nil {
		return nil, decodeError(format, err)
	}
	return NewPlane(img, ch)
}

// decodeError is the error of a failed decoding of format.
func decodeError(format string, err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return ErrNotImage
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("%s data end too early: the file is truncated", format)
	}
	return fmt.Errorf("corrupt %s data: %w", format, err)
}

// Open decodes the image file at path, as Decode does.
func Open(path string, maxPixels int64) (image.Image, error) {
	return OpenContext(context.Background(), path, maxPixels)
}

// OpenContext is Open, ended by ctx: a FIFO that no one writes to, or a file on a
// stalled mount, gives ctx's error once ctx is done rather than waiting forever (see
// ctxfile.Open).
func OpenContext(ctx context.Context, path string, maxPixels int64) (image.Image, error) {
	return openWith(ctx, path, func(r io.Reader) (image.Image, error) { return decode(r, maxPixels) })
}

// OpenPlane is DecodePlane of the image file at path, ended by ctx as OpenContext is.
func OpenPlane(ctx context.Context, path string, ch Channel, maxPixels int64) (*Plane, error) {
	return openWith(ctx, path, func(r io.Reader) (*Plane, error) { return decodePlane(r, ch, maxPixels) })
}

// openWith opens the file at path, ended by ctx, and returns what read makes of it, with
// its errors named after the path.
func openWith[T any](ctx context.Context, path string, read func(io.Reader) (T, error)) (T, error) {
	var none T
	f, err := ctxfile.Open(ctx, path)
	if err != nil {
		return none, fmt.Errorf("segment: %w", err)
	}
	defer f.Close()
	v, err := read(bufio.NewReader(f))
	if ctx.Err() != nil {
		err = ctx.Err() // a read cut short: the file was closed under it
	}
	if err != nil {
		return none, fmt.Errorf("segment: %s: %w", path, err)
	}
	return v, nil
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
