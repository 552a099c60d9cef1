package gmm

import (
	"fmt"
	"math"
)

// Precisions returns the precision of every component, the inverse of its covariance, in
// scikit-learn's precisions_ layout for m's covariance type (that of Covariances): K x d x d
// for Full, d x d for Tied, K x d for Diag (one over each variance), K for Spherical. It
// returns an error for a model that Validate refuses.
func (m *Model) Precisions() ([]float64, error) {
	return m.precisions(false)
}

// PrecisionsCholesky returns the Cholesky factor of every component's precision in
// scikit-learn's precisions_cholesky_ layout (that of Precisions): for Full and Tied the
// upper-triangular U, row-major, with U U^T the precision (the transpose of the inverse
// of the covariance's lower Cholesky factor), for Diag and Spherical one over each
// standard deviation. These are the factors every density of the mixture is computed
// through. It returns an error for a model that Validate refuses.
func (m *Model) PrecisionsCholesky() ([]float64, error) {
	return m.precisions(true)
}

// precisions returns m's precisions, or with factor their Cholesky factors.
func (m *Model) precisions(factor bool) ([]float64, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	out := make([]float64, len(m.Covariances))
	d := m.dims()
	if m.Covariance == Diag || m.Covariance == Spherical || d == 1 {
		for i, v := range m.Covariances {
			if factor {
				out[i] = 1 / math.Sqrt(v)
			} else {
				out[i] = 1 / v
			}
		}
		return out, nil
	}
	l := make([]float64, d*d)
	for c := 0; c*d*d < len(out); c++ {
		a := out[c*d*d : (c+1)*d*d]
		copy(a, m.Covariances[c*d*d:(c+1)*d*d])
		if !invertSPD(a, l, d, factor) {
			return nil, fmt.Errorf("gmm: %w: covariance of component %d is not positive definite", ErrInvalidModel, c)
		}
	}
	return out, nil
}

// invertSPD replaces the symmetric positive-definite matrix a (d x d, upper triangle read)
// by its inverse or, with factor, by the upper-triangular U with U U^T its inverse; l is
// scratch of d x d. It reports whether a is positive definite. The inverse of a precision
// is its covariance, so the same steps take a precision to a covariance.
func invertSPD(a, l []float64, d int, factor bool) bool {
	if ok, _ := cholesky(l, a, d, bound{}); !ok {
		return false
	}
	precisionFactor(a, l, d)
	if factor {
		return true
	}
	copy(l, a)
	for i := range d {
		for j := i; j < d; j++ {
			s := 0.0 // (U U^T)_ij: row i of U times row j, U zero left of the diagonal
			for k := j; k < d; k++ {
				s += float64(l[i*d+k] * l[j*d+k])
			}
			a[i*d+j], a[j*d+i] = s, s
		}
	}
	return true
}

// covariancesOf returns the covariances, in Model.Covariances' layout, of precisions p
// given in Precisions' layout for k components of type c over d features, or an error if
// they are not what Validate takes of covariances: finite, symmetric, positive definite.
func covariancesOf(p []float64, c Covariance, k, d int) ([]float64, error) {
	probe := Model{Dims: d, Covariance: c, Weights: make([]float64, k), Means: make([]float64, k*d), Covariances: p}
	if d == 1 {
		probe.Dims = 0
	}
	for j := range probe.Weights {
		probe.Weights[j] = 1
	}
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("gmm: %w: the precisions are no %v precisions of %d components over %d features: %w", ErrInvalidOptions, c, k, d, err)
	}
	return probe.precisions(false)
}
