package segment

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
)

// A JPEGDecoder decodes JPEG files in place of Go's image/jpeg: package
// gmm/segment/libjpeg's decodes them with libjpeg-turbo, as Pillow and OpenCV do.
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

// Open decodes the image file at path, as Decode does.
func (d Decoding) Open(path string) (image.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("segment: %w", err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	img, name, err := d.decode(bufio.NewReader(f), size)
	if err != nil {
		return nil, "", fmt.Errorf("segment: %s: %w", path, err)
	}
	return img, name, nil
}

// decode is Decode, its errors without the package's prefix; size is the file's, if
// known (0 if not), which a JPEG read whole is read into at once. The header is read
// twice: once here for the size, then again by the decoder, from a copy of what the first
// reading consumed. Every check of the header comes before any decoder sees the pixels.
func (d Decoding) decode(r io.Reader, size int64) (image.Image, string, error) {
	maxPixels := d.MaxPixels
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, "", decodeError(format, err)
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	switch {
	case w <= 0 || h <= 0:
		return nil, "", fmt.Errorf("the %s image has no pixels (%dx%d)", format, w, h)
	case w*h > maxPixels:
		return nil, "", fmt.Errorf("%w: the %s header says %dx%d, %d pixels, above the limit of %d", ErrTooLarge, format, w, h, w*h, maxPixels)
	}
	var whole io.Reader = io.MultiReader(&head, r)
	if format == "jpeg" && d.JPEG != nil {
		data, err := readJPEG(&whole, cfg, size)
		if err != nil {
			return nil, "", decodeError(format, err)
		}
		if data != nil {
			if img, err := d.JPEG.DecodeJPEG(data, cfg, d.Channel); err == nil {
				return img, d.JPEG.Name(), nil
			}
		}
		// Go's decoder decodes what the JPEGDecoder does not take or refuses: a file
		// that both refuse gets the same error from either, and one that libjpeg-turbo
		// only warns about (bytes left between the image's data and its end, say) is
		// read as Go reads it.
	}
	img, format, err := image.Decode(whole)
	if err != nil {
		return nil, "", decodeError(format, err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, "", fmt.Errorf("the %s image has no pixels (%dx%d)", format, b.Dx(), b.Dy())
	}
	return img, GoDecoder, nil
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
