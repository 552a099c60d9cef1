package kernel

// The parity kernels of a Set, called for a precision T as the tests call every kernel.

// ExpSumStable runs the reference program's kernel over x (see Set) on one goroutine:
// p is K x len(x), component-major.
func ExpSumStable[T Float](k *Kernels, p, pmax, expsum, x []T, c *Coeffs) {
	Of[T](k).ExpSumStable(p, pmax, expsum, x, c, nil)
}

// LogNormPDF sets dst[n] = cnst - halfPrec*(x[n]-mean)^2, the weighted log-density of one
// component, on one goroutine.
func LogNormPDF[T Float](k *Kernels, dst, x []T, cnst, mean, halfPrec float64) {
	Of[T](k).LogNormPDF(dst, x, cnst, mean, halfPrec)
}

// byStdev returns the coefficients of the mixture with the given weights, means and
// standard deviations.
func byStdev(weights, means, stdevs []float64) *Coeffs {
	v := make([]float64, len(stdevs))
	for k, sd := range stdevs {
		v[k] = sd * sd
	}
	return NewCoeffs(weights, means, v)
}

// planeReader returns a reader of the samples x (row-major, d features each) as planes:
// dst set to the len(dst)/d samples from lo on, feature j of sample lo+i at dst[j*n+i].
func planeReader[T Float](x []T, d int) func(dst []T, lo int) {
	return func(dst []T, lo int) {
		n := len(dst) / d
		for i := range n {
			for j := range d {
				dst[j*n+i] = x[(lo+i)*d+j]
			}
		}
	}
}
