package segment

import (
	"testing"
)

// BenchmarkColourPixelsRead is the cost, per pixel, of reading a tile of a JPEG's pixels
// as samples of each colour space: what a pass over the pixels pays on top of its
// kernel, once a pass.
func BenchmarkColourPixelsRead(b *testing.B) {
	img := throughJPEG(b, rgbTestImage(9, 1024, 1024))
	for _, ch := range []Channel{RGB, CIELab, YCbCr} {
		px, err := ColourPixels[float64](img, ch, 0)
		if err != nil {
			b.Fatal(err)
		}
		const tile = 8192
		dst := make([]float64, 3*tile)
		for _, layout := range []string{"rows", "planes"} {
			read := map[string]func([]float64, int){"rows": px.Read, "planes": px.ReadPlanes}[layout]
			b.Run("channel="+ch.String()+"/layout="+layout, func(b *testing.B) {
				lo := 0
				for b.Loop() {
					read(dst, lo)
					lo = (lo + tile) % (px.Len() - tile)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tile), "ns/px")
			})
		}
	}
}
