// Package pngenc writes PNG files fast: a paletted image at the smallest bit depth that
// holds its palette (1, 2, 4 or 8 bits), gray and opaque colour images without their
// alpha, every row filtered by the row above it, and the image data deflated in bands of
// rows on every CPU, joined into one zlib stream. A segmentation (a few classes in long
// runs, each row much like the one above) compresses better so than with image/png's
// adaptive filters, and the bands cost a few bytes each against one stream.
package pngenc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/klauspost/compress/flate"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"runtime"
	"sync"
)

// filterUp is PNG's filter type 2: each byte less the one above it.
const filterUp = 2

// bandBytes is about how many bytes of rows each band deflates: enough that the bands'
// ends cost nothing against their contents, few enough that every CPU has bands to take.
// (A variable: the tests make bands of a few rows.)
var bandBytes = 1 << 20

// Encode writes img to w as a PNG file: an *image.Paletted of up to 256 colours at the
// fewest bits a pixel that index its palette, *image.Gray and *image.Gray16 as gray,
// opaque *image.NRGBA, *image.RGBA and *image.NRGBA64 as RGB; any other image through
// image/png. Pillow, libpng and image/png read back the same pixels.
func Encode(w io.Writer, img image.Image) error {
	l, ok := layoutOf(img)
	if !ok {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > 1<<31-1 || b.Dy() > 1<<31-1 {
		return fmt.Errorf("pngenc: cannot write a %dx%d image", b.Dx(), b.Dy())
	}
	e := &encoder{w: w, layout: l, width: b.Dx(), height: b.Dy()}
	e.header()
	e.deflateBands()
	e.chunk("IEND", nil)
	return e.err
}

// layout is how an image's rows become PNG rows: the IHDR's bit depth and colour type,
// the palette, and a function that packs row y into dst (rowBytes long).
type layout struct {
	depth, colourType uint8
	palette           color.Palette
	rowBytes          int
	pack              func(dst []byte, y int)
}

// PNG colour types.
const (
	ctGray    = 0
	ctRGB     = 2
	ctPalette = 3
)

// layoutOf returns img's layout, or false for an image Encode leaves to image/png.
func layoutOf(img image.Image) (layout, bool) {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.Paletted:
		if len(m.Palette) == 0 || len(m.Palette) > 256 || !opaque(m.Palette) {
			return layout{}, false
		}
		depth := bitsFor(len(m.Palette))
		return layout{depth: uint8(depth), colourType: ctPalette, palette: m.Palette, rowBytes: (w*depth + 7) / 8,
			pack: func(dst []byte, y int) { packBits(dst, m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w], depth) }}, true
	case *image.Gray:
		return layout{depth: 8, colourType: ctGray, rowBytes: w,
			pack: func(dst []byte, y int) { copy(dst, m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]) }}, true
	case *image.Gray16:
		return layout{depth: 16, colourType: ctGray, rowBytes: 2 * w,
			pack: func(dst []byte, y int) { copy(dst, m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]) }}, true
	case *image.NRGBA:
		return rgb8(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, w, m.Opaque())
	case *image.RGBA:
		return rgb8(m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, w, m.Opaque())
	case *image.NRGBA64:
		if !m.Opaque() {
			return layout{}, false
		}
		pix, stride := m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
		return layout{depth: 16, colourType: ctRGB, rowBytes: 6 * w, pack: func(dst []byte, y int) {
			row := pix[y*stride:]
			for x := range w {
				copy(dst[6*x:6*x+6], row[8*x:8*x+6])
			}
		}}, true
	}
	return layout{}, false
}

// rgb8 is the layout of opaque 8-bit RGBA bytes as RGB.
func rgb8(pix []byte, stride, w int, isOpaque bool) (layout, bool) {
	if !isOpaque {
		return layout{}, false
	}
	return layout{depth: 8, colourType: ctRGB, rowBytes: 3 * w, pack: func(dst []byte, y int) {
		row := pix[y*stride:]
		for x := range w {
			dst[3*x], dst[3*x+1], dst[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}}, true
}

// opaque reports whether every colour of p is opaque (no tRNS chunk needed).
func opaque(p color.Palette) bool {
	for _, c := range p {
		if _, _, _, a := c.RGBA(); a != 0xffff {
			return false
		}
	}
	return true
}

// bitsFor is the fewest bits from 1, 2, 4 and 8 that index n colours.
func bitsFor(n int) int {
	for _, b := range []int{1, 2, 4} {
		if n <= 1<<b {
			return b
		}
	}
	return 8
}

// packBits packs indices of depth bits into dst, the first pixel in the top bits of the
// first byte, as PNG packs them: whole bytes in loops of their own, then the row's end.
func packBits(dst, idx []byte, depth int) {
	per := 8 / depth
	whole := len(idx) / per
	switch depth {
	case 8:
		copy(dst, idx)
		return
	case 4:
		for i := range whole {
			p := idx[2*i : 2*i+2 : 2*i+2]
			dst[i] = p[0]<<4 | p[1]
		}
	case 2:
		for i := range whole {
			p := idx[4*i : 4*i+4 : 4*i+4]
			dst[i] = p[0]<<6 | p[1]<<4 | p[2]<<2 | p[3]
		}
	case 1:
		for i := range whole {
			p := idx[8*i : 8*i+8 : 8*i+8]
			dst[i] = p[0]<<7 | p[1]<<6 | p[2]<<5 | p[3]<<4 | p[4]<<3 | p[5]<<2 | p[6]<<1 | p[7]
		}
	}
	if rest := idx[whole*per:]; len(rest) > 0 {
		var v byte
		for j, x := range rest {
			v |= x << (8 - depth*(j+1))
		}
		dst[whole] = v
	}
}

// encoder writes one PNG file; the first error stops it.
type encoder struct {
	w             io.Writer
	layout        layout
	width, height int
	err           error
}

// chunk writes one chunk: length, type, data, CRC.
func (e *encoder) chunk(kind string, data []byte) {
	if e.err != nil {
		return
	}
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], kind)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, e.err = e.w.Write(p); e.err != nil {
			return
		}
	}
}

// header writes the signature, IHDR and, for a paletted image, PLTE.
func (e *encoder) header() {
	if _, e.err = io.WriteString(e.w, "\x89PNG\r\n\x1a\n"); e.err != nil {
		return
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(e.width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(e.height))
	ihdr[8], ihdr[9] = e.layout.depth, e.layout.colourType // compression, filter, interlace: 0
	e.chunk("IHDR", ihdr[:])
	if e.layout.colourType == ctPalette {
		plte := make([]byte, 0, 3*len(e.layout.palette))
		for _, c := range e.layout.palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			plte = append(plte, n.R, n.G, n.B)
		}
		e.chunk("PLTE", plte)
	}
}

// band is one band's rows deflated, and the Adler-32 of its raw bytes.
type band struct {
	data   []byte
	adler  uint32
	length int
}

// deflateBands deflates the rows in bands on every CPU and writes them in order, each as
// an IDAT chunk, as soon as it and those before it are done: the zlib header first, each
// band ending on a byte boundary (a sync flush) and the last one final, then the Adler-32
// of all the rows, combined from the bands'.
func (e *encoder) deflateBands() {
	rowLen := 1 + e.layout.rowBytes // the filter byte (0: none), then the row
	rows := max(1, bandBytes/rowLen)
	n := (e.height + rows - 1) / rows
	done := make([]chan band, n)
	for i := range done {
		done[i] = make(chan band, 1)
	}
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var s scratch
			for i := range next {
				y0 := i * rows
				done[i] <- e.deflate(&s, y0, min(y0+rows, e.height), i == n-1)
			}
		})
	}
	defer wg.Wait()
	sum := uint32(1) // Adler-32 of nothing
	for i, ch := range done {
		b := <-ch
		data := b.data
		if i == 0 {
			data = append([]byte{0x78, 0x01}, data...) // zlib: deflate, 32K window, fastest
		}
		sum = adler32Combine(sum, b.adler, b.length)
		if i == n-1 {
			data = binary.BigEndian.AppendUint32(data, sum)
		}
		e.chunk("IDAT", data)
	}
}

// deflate packs, filters and deflates rows [y0, y1), finishing the stream if last. Every
// row takes the Up filter (its bytes less those above it, the first row's less zeros): a
// segmentation's rows mostly repeat the row above, whose difference is runs of zeros.
func (e *encoder) deflate(s *scratch, y0, y1 int, last bool) band {
	n := e.layout.rowBytes
	raw := grow(&s.raw, (y1-y0)*(1+n))
	prev, cur := grow(&s.prev, n), grow(&s.cur, n)
	clear(prev)
	if y0 > 0 {
		e.layout.pack(prev, y0-1)
	}
	for y := y0; y < y1; y++ {
		e.layout.pack(cur, y)
		row := raw[(y-y0)*(1+n) : (y-y0+1)*(1+n)]
		row[0] = filterUp
		for i, v := range cur {
			row[1+i] = v - prev[i]
		}
		prev, cur = cur, prev
	}
	out := bytes.NewBuffer(make([]byte, 0, len(raw)/8))
	if s.zw == nil {
		s.zw, _ = flate.NewWriter(out, flate.BestSpeed) // a valid level: no error
	} else {
		s.zw.Reset(out)
	}
	s.zw.Write(raw) // a bytes.Buffer does not fail
	if last {
		s.zw.Close()
	} else {
		s.zw.Flush()
	}
	return band{data: out.Bytes(), adler: adler32.Checksum(raw), length: len(raw)}
}

// scratch is what a worker reuses from band to band: the filtered rows, the rows above
// and being packed, and the compressor.
type scratch struct {
	raw, prev, cur []byte
	zw             *flate.Writer
}

// grow returns (*b)[:n], reallocated if shorter.
func grow(b *[]byte, n int) []byte {
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	return (*b)[:n]
}

// adler32Combine is the Adler-32 of two byte strings one after the other, from a1 of the
// first, a2 of the second and the second's length (zlib's adler32_combine).
func adler32Combine(a1, a2 uint32, len2 int) uint32 {
	const base = 65521
	rem := uint32(len2 % base)
	sum1 := a1 & 0xffff
	sum2 := rem * sum1 % base
	sum1 += (a2 & 0xffff) + base - 1
	sum2 += (a1 >> 16) + (a2 >> 16) + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= base<<1 {
		sum2 -= base << 1
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum1 | sum2<<16
}
