// Package imagetest makes, for tests, small image files whose headers claim huge images:
// what a hostile user feeds a decoder to make it allocate gigabytes; and finds Pillow.
package imagetest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Huge is the side that the bombs claim where their format allows it (BMP, PNG, TIFF):
// Huge x Huge is 10^10 pixels. GIF and JPEG sizes are 16-bit: those claim 65535 x 65535,
// 4.3 x 10^9 pixels. WebP's decoder refuses a canvas over 2^31 - 1 pixels itself: that
// one claims webpSide x webpSide, 1.6 x 10^9.
const (
	Huge     = 100000
	webpSide = 40000
)

// Bombs returns, by file extension, a file of every format the project decodes whose
// header claims far more pixels than any limit allows, followed by a few bytes of a real
// image, or none: a decoder that trusted the header would allocate gigabytes before it
// found the data missing.
func Bombs() map[string][]byte {
	one := image.NewGray(image.Rect(0, 0, 1, 1))
	return map[string][]byte{
		".png":  pngBomb(one),
		".gif":  gifBomb(one),
		".jpg":  jpegBomb(one),
		".bmp":  bmpBomb(one),
		".tif":  tiffBomb(one),
		".webp": webpBomb(),
	}
}

func encode(f func(*bytes.Buffer) error) []byte {
	var b bytes.Buffer
	if err := f(&b); err != nil {
		panic(err) // encoding a 1x1 image in memory cannot fail
	}
	return b.Bytes()
}

// pngBomb is a 1x1 PNG whose IHDR says Huge x Huge, its CRC right.
func pngBomb(img image.Image) []byte {
	b := encode(func(w *bytes.Buffer) error { return png.Encode(w, img) })
	binary.BigEndian.PutUint32(b[16:], Huge)
	binary.BigEndian.PutUint32(b[20:], Huge)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// gifBomb is a 1x1 GIF whose logical screen is 65535 x 65535.
func gifBomb(img image.Image) []byte {
	b := encode(func(w *bytes.Buffer) error { return gif.Encode(w, img, nil) })
	binary.LittleEndian.PutUint16(b[6:], 0xffff)
	binary.LittleEndian.PutUint16(b[8:], 0xffff)
	return b
}

// jpegBomb is a 1x1 JPEG whose frame header (SOF0) says 65535 x 65535.
func jpegBomb(img image.Image) []byte {
	b := encode(func(w *bytes.Buffer) error { return jpeg.Encode(w, img, nil) })
	sof := bytes.Index(b, []byte{0xff, 0xc0})
	binary.BigEndian.PutUint16(b[sof+5:], 0xffff) // height
	binary.BigEndian.PutUint16(b[sof+7:], 0xffff) // width
	return b
}

// bmpBomb is a 1x1 BMP whose header says Huge x Huge.
func bmpBomb(img image.Image) []byte {
	b := encode(func(w *bytes.Buffer) error { return bmp.Encode(w, img) })
	binary.LittleEndian.PutUint32(b[18:], Huge)
	binary.LittleEndian.PutUint32(b[22:], Huge)
	return b
}

// tiffBomb is a 1x1 TIFF whose ImageWidth and ImageLength say Huge.
func tiffBomb(img image.Image) []byte {
	b := encode(func(w *bytes.Buffer) error { return tiff.Encode(w, img, nil) })
	order := binary.ByteOrder(binary.LittleEndian)
	if b[0] == 'M' {
		order = binary.BigEndian
	}
	ifd := int(order.Uint32(b[4:]))
	for i := range int(order.Uint16(b[ifd:])) {
		e := b[ifd+2+12*i:]
		if tag := order.Uint16(e); tag == 256 || tag == 257 { // ImageWidth, ImageLength
			order.PutUint16(e[2:], 4) // LONG
			order.PutUint32(e[4:], 1)
			order.PutUint32(e[8:], Huge)
		}
	}
	return b
}

// webpBomb is the start of an extended WebP (a VP8X chunk) whose canvas is webpSide x
// webpSide, and nothing more.
func webpBomb() []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+10))
	b.WriteString("WEBPVP8X")
	binary.Write(&b, binary.LittleEndian, uint32(10))
	b.Write([]byte{0, 0, 0, 0}) // no alpha, animation or metadata
	for _, side := range []uint32{webpSide - 1, webpSide - 1} {
		b.Write([]byte{byte(side), byte(side >> 8), byte(side >> 16)})
	}
	return b.Bytes()
}

// Read decodes the image file at path, of any format the project decodes, and fails the
// test if it cannot.
func Read(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// Pillow returns a Python interpreter that can import Pillow (Debian's python3-pil), for
// the tests that compare with how Pillow reads or decodes a file, or "" where none can.
func Pillow() string {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import PIL.Image").Run() == nil {
			return py
		}
	}
	return ""
}
