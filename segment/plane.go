package segment

import (
	"context"
	"fmt"
	"image"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// Channel says which value of a pixel is segmented: a single channel, or a colour space.
type Channel int

const (
	// Luma is ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B rounded to the image's levels,
	// as OpenCV's and most tools' colour-to-gray conversion.
	Luma Channel = iota
	// Red is the red channel.
	Red
	// Green is the green channel.
	Green
	// Blue is the blue channel: what the reference program read (OpenCV's first channel).
	Blue
	// RGB, CIELab and YCbCr are colour spaces: three values a pixel (see ColourSamples).
	RGB
	CIELab
	YCbCr
)

var channelNames = [...]string{Luma: "luma", Red: "red", Green: "green", Blue: "blue", RGB: "rgb", CIELab: "lab", YCbCr: "ycbcr"}

// String returns the channel's name, as ParseChannel reads it.
func (c Channel) String() string {
	if c >= 0 && int(c) < len(channelNames) {
		return channelNames[c]
	}
	return fmt.Sprintf("Channel(%d)", int(c))
}

// ParseChannel returns the channel called name: luma, red, green or blue, or the colour
// spaces rgb, lab and ycbcr.
func ParseChannel(name string) (Channel, error) {
	for c, n := range channelNames {
		if n == name {
			return Channel(c), nil
		}
	}
	return 0, fmt.Errorf("segment: unknown channel %q (want luma, red, green, blue, rgb, lab or ycbcr)", name)
}

// Plane is one value per pixel, row-major, as integer levels 0..Max: 255 for 8-bit images,
// 65535 for 16-bit ones. Two bytes a pixel whatever the source, so a large photo costs a
// fraction of its float64 samples.
type Plane struct {
	Width, Height int
	Max           int
	Levels        []uint16
}

// UsedBits returns the smallest b from 8 to 16 such that every level of p is at most
// 2^b - 1: 12 for a 12-bit sensor's data in a 16-bit file, 8 for 8-bit data saved as
// 16-bit.
func (p *Plane) UsedBits() int { return bitsFor(uint32(p.top())) }

// top returns p's highest level (0 for none).
func (p *Plane) top() uint16 {
	top := uint16(0)
	for _, v := range p.Levels {
		top = max(top, v)
	}
	return top
}

// bitsFor is the fewest bits from 8 to 16 that hold the level top.
func bitsFor(top uint32) int {
	b := 8
	for b < 16 && top > 1<<b-1 {
		b++
	}
	return b
}

// SetBits makes p's levels those of a b-bit image (8 to 16): Max = 2^b - 1, so that
// Samples and the histogram scale them by it, as a b-bit file's. A level above Max is an
// error.
func (p *Plane) SetBits(b int) error {
	if b < 8 || b > 16 {
		return fmt.Errorf("segment: %d bits, want 8 to 16", b)
	}
	if used := p.UsedBits(); used > b {
		return fmt.Errorf("segment: the image uses %d bits, more than %d", used, b)
	}
	p.Max = 1<<b - 1
	return nil
}

// NewPlane returns the channel ch of img as a plane of img's depth. The rows are converted
// in parallel.
//
// The luma of a YCbCr image (a JPEG photo) is its Y channel as stored: that is BT.601 luma
// already, and converting to RGB and back would round it twice. OpenCV reads JPEG files
// as gray the same way.
func NewPlane(img image.Image, ch Channel) (*Plane, error) {
	if ch < Luma || ch > Blue {
		return nil, fmt.Errorf("segment: %v is not a single channel", ch)
	}
	b := img.Bounds()
	p := &Plane{Width: b.Dx(), Height: b.Dy(), Max: 1<<Depth(img) - 1}
	p.Levels = bigmem.Make[uint16](p.Width * p.Height)
	ycc, isYCbCr := img.(*image.YCbCr)
	if isYCbCr && ch != Luma {
		img = asRGB(img) // red, green or blue as libjpeg decodes them
	}
	gray, isGray := img.(*image.Gray) // every channel the same: the gray level
	parallel.For(p.Height, rowGrain(p.Width), func(y0, y1 int) {
		out := p.Levels[y0*p.Width : y1*p.Width]
		if (isYCbCr && ch == Luma) || isGray {
			for y := y0; y < y1; y++ {
				var row []uint8
				if isGray {
					row = gray.Pix[gray.PixOffset(b.Min.X, b.Min.Y+y):][:p.Width]
				} else {
					row = ycc.Y[ycc.YOffset(b.Min.X, b.Min.Y+y):][:p.Width]
				}
				for x, v := range row {
					out[(y-y0)*p.Width+x] = uint16(v)
				}
			}
			return
		}
		convertRows(rows(img, y0, y1), ch, p.Max == 255, out)
	})
	return p, nil
}

// rowGrain is how many rows of width pixels are worth a goroutine of their own.
func rowGrain(width int) int { return max(1, (1<<16)/max(width, 1)) }

// convertRows sets out[i] to channel ch of pixel i of img, on 8-bit levels when eightBit.
func convertRows(img image.Image, ch Channel, eightBit bool, out []uint16) {
	eachRGB(img, func(i int, r, g, b uint32) {
		var v uint32
		switch ch {
		case Red:
			v = r
		case Green:
			v = g
		case Blue:
			v = b
		default:
			if eightBit {
				// OpenCV's fixed-point BT.601 on 8-bit values, rounded.
				out[i] = uint16((to8(r)*4899 + to8(g)*9617 + to8(b)*1868 + 1<<13) >> 14)
				return
			}
			out[i] = uint16((uint64(r)*19595 + uint64(g)*38470 + uint64(b)*7471 + 1<<15) >> 16)
			return
		}
		if eightBit {
			v = to8(v)
		}
		out[i] = uint16(v)
	})
}

// to8 rounds a 16-bit-scale value to 8 bits; v*257 maps back to v exactly.
func to8(v uint32) uint32 { return (v*255 + 32767) / 65535 }

// Histogram returns the distinct levels of p as samples (LevelValues in the precision T)
// weighted by their counts, counted on e's workers: gmm.Fit on them is the fit over every
// pixel, over at most p.Max+1 points. ctx stops the counting as it stops
// gmm.CountLevels.
func Histogram[T float32 | float64](ctx context.Context, p *Plane, e gmm.Exec) (gmm.Weighted, error) {
	return gmm.CountLevels(ctx, p.Levels, LevelValues[T](p.Max), e)
}

// LevelValues returns the sample that each level 0..maxLevel stands for, level/maxLevel
// (pixel values scaled to [0, 1], as the reference program scales them), in the precision
// T: what Samples makes of a plane's levels, and what gmm.CountLevels gives back for the
// levels it counts.
func LevelValues[T float32 | float64](maxLevel int) []T {
	v := make([]T, maxLevel+1)
	for l := range v {
		v[l] = T(float64(l) / float64(maxLevel))
	}
	return v
}

// Samples returns the plane's values as level/Max, the reference program's scaling of
// pixel values to [0, 1].
func Samples[T float32 | float64](p *Plane) []T {
	lut := LevelValues[T](p.Max)
	out := bigmem.Make[T](len(p.Levels))
	parallel.For(len(out), 1<<16, func(lo, hi int) {
		for i, v := range p.Levels[lo:hi] {
			out[lo+i] = lut[v]
		}
	})
	return out
}
