package segment

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/gmmsimd/gmmsimd/internal/ctxfile"
)

// A JPEGDecoder decodes JPEG files in place of Go's image/jpeg: package
// segment/libjpeg's decodes them with libjpeg-turbo, as Pillow and OpenCV do.
type JPEGDecoder interface {
	// Name names the decoder in reports ("libjpeg-turbo").
	Name() string
	// DecodeJPEG decodes data, a whole JPEG file whose header Decoding has read and
	// checked (cfg: its size, within the limit), for the channel ch: it may give only
	// what ch reads (the luma of a YCbCr JPEG as its Y plane). On any error, Go's
	// decoder decodes the file instead (ErrJPEGUnsupported says the decoder does not
	// take such files at all).
	DecodeJPEG(data []byte, cfg image.Config, ch Channel) (image.Image, error)
}

// ErrJPEGUnsupported is what a JPEGDecoder returns for a file it does not take (a CMYK
// JPEG, say).
var ErrJPEGUnsupported = errors.New("segment: a JPEG the decoder does not take")

// GoDecoder names Go's own decoders in reports.
const GoDecoder = "go"

// jpegBytesPerPixel bounds the bytes of a JPEG file that a JPEGDecoder is handed whole, a
// pixel: the largest baseline JPEG takes under 10 (three components at the worst
// quantisation), and the markers and metadata that may come with it are allowed a fixed
// jpegBytesSlack more. A larger file is decoded by Go's decoder, which streams.
const (
	jpegBytesPerPixel = 16
	jpegBytesSlack    = 16 << 20
)

// Decoding says how Decode and Open read images: within a pixel limit, with JPEG files
// given to a JPEGDecoder if one is set, for the channel that will be read from them.
type Decoding struct {
	// MaxPixels is the largest image accepted, as its header says; 0 or less is
	// DefaultMaxPixels.
	MaxPixels int64
	// JPEG decodes JPEG files; nil leaves them to Go's image/jpeg.
	JPEG JPEGDecoder
	// Channel is what will be read from the image (Luma by default): a JPEGDecoder may
	// decode only that. A pair's CIE94 difference reads the colours, as RGB does.
	Channel Channel
}

// Decode reads one image from r as the package's Decode does, and names the decoder
// that decoded it: the JPEGDecoder's name, or GoDecoder.
func (d Decoding) Decode(r io.Reader) (image.Image, string, error) {
	img, name, err := d.decode(r, 0)
	if err != nil {
		return nil, "", fmt.Errorf("segment: %w", err)
	}
	return img, name, nil
}

// DecodePlane reads one image from r, as Decode does, and returns its channel
// d.Channel (luma, red, green or blue) as a plane, as NewPlane does of Decode's image. A
// colour PNG that is not interlaced is read into the plane a band of rows at a time
// (pngPlane): what the decoding holds is then the plane, 2 bytes a pixel, and a band,
// where image/png would hold the image whole at 4 to 8 bytes a pixel (16-bit RGBA)
// besides the plane. Other images are decoded whole, then converted: a gray or paletted
// PNG, a JPEG's luma, take no more than the plane does.
func (d Decoding) DecodePlane(r io.Reader) (*Plane, string, error) {
	p, name, err := d.plane(r, 0)
	if err != nil {
		return nil, "", fmt.Errorf("segment: %w", err)
	}
	return p, name, nil
}

// Open decodes the image file at path, as Decode does, ended by ctx: a FIFO that no one
// writes to, or a file on a stalled mount, gives ctx's error once ctx is done rather
// than waiting forever (see ctxfile.Open).
func (d Decoding) Open(ctx context.Context, path string) (image.Image, string, error) {
	return openWith(ctx, path, d.decode)
}

// OpenPlane is DecodePlane of the image file at path, ended by ctx as Open is.
func (d Decoding) OpenPlane(ctx context.Context, path string) (*Plane, string, error) {
	return openWith(ctx, path, d.plane)
}

// openWith opens the file at path, ended by ctx, and returns what read makes of it (and
// the decoder's name), with its errors named after the path. read is told the file's
// size if it is a regular file (0 if not).
func openWith[T any](ctx context.Context, path string, read func(io.Reader, int64) (T, string, error)) (T, string, error) {
	var none T
	f, err := ctxfile.Open(ctx, path)
	if err != nil {
		return none, "", fmt.Errorf("segment: %w", err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	v, name, err := read(bufio.NewReader(f), size)
	if ctx.Err() != nil {
		err = ctx.Err() // a read cut short: the file was closed under it
	}
	if err != nil {
		return none, "", fmt.Errorf("segment: %s: %w", path, err)
	}
	return v, name, nil
}

// header is an image's header, read and checked: its format and size, the bytes read
// for it and the stream of the whole image again, from its first byte.
type header struct {
	format string
	cfg    image.Config
	head   []byte
	stream io.Reader
}

// readHeader reads the header of the image of r and checks its size: more than
// d.MaxPixels pixels, or none, is an error. The header is read twice: once here for the
// size, then again by the decoder, from a copy of what this reading consumed, so that
// every check of the header comes before any decoder sees the pixels.
func (d Decoding) readHeader(r io.Reader) (*header, error) {
	maxPixels := d.MaxPixels
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
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
	return &header{format: format, cfg: cfg, head: head.Bytes(), stream: io.MultiReader(&head, r)}, nil
}

// decode is Decode, its errors without the package's prefix; size is the file's, if
// known (0 if not), which a JPEG read whole is read into at once.
func (d Decoding) decode(r io.Reader, size int64) (image.Image, string, error) {
	h, err := d.readHeader(r)
	if err != nil {
		return nil, "", err
	}
	return d.decodeAfter(h, size)
}

// decodeAfter decodes the image whose header h has read.
func (d Decoding) decodeAfter(h *header, size int64) (image.Image, string, error) {
	if h.format == "jpeg" && d.JPEG != nil {
		data, err := readJPEG(&h.stream, h.cfg, size)
		if err != nil {
			return nil, "", decodeError(h.format, err)
		}
		if data != nil {
			if img, err := d.JPEG.DecodeJPEG(data, h.cfg, d.Channel); err == nil {
				return img, d.JPEG.Name(), nil
			}
		}
		// Go's decoder decodes what the JPEGDecoder does not take or refuses: a file
		// that both refuse gets the same error from either, and one that libjpeg-turbo
		// only warns about (bytes left between the image's data and its end, say) is
		// read as Go reads it.
	}
	img, format, err := image.Decode(h.stream)
	if err != nil {
		return nil, "", decodeError(format, err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, "", fmt.Errorf("the %s image has no pixels (%dx%d)", format, b.Dx(), b.Dy())
	}
	return img, GoDecoder, nil
}

// plane is DecodePlane, its errors without the package's prefix; size is decode's.
func (d Decoding) plane(r io.Reader, size int64) (*Plane, string, error) {
	if d.Channel < Luma || d.Channel > Blue {
		return nil, "", fmt.Errorf("%v is not a single channel", d.Channel)
	}
	h, err := d.readHeader(r)
	if err != nil {
		return nil, "", err
	}
	// The IHDR chunk's data are bytes 16 to 29 of a PNG: its colour type at 25, and at 28
	// whether it is interlaced. A gray or paletted PNG decodes whole to no more than the
	// plane's 2 bytes a pixel, and is read whole; a colour one (RGB, RGBA, gray with
	// alpha: 4 to 8 bytes a pixel decoded) into the plane, a band at a time.
	if h.format == "png" && len(h.head) >= 29 && h.head[25]&(2|4) != 0 && h.head[28] == 0 {
		p, err := pngPlane(h.stream, h.head[16:29], d.Channel)
		if err != nil {
			return nil, "", decodeError(h.format, err)
		}
		return p, GoDecoder, nil
	}
	img, name, err := d.decodeAfter(h, size)
	if err != nil {
		return nil, "", err
	}
	p, err := NewPlane(img, d.Channel)
	return p, name, err
}

// readJPEG reads the rest of a JPEG file of the size cfg (size bytes, if known) to hand it
// to a JPEGDecoder whole, and sets *r to read it again; a file larger than its pixels can
// need gives nil, and is left to Go's decoder, which streams.
func readJPEG(r *io.Reader, cfg image.Config, size int64) ([]byte, error) {
	bound := int64(cfg.Width)*int64(cfg.Height)*jpegBytesPerPixel + jpegBytesSlack
	var buf bytes.Buffer
	buf.Grow(int(min(size, bound) + 1))
	if _, err := buf.ReadFrom(io.LimitReader(*r, bound+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if int64(len(data)) > bound {
		*r = io.MultiReader(bytes.NewReader(data), *r)
		return nil, nil
	}
	*r = bytes.NewReader(data)
	return data, nil
}
