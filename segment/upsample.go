package segment

import (
	"image"

	"github.com/gmmsimd/gmmsimd/internal/parallel"
	"github.com/gmmsimd/gmmsimd/segment/internal/bigmem"
)

// JPEG colour as other tools decode it. Go's image/jpeg gives the chroma planes at their
// stored resolution, and YCbCr.At repeats the nearest sample; libjpeg (libjpeg-turbo, and
// with it Pillow, OpenCV and scikit-image) interpolates them by default ("fancy
// upsampling", a triangle filter: 3/4 of the nearer sample and 1/4 of the farther one,
// along each subsampled axis) and converts with its own fixed-point tables. This file
// does the same, in integers, so that colours match libjpeg-turbo's decode of the same
// file to within the inverse DCTs' rounding.

// fullChroma returns the Cb and Cr planes of ycc at full resolution, row-major w x h:
// 4:2:2 and 4:2:0 and 4:4:0 by libjpeg's fancy upsampling, 4:4:4 as stored, and the
// ratios libjpeg only repeats (4:1:1, 4:1:0) repeated.
func fullChroma(ycc *image.YCbCr) (cb, cr []uint8) {
	b := ycc.Bounds()
	w, h := b.Dx(), b.Dy()
	cb, cr = bigmem.Make[uint8](w*h), bigmem.Make[uint8](w*h)
	parallel.For(h, rowGrain(w), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			upsampleRow(cb[y*w:(y+1)*w], ycc, ycc.Cb, y)
			upsampleRow(cr[y*w:(y+1)*w], ycc, ycc.Cr, y)
		}
	})
	return cb, cr
}

// chromaRow returns row r of the chroma plane c of ycc, counted from the image's first,
// clamped to the plane's rows as libjpeg repeats its edge rows.
func chromaRow(ycc *image.YCbCr, c []uint8, r int) []uint8 {
	b := ycc.Bounds()
	sub := subsampling(ycc.SubsampleRatio)
	rows := (b.Max.Y+sub.v-1)/sub.v - b.Min.Y/sub.v
	cols := (b.Max.X+sub.h-1)/sub.h - b.Min.X/sub.h
	i := min(max(r, 0), rows-1) * ycc.CStride
	return c[i : i+cols]
}

// factors are a chroma plane's horizontal and vertical subsampling.
type factors struct{ h, v int }

func subsampling(r image.YCbCrSubsampleRatio) factors {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return factors{2, 1}
	case image.YCbCrSubsampleRatio420:
		return factors{2, 2}
	case image.YCbCrSubsampleRatio440:
		return factors{1, 2}
	case image.YCbCrSubsampleRatio411:
		return factors{4, 1}
	case image.YCbCrSubsampleRatio410:
		return factors{4, 2}
	}
	return factors{1, 1}
}

// upsampleRow sets out to image row y of the chroma plane c of ycc at full resolution.
func upsampleRow(out []uint8, ycc *image.YCbCr, c []uint8, y int) {
	b := ycc.Bounds()
	sub := subsampling(ycc.SubsampleRatio)
	// The chroma row of image row y, and its vertical neighbour on y's side of it.
	cy := (b.Min.Y+y)/sub.v - b.Min.Y/sub.v
	near := chromaRow(ycc, c, cy)
	switch {
	case sub.h == 2 && sub.v == 1:
		fancyH(out, near)
	case sub.v == 2 && (sub.h == 2 || sub.h == 1):
		other := cy - 1
		if (b.Min.Y+y)%2 == 1 {
			other = cy + 1
		}
		far := chromaRow(ycc, c, other)
		if sub.h == 2 {
			fancyHV(out, near, far)
		} else {
			fancyV(out, near, far, (b.Min.Y+y)%2 == 1)
		}
	default: // 4:4:4 as stored; 4:1:1 and 4:1:0 repeated, as libjpeg does
		for x := range out {
			out[x] = near[x/sub.h]
		}
	}
}

// fancyH is libjpeg's h2v1 fancy upsampling of one row: each output pixel 3/4 of its
// sample and 1/4 of the neighbour on its side, rounding alternately down and up.
func fancyH(out, in []uint8) {
	n := len(in)
	for i := range n {
		v := 3 * int(in[i])
		left, right := int(in[max(i-1, 0)]), int(in[min(i+1, n-1)])
		if 2*i < len(out) {
			out[2*i] = uint8((v + left + 1) >> 2)
			if i == 0 {
				out[0] = in[0]
			}
		}
		if 2*i+1 < len(out) {
			out[2*i+1] = uint8((v + right + 2) >> 2)
			if i == n-1 {
				out[2*i+1] = in[i]
			}
		}
	}
}

// fancyV is libjpeg's h1v2 fancy upsampling: 3/4 of the nearer row and 1/4 of the
// farther, rounding up on odd rows (bottom) and down on even ones, as libjpeg-turbo.
func fancyV(out, near, far []uint8, odd bool) {
	bias := 1
	if odd {
		bias = 2
	}
	for x := range out {
		out[x] = uint8((3*int(near[x]) + int(far[x]) + bias) >> 2)
	}
}

// fancyHV is libjpeg's h2v2 fancy upsampling of one output row: the column sums
// 3 near + far, then 3/4 of the own column's sum and 1/4 of the neighbour's, over 16.
func fancyHV(out, near, far []uint8) {
	n := len(near)
	sum := func(i int) int { return 3*int(near[i]) + int(far[i]) }
	for i := range n {
		this := sum(i)
		if 2*i < len(out) {
			if i == 0 {
				out[0] = uint8((4*this + 8) >> 4)
			} else {
				out[2*i] = uint8((3*this + sum(i-1) + 8) >> 4)
			}
		}
		if 2*i+1 < len(out) {
			if i == n-1 {
				out[2*i+1] = uint8((4*this + 7) >> 4)
			} else {
				out[2*i+1] = uint8((3*this + sum(i+1) + 7) >> 4)
			}
		}
	}
}

// libjpeg's YCbCr-to-RGB tables (jdcolor.c): 16-bit fixed point, rounded once.
var jpegTables = func() (t struct{ crR, cbB, crG, cbG [256]int32 }) {
	const half = 1 << 15
	fix := func(x float64) int32 { return int32(x*65536 + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + half) >> 16
		t.cbB[i] = (fix(1.77200)*x + half) >> 16
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + half
	}
	return t
}()

// jpegRGB converts one pixel as libjpeg does.
func jpegRGB(y, cb, cr uint8) (r, g, b uint8) {
	t := &jpegTables
	clamp := func(v int32) uint8 { return uint8(min(max(v, 0), 255)) }
	yy := int32(y)
	return clamp(yy + t.crR[cr]), clamp(yy + ((t.cbG[cb] + t.crG[cr]) >> 16)), clamp(yy + t.cbB[cb])
}

// asRGB returns img with a JPEG's YCbCr converted to RGB as libjpeg converts it, fancy
// upsampling included (an NRGBA image, 4 bytes a pixel); any other image as it is.
func asRGB(img image.Image) image.Image {
	ycc, ok := img.(*image.YCbCr)
	if !ok {
		return img
	}
	b := ycc.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	src := newColourSource(ycc, RGB)
	parallel.For(h, rowGrain(w), func(y0, y1 int) {
		pix := out.Pix[4*y0*w : 4*y1*w]
		src.span(y0*w, y1*w, func(i int, r, g, b uint32) {
			px := pix[4*i : 4*i+4 : 4*i+4]
			px[0], px[1], px[2], px[3] = uint8(r), uint8(g), uint8(b), 0xff
		})
	})
	return out
}
