package segment

import (
	"fmt"
	"image"
	"image/png"
	"math"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
)

// CleanRadius is the half-side of the square that Segment opens and closes with: 2, a 5x5
// square, as the reference program.
const CleanRadius = 2

// Segment labels every sample of x, a width x height image row-major, with its most
// responsible component of m, and returns the plane where each pixel holds the mean of its
// component as a level of 0..maxLevel (rounded and clipped), opened then closed with a
// 5x5 square. opt.Threads and opt.Kernel say where the labelling runs.
func Segment[T float32 | float64](m *gmm.Model, x []T, width, height, maxLevel int, opt gmm.Options) (*Plane, error) {
	if width*height != len(x) {
		return nil, fmt.Errorf("segment: %d samples for a %dx%d image", len(x), width, height)
	}
	if maxLevel < 1 || maxLevel > math.MaxUint16 {
		return nil, fmt.Errorf("segment: maximum level %d, want 1..65535", maxLevel)
	}
	labels := make([]uint16, len(x))
	if err := gmm.Classify(m, labels, x, opt); err != nil {
		return nil, err
	}
	lut := make([]uint16, m.K())
	for k, mu := range m.Means {
		lut[k] = uint16(math.Round(min(max(mu, 0), 1) * float64(maxLevel)))
	}
	for i, l := range labels {
		labels[i] = lut[l]
	}
	p := &Plane{Width: width, Height: height, Max: maxLevel, Levels: labels}
	Opening(p, CleanRadius)
	Closing(p, CleanRadius)
	return p, nil
}

// Image returns p as an 8-bit gray image when its levels fit in 8 bits, 16-bit otherwise.
func (p *Plane) Image() image.Image {
	r := image.Rect(0, 0, p.Width, p.Height)
	if p.Max <= 255 {
		img := image.NewGray(r)
		for i, v := range p.Levels {
			img.Pix[i] = uint8(v)
		}
		return img
	}
	img := image.NewGray16(r)
	for i, v := range p.Levels {
		img.Pix[2*i], img.Pix[2*i+1] = uint8(v>>8), uint8(v)
	}
	return img
}

// WritePNG writes img as a PNG file at path, atomically: on any error nothing is left at
// path (an existing file there stays as it was).
func WritePNG(path string, img image.Image) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := png.Encode(f, img); err != nil {
		return err
	}
	return f.Commit()
}
