// Package libjpeg decodes JPEG files with libjpeg-turbo, the library that Pillow, OpenCV
// and djpeg decode with, loaded at run time from the machine's libturbojpeg.so.0
// (Debian's libturbojpeg0) without cgo: a build needs no C toolchain, and a machine
// without the library runs Go's decoder instead (Load says why).
//
// Its pixels are libjpeg-turbo's, bit for bit: the accurate integer inverse DCT, the
// chroma's "fancy" upsampling and the fixed-point colour conversion. The luma of a YCbCr
// JPEG is its Y plane, decoded without its chroma.
//
// Only Linux on amd64 and arm64 loads the library, and not in builds tagged purego or
// noasm (the builds without assembly: the loader calls C through assembly trampolines).
package libjpeg

import (
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"sync"

	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// Library is the file name Load opens, as the dynamic loader finds it.
const Library = "libturbojpeg.so.0"

// EnvRequire names the environment variable that, set to 1 (as CI sets it), makes the
// tests that need libjpeg-turbo fail where a build that loads it (Loadable) finds none,
// rather than skip.
const EnvRequire = "GMMSIMD_REQUIRE_LIBJPEG"

// Decoder decodes JPEG files with the loaded libjpeg-turbo: a segment.JPEGDecoder. It is
// safe for concurrent use: each decoding has its own libjpeg-turbo instance.
type Decoder struct{ lib *library }

var (
	loadOnce sync.Once
	loaded   *Decoder
	loadErr  error
)

// Load loads libjpeg-turbo once per process and returns its decoder, or an error that
// says why it is not there (no such library on this machine, a platform or build that
// does not load it).
func Load() (*Decoder, error) {
	loadOnce.Do(func() {
		lib, err := open()
		if err != nil {
			loadErr = fmt.Errorf("libjpeg: %s: %w", Library, err)
			return
		}
		loaded = &Decoder{lib: lib}
	})
	return loaded, loadErr
}

// Name names the decoder in reports.
func (d *Decoder) Name() string { return "libjpeg-turbo" }

// TurboJPEG's constants (turbojpeg.h of libjpeg-turbo 2.x, whose ABI libturbojpeg.so.0
// keeps).
const (
	pixelRGBX = 2 // TJPF_RGBX: R, G, B and a byte libjpeg-turbo sets to 0xff
	pixelGray = 6 // TJPF_GRAY

	spaceRGB   = 0 // TJCS_RGB
	spaceYCbCr = 1 // TJCS_YCbCr
	spaceGray  = 2 // TJCS_GRAY

	// flagAccurateDCT asks for the accurate integer inverse DCT (libjpeg's default, and
	// Pillow's and OpenCV's); flagStopOnWarning makes a warning an error: libjpeg
	// warns where it makes up pixels for corrupt data, which Pillow and OpenCV keep
	// quiet and Go's decoder refuses; flagLimitScans refuses a progressive file of more
	// than 500 scans, which could otherwise take minutes on a few bytes of hostile data.
	flagAccurateDCT   = 4096
	flagStopOnWarning = 8192
	flagLimitScans    = 32768
	flags             = flagAccurateDCT | flagStopOnWarning | flagLimitScans
)

// subsamplings are TurboJPEG's chroma subsamplings (TJSAMP_*) as Go's ratios, with the
// size of their MCU in pixels; TJSAMP_GRAY (3) has no chroma.
var subsamplings = [...]struct {
	ratio        image.YCbCrSubsampleRatio
	mcuW, mcuH   int
	chromaFactor [2]int // the chroma plane's horizontal and vertical subsampling
}{
	0: {image.YCbCrSubsampleRatio444, 8, 8, [2]int{1, 1}},
	1: {image.YCbCrSubsampleRatio422, 16, 8, [2]int{2, 1}},
	2: {image.YCbCrSubsampleRatio420, 16, 16, [2]int{2, 2}},
	4: {image.YCbCrSubsampleRatio440, 8, 16, [2]int{1, 2}},
	5: {image.YCbCrSubsampleRatio411, 32, 8, [2]int{4, 1}},
}

const sampGray = 3

// header is what libjpeg-turbo reads from a JPEG's header.
type header struct{ width, height, subsamp, space int }

// DecodeJPEG decodes data, a whole JPEG file whose header segment.Decoding has read and
// checked (cfg: its size within the limit), for the channel ch: a YCbCr or gray JPEG's
// luma as its Y plane (an *image.Gray, no chroma decoded), ycbcr as its planes (an
// *image.YCbCr, the chroma at its stored size, upsampled by package segment as libjpeg
// does), anything else as libjpeg-turbo's RGB (an *image.NRGBA); a gray JPEG always as
// an *image.Gray. A CMYK or YCCK JPEG, a subsampling that TurboJPEG does not name, or a
// header that libjpeg-turbo reads differently from Go's decoder give
// segment.ErrJPEGUnsupported. Any warning of libjpeg-turbo's is an error (a file that
// ends early io.ErrUnexpectedEOF): segment.Decoding then leaves the file to Go's decoder.
//
// Nothing reaches C that C could overrun: the buffers are allocated here for the size
// both headers agree on, and libjpeg-turbo writes no more than that size into them.
func (d *Decoder) DecodeJPEG(data []byte, cfg image.Config, ch segment.Channel) (image.Image, error) {
	if len(data) == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	s, err := d.lib.session()
	if err != nil {
		return nil, err
	}
	defer s.close()
	h, err := s.header(data)
	if err != nil || h.width != cfg.Width || h.height != cfg.Height || h.width <= 0 || h.height <= 0 {
		return nil, segment.ErrJPEGUnsupported
	}
	return decodeAs(s, data, h, ch)
}

// decodeAs decodes data, whose header is h, into the image DecodeJPEG gives for ch.
func decodeAs(s decompressor, data []byte, h header, ch segment.Channel) (image.Image, error) {
	r := image.Rect(0, 0, h.width, h.height)
	switch {
	case h.space != spaceYCbCr && h.space != spaceGray && h.space != spaceRGB:
		return nil, segment.ErrJPEGUnsupported // CMYK and YCCK: Go's Adobe handling
	case h.space == spaceGray || (ch == segment.Luma && h.space == spaceYCbCr):
		img := &image.Gray{Pix: bigmem.Make[uint8](h.width * h.height), Stride: h.width, Rect: r}
		return img, s.decode(data, img.Pix, h.width, h.height, pixelGray)
	case ch == segment.YCbCr && h.space == spaceYCbCr:
		return decodePlanes(s, data, h)
	}
	img := &image.NRGBA{Pix: bigmem.Make[uint8](4 * h.width * h.height), Stride: 4 * h.width, Rect: r}
	return img, s.decode(data, img.Pix, h.width, h.height, pixelRGBX)
}

// decodePlanes decodes a YCbCr JPEG's planes as they are stored, the chroma at its
// subsampled size. TurboJPEG writes whole MCUs' worth of each plane (a width and height
// padded to the MCU's scale), so the planes are allocated that large and the image's
// rectangle takes the part that is the picture.
func decodePlanes(s decompressor, data []byte, h header) (image.Image, error) {
	if h.subsamp < 0 || h.subsamp >= len(subsamplings) || subsamplings[h.subsamp].mcuW == 0 {
		return nil, segment.ErrJPEGUnsupported
	}
	ss := subsamplings[h.subsamp]
	// tjPlaneWidth and tjPlaneHeight: the luma padded to the MCU's luma blocks, the
	// chroma that over its factors.
	yw := pad(h.width, ss.mcuW/8)
	yh := pad(h.height, ss.mcuH/8)
	cw, chh := yw/ss.chromaFactor[0], yh/ss.chromaFactor[1]
	img := &image.YCbCr{
		Y: make([]uint8, yw*yh), Cb: make([]uint8, cw*chh), Cr: make([]uint8, cw*chh),
		YStride: yw, CStride: cw, SubsampleRatio: ss.ratio,
		Rect: image.Rect(0, 0, h.width, h.height),
	}
	return img, s.decodePlanes(data, [3][]uint8{img.Y, img.Cb, img.Cr}, [3]int{yw, cw, cw}, h.width, h.height)
}

// pad rounds n up to a multiple of m.
func pad(n, m int) int { return (n + m - 1) / m * m }

// decompressor is one libjpeg-turbo instance: what DecodeJPEG calls into C through.
type decompressor interface {
	header(data []byte) (header, error)
	// decode writes the w x h image in the pixel format into pix (w*h*size bytes).
	decode(data, pix []byte, w, h, format int) error
	// decodePlanes writes the Y, Cb and Cr planes into planes, rows strides apart.
	decodePlanes(data []byte, planes [3][]byte, strides [3]int, w, h int) error
	close()
}

// failure is the error of a failed call, from libjpeg-turbo's message. A file that ends
// early is io.ErrUnexpectedEOF, as Go's decoder says it.
func failure(msg string) error {
	switch {
	case strings.Contains(msg, "Premature end of JPEG file"):
		return io.ErrUnexpectedEOF
	case msg == "":
		msg = "libjpeg-turbo failed"
	}
	// libjpeg's warnings begin "Corrupt JPEG data: ", which the caller says already.
	return errors.New(strings.TrimSpace(strings.TrimPrefix(msg, "Corrupt JPEG data: ")))
}
