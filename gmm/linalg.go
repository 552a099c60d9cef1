package gmm

import "math"

// The small dense algebra of the multichannel mixtures: d x d matrices row-major, d at
// most kernel.MaxDims.

// minPivot is the smallest pivot of a bounded Cholesky factorisation, relative to its
// diagonal entry: a pivot the factorisation computes with an error of a few
// (d + 1) 2^-53 of that entry, which a change of units (the frame's, see frame.go)
// rounds again, could come out negative below it; d up to 1024 leaves 2^-40 a margin of
// eight.
const minPivot = 0x1p-40

// bound is a floor on the pivots of a Cholesky factorisation, the variance of feature j
// left once features 0..j-1 are known: a pivot below below[j] becomes to[j].
type bound struct{ below, to []float64 }

// cholesky sets l to the lower-triangular Cholesky factor of the symmetric matrix a
// (a = l l^T; only a's upper triangle is read) and reports whether it exists. With a
// bound b, a pivot below b.below[j], or below minPivot of a's diagonal entry, becomes
// b.to[j] (at least that), and a's diagonal with it, so that a stays the matrix l
// factors; raised reports whether that happened. Without one (a nil b.below), a pivot
// that is not positive fails.
func cholesky(l, a []float64, d int, b bound) (ok, raised bool) {
	clear(l)
	for j := range d {
		p := a[j*d+j]
		for k := range j {
			p -= l[j*d+k] * l[j*d+k]
		}
		if relative := minPivot * a[j*d+j]; b.below != nil && !(p >= max(b.below[j], relative)) {
			to := max(b.to[j], relative)
			a[j*d+j] += to - p
			p, raised = to, true
		}
		if !(p > 0) || math.IsInf(p, 0) {
			return false, raised
		}
		ljj := math.Sqrt(p)
		l[j*d+j] = ljj
		for i := j + 1; i < d; i++ {
			s := a[j*d+i] // the upper triangle: a[i][j] = a[j][i]
			for k := range j {
				s -= l[i*d+k] * l[j*d+k]
			}
			l[i*d+j] = s / ljj
		}
	}
	return true, raised
}

// precisionFactor sets u to the upper-triangular U with U U^T = (l l^T)^-1, the transpose
// of l's inverse, and returns sum_j log U_jj.
func precisionFactor(u, l []float64, d int) float64 {
	clear(u)
	logDet := 0.0
	// Column c of l^-1 solves l z = e_c by forward substitution; U = (l^-1)^T takes it
	// as row c.
	for c := range d {
		for i := c; i < d; i++ {
			s := 0.0
			if i == c {
				s = 1
			}
			for k := c; k < i; k++ {
				s -= l[i*d+k] * u[c*d+k]
			}
			u[c*d+i] = s / l[i*d+i]
		}
		logDet += math.Log(u[c*d+c])
	}
	return logDet
}

// symmetrise copies a's upper triangle onto its lower one.
func symmetrise(a []float64, d int) {
	for i := range d {
		for j := i + 1; j < d; j++ {
			a[j*d+i] = a[i*d+j]
		}
	}
}

// principalAxis returns the largest eigenvalue of the symmetric positive semi-definite a
// and a unit eigenvector, by power iteration from the axis of a's largest diagonal entry
// (enough to split a component along its widest direction).
func principalAxis(a []float64, d int) (float64, []float64) {
	v, next := make([]float64, d), make([]float64, d)
	top := 0
	for j := range d {
		if a[j*d+j] > a[top*d+top] {
			top = j
		}
	}
	v[top] = 1
	lambda := a[top*d+top]
	for range 100 {
		norm := 0.0
		for i := range d {
			s := 0.0
			for j := range d {
				s += a[i*d+j] * v[j]
			}
			next[i] = s
			norm += float64(s * s)
		}
		norm = math.Sqrt(norm)
		if !(norm > 0) {
			break
		}
		for i := range d {
			next[i] /= norm
		}
		v, next = next, v
		if math.Abs(norm-lambda) <= 1e-12*norm {
			lambda = norm
			break
		}
		lambda = norm
	}
	return lambda, v
}
