package segment

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/adler32"
	"hash/crc32"
	"image/png"
	"io"

	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// bandBytes is about how many bytes of pixels a band of rows of a PNG decoded into a plane
// holds: a band is held a few times over (its rows, their PNG, its image), and each is
// decoded on its own, its decoder's tables an allocation more.
const bandBytes = 1 << 20

// pngPlane decodes the PNG of r, whose header ihdr (the IHDR chunk's 13 bytes) says it is
// not interlaced, into the plane of its channel ch, a band of rows at a time: what it
// allocates is the plane, 2 bytes a pixel, and a band, however wide the file's pixels are
// (image/png's whole image of a 16-bit RGBA file takes 8 bytes a pixel). Each band is a
// PNG of its own, its rows unfiltered and stored uncompressed, that image/png decodes:
// the pixels, and the checks of the chunks they come from, are image/png's, and the
// plane is NewPlane's of png.Decode's image.
func pngPlane(r io.Reader, ihdr []byte, ch Channel) (*Plane, error) {
	s := &pngStream{r: bufio.NewReader(r), crc: crc32.NewIEEE()}
	w, h := int(binary.BigEndian.Uint32(ihdr[0:])), int(binary.BigEndian.Uint32(ihdr[4:]))
	depth, channels := int(ihdr[8]), 0
	if int(ihdr[9]) < len(pngChannels) {
		channels = pngChannels[ihdr[9]]
	}
	if channels == 0 { // DecodeConfig has checked it already
		return nil, png.FormatError("bad color type")
	}
	rowLen := (w*channels*depth + 7) / 8
	if err := s.header(); err != nil {
		return nil, err
	}
	z, err := zlib.NewReader(s)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	p := &Plane{Width: w, Height: h, Levels: bigmem.Make[uint16](w * h)}
	bpp := max(1, channels*depth/8) // bytes a filter steps back
	prev, cur := make([]byte, rowLen+1), make([]byte, rowLen+1)
	rows := min(h, max(1, bandBytes/(rowLen+1)))
	band := make([]byte, 0, rows*(rowLen+1))
	for y0 := 0; y0 < h; y0 += rows {
		n := min(rows, h-y0)
		band = band[:0]
		for range n {
			if _, err := io.ReadFull(z, cur); err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, png.FormatError("not enough pixel data") // image/png's error
			} else if err != nil {
				return nil, err
			}
			if err := unfilter(cur[1:], prev[1:], cur[0], bpp); err != nil {
				return nil, err
			}
			cur[0] = 0 // None: the band's rows stand alone
			band = append(band, cur...)
			prev, cur = cur, prev
		}
		if err := s.decodeBand(p, band, n, y0, ch); err != nil {
			return nil, err
		}
	}
	return p, s.trailer(z)
}

// pngChannels is the samples a pixel of each PNG colour type has (0: no such type).
var pngChannels = [7]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

// pngStream reads a PNG's chunks, checking each one's CRC, and serves the data of its
// IDAT chunks, one after the other, as a stream (Read), as image/png does.
type pngStream struct {
	r   *bufio.Reader
	crc hash.Hash32
	// ihdr, plte and trns are the chunks that every band repeats.
	ihdr, plte, trns []byte
	idat             uint32 // what is left of the IDAT chunk being read
	// buf and data hold a band's PNG and its zlib stream.
	buf  bytes.Buffer
	data []byte
}

// chunkOrderError is image/png's error of chunks out of order.
var chunkOrderError = png.FormatError("chunk out of order")

// header reads the chunks up to the first IDAT's data: IHDR, PLTE and tRNS kept, in the
// order image/png takes them, others skipped.
func (s *pngStream) header() error {
	var sig [8]byte
	if _, err := io.ReadFull(s.r, sig[:]); err != nil || string(sig[:]) != "\x89PNG\r\n\x1a\n" {
		return png.FormatError("not a PNG file")
	}
	for {
		length, typ, err := s.chunk()
		if err != nil {
			return err
		}
		var keep *[]byte
		switch {
		case typ == "IHDR" && s.ihdr == nil:
			keep = &s.ihdr
		case typ == "PLTE" && s.ihdr != nil && s.plte == nil && s.trns == nil:
			keep = &s.plte
		case typ == "tRNS" && s.ihdr != nil && s.trns == nil && (s.plte != nil || s.ihdr[9] != 3) && (s.plte == nil || s.ihdr[9]&2 != 0):
			keep = &s.trns
		case typ == "IDAT" && s.ihdr != nil && (s.plte != nil || s.ihdr[9] != 3):
			s.idat = length
			return nil
		case typ == "IHDR" || typ == "PLTE" || typ == "tRNS" || typ == "IDAT" || typ == "IEND":
			return chunkOrderError
		}
		if err := s.skip(length, keep); err != nil {
			return err
		}
	}
}

// chunk reads the next chunk's length and type.
func (s *pngStream) chunk() (uint32, string, error) {
	var head [8]byte
	if _, err := io.ReadFull(s.r, head[:]); err != nil {
		return 0, "", err
	}
	length := binary.BigEndian.Uint32(head[:4])
	if length > 0x7fffffff {
		return 0, "", png.FormatError(fmt.Sprintf("Bad chunk length: %d", length))
	}
	s.crc.Reset()
	s.crc.Write(head[4:8])
	return length, string(head[4:8]), nil
}

// skip reads the chunk's length bytes of data, into keep if not nil (the small chunks
// every band repeats), and checks its CRC.
func (s *pngStream) skip(length uint32, keep *[]byte) error {
	if keep != nil && length > 1024 { // no IHDR, PLTE or tRNS is this long
		return png.FormatError("bad chunk length")
	}
	data, err := io.ReadAll(io.LimitReader(s.r, int64(length)))
	if err == nil && len(data) < int(length) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	s.crc.Write(data)
	if keep != nil {
		*keep = data
	}
	return s.checksum()
}

// checksum checks the CRC that ends the chunk just read.
func (s *pngStream) checksum() error {
	var crc [4]byte
	if _, err := io.ReadFull(s.r, crc[:]); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(crc[:]) != s.crc.Sum32() {
		return png.FormatError("invalid checksum")
	}
	return nil
}

// Read serves the data of the IDAT chunks, one after the other, checking each one's CRC.
func (s *pngStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for s.idat == 0 {
		if err := s.checksum(); err != nil {
			return 0, err
		}
		length, typ, err := s.chunk()
		if err != nil {
			return 0, err
		}
		if typ != "IDAT" {
			return 0, png.FormatError("not enough pixel data")
		}
		s.idat = length
	}
	n, err := s.r.Read(p[:min(len(p), int(s.idat))])
	s.crc.Write(p[:n])
	s.idat -= uint32(n)
	return n, err
}

// trailer checks that the image data end with the rows (the zlib stream z at its end,
// its checksum right, the last IDAT chunk whole) and reads the chunks left up to IEND:
// image/png's checks after the pixels.
func (s *pngStream) trailer(z io.Reader) error {
	var one [1]byte
	n, err := 0, error(nil)
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return io.ErrNoProgress
		}
		n, err = z.Read(one[:])
	}
	if err != nil && err != io.EOF {
		return png.FormatError(err.Error())
	}
	if n != 0 || s.idat != 0 {
		return png.FormatError("too much pixel data")
	}
	if err := s.checksum(); err != nil {
		return err
	}
	for {
		length, typ, err := s.chunk()
		switch {
		case err != nil:
			return err
		case typ == "IEND" && length == 0:
			return s.checksum()
		case typ == "IEND":
			return png.FormatError("bad IEND length")
		case typ == "IHDR" || typ == "PLTE" || typ == "tRNS":
			return chunkOrderError
		}
		if err := s.skip(length, nil); err != nil { // trailing IDAT chunks are ignored
			return err
		}
	}
}

// decodeBand decodes the n unfiltered rows of band, the rows from y0 on, as a PNG of its
// own, and sets their levels of channel ch in p.
func (s *pngStream) decodeBand(p *Plane, band []byte, n, y0 int, ch Channel) error {
	s.buf.Reset()
	s.buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := bytes.Clone(s.ihdr)
	binary.BigEndian.PutUint32(ihdr[4:], uint32(n))
	writeChunk(&s.buf, "IHDR", ihdr)
	if s.plte != nil {
		writeChunk(&s.buf, "PLTE", s.plte)
	}
	if s.trns != nil {
		writeChunk(&s.buf, "tRNS", s.trns)
	}
	s.data = storedZlib(s.data[:0], band)
	writeChunk(&s.buf, "IDAT", s.data)
	writeChunk(&s.buf, "IEND", nil)
	img, err := png.Decode(&s.buf)
	if err != nil {
		return err
	}
	if y0 == 0 {
		p.Max = 1<<Depth(img) - 1
	}
	convertRows(img, ch, p.Max == 255, p.Levels[y0*p.Width:(y0+n)*p.Width])
	return nil
}

// storedZlib appends to dst a zlib stream of b in stored (uncompressed) blocks: what a
// band's rows need, without a compressor's tables.
func storedZlib(dst, b []byte) []byte {
	sum := adler32.Checksum(b)
	dst = append(dst, 0x78, 0x01)
	for {
		n := min(len(b), 0xffff)
		final := byte(0)
		if n == len(b) {
			final = 1
		}
		dst = append(dst, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		dst = append(dst, b[:n]...)
		if b = b[n:]; final == 1 {
			break
		}
	}
	return binary.BigEndian.AppendUint32(dst, sum)
}

// writeChunk appends a PNG chunk of type typ and data to b.
func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	b.Write(n[:])
}

// unfilter undoes PNG filter f on the row cur, given the unfiltered row before it, prev
// (zeros for the first), bpp bytes a pixel.
func unfilter(cur, prev []byte, f byte, bpp int) error {
	switch f {
	case 0:
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		for i, p := range prev {
			cur[i] += p
		}
	case 3: // Average
		for i := range cur {
			left := 0
			if i >= bpp {
				left = int(cur[i-bpp])
			}
			cur[i] += uint8((left + int(prev[i])) / 2)
		}
	case 4: // Paeth
		for i := range cur {
			var a, c int
			if i >= bpp {
				a, c = int(cur[i-bpp]), int(prev[i-bpp])
			}
			cur[i] += paeth(a, int(prev[i]), c)
		}
	default:
		return png.FormatError("bad filter type")
	}
	return nil
}

// paeth is the Paeth predictor of a byte from its left (a), up (b) and up-left (c)
// neighbours.
func paeth(a, b, c int) uint8 {
	p := a + b - c
	pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
	switch {
	case pa <= pb && pa <= pc:
		return uint8(a)
	case pb <= pc:
		return uint8(b)
	}
	return uint8(c)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
