package pngenc

import (
	"image"
	"image/png"
	"io"
	"testing"
)

// BenchmarkEncode writes a 20-megapixel segmentation in 3 classes: as the paletted 2-bit
// file Encode makes, and as image/png's best speed makes the same pixels in 8-bit gray
// (what gmmseg wrote before).
func BenchmarkEncode(b *testing.B) {
	img := segmentation(5472, 3648, 3, 9)
	gray := &image.Gray{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	b.Run("impl=pngenc", func(b *testing.B) {
		for b.Loop() {
			if err := Encode(io.Discard, img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=image-png-gray", func(b *testing.B) {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		for b.Loop() {
			if err := enc.Encode(io.Discard, gray); err != nil {
				b.Fatal(err)
			}
		}
	})
}
