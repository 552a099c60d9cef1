package gmm

// startSampleSize is how many samples the starts along the principal axis read at most:
// past it, they read that many, evenly spread over the data. Their passes (the moments,
// the projections, the nearest centres) run in Go, at a few passes of the SIMD E-step
// each; over every pixel of a 16-megapixel photo they took as long as the 8 iterations
// that followed. 2^16 samples pin the data's mean, covariance and principal axis to well
// under a percent of its spread, which is all a start needs.
const startSampleSize = 1 << 16

// startSample returns at most startSampleSize of the samples s, with their weights from w
// (nil without weights), held: sample floor((j + 1/2) n / m) for j < m, or s and w
// themselves when there are no more than that.
func startSample[T float32 | float64](s *tiled[T], w []float64) (*tiled[T], []float64) {
	if s.n <= startSampleSize {
		return s, w
	}
	m, d := startSampleSize, s.d
	x := make([]T, m*d)
	var sw []float64
	if w != nil {
		sw = make([]float64, m)
	}
	buf := make([]T, d)
	for j := range m {
		i := int((int64(2*j+1) * int64(s.n)) / int64(2*m))
		copy(x[j*d:], s.at(i, buf))
		if w != nil {
			sw[j] = w[i]
		}
	}
	return rowSamples(x, d).onDriver(s.dr), sw
}
