package gmm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomModel returns a valid model of k components over d features of type c, its
// covariances correlated and of scales from 1e-3 to 1e3.
func randomModel(rng *rand.Rand, k, d int, c Covariance) Model {
	full := Model{Dims: d, Weights: make([]float64, k), Means: make([]float64, k*d), Covariances: make([]float64, k*d*d)}
	for j := range k {
		full.Weights[j] = 0.5 + rng.Float64()
		b := make([]float64, d*d) // a = b b^T + 1e-3 I, scaled per feature
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		scale := make([]float64, d)
		for a := range d {
			scale[a] = math.Pow(10, 3*(2*rng.Float64()-1))
			full.Means[j*d+a] = rng.NormFloat64()
		}
		for a := range d {
			for e := range d {
				s := 0.0
				for i := range d {
					s += b[a*d+i] * b[e*d+i]
				}
				if a == e {
					s += 1e-3
				}
				full.Covariances[j*d*d+a*d+e] = s * scale[a] * scale[e]
			}
		}
	}
	if d == 1 {
		full.Dims = 0
		full.Covariances = full.Covariances[:k]
		return full.as(c)
	}
	return full.asMulti(c)
}

// Precisions are the covariances' inverses and PrecisionsCholesky their factors, in
// scikit-learn's layouts: U upper-triangular with U U^T the precision, every type, and
// the precisions of a model give back its covariances.
func TestPrecisions(t *testing.T) {
	rng := rand.New(rand.NewPCG(36, 1))
	for _, d := range []int{1, 2, 5} {
		for _, c := range allTypes {
			for _, k := range []int{1, 3} {
				what := fmt.Sprintf("d=%d %v K=%d", d, c, k)
				m := randomModel(rng, k, d, c)
				p, err := m.Precisions()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				u, err := m.PrecisionsCholesky()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(p) != len(m.Covariances) || len(u) != len(p) {
					t.Fatalf("%s: %d precisions and %d factors for %d covariances", what, len(p), len(u), len(m.Covariances))
				}
				checkPrecisions(t, what, &m, p, u)
				back, err := covariancesOf(p, c, k, d)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				for i, v := range back {
					if e := math.Abs(v-m.Covariances[i]) / math.Sqrt(m.Covariances[diagOf(&m, i)]*m.Covariances[diagOf(&m, i)]); !(e <= 1e-9) {
						t.Errorf("%s: covariance %d from the precisions %v, was %v", what, i, v, m.Covariances[i])
					}
				}
			}
		}
	}
	bad := Model{Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{-1}}
	if _, err := bad.Precisions(); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("a negative variance's precision: %v", err)
	}
	if _, err := covariancesOf([]float64{1, 2, 2, 1}, Tied, 2, 2); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("an indefinite precision: %v", err)
	}
	if _, err := covariancesOf([]float64{1, 2}, Spherical, 3, 2); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("2 spherical precisions of 3 components: %v", err)
	}
}

// diagOf returns the index in m.Covariances of the variance on covariance entry i's row
// (i itself for variances alone): what entry i is judged against.
func diagOf(m *Model, i int) int {
	d := m.dims()
	if d == 1 || m.Covariance == Diag || m.Covariance == Spherical {
		return i
	}
	base, r := i/(d*d)*d*d, i%(d*d)/d
	return base + r*d + r
}

// checkPrecisions checks p and u as m's precisions and their factors: each precision
// times its covariance is the identity to 1e-9 of the matrices' scales, U is upper
// triangular, and U U^T is the precision.
func checkPrecisions(t *testing.T, what string, m *Model, p, u []float64) {
	t.Helper()
	d := m.dims()
	if d == 1 || m.Covariance == Diag || m.Covariance == Spherical {
		for i, v := range m.Covariances {
			if relErr(p[i]*v, 1) > 1e-15 || relErr(u[i]*u[i], p[i]) > 1e-15 {
				t.Errorf("%s: variance %v, precision %v, factor %v", what, v, p[i], u[i])
			}
		}
		return
	}
	for c := 0; c*d*d < len(p); c++ {
		sigma, pc, uc := m.Covariances[c*d*d:(c+1)*d*d], p[c*d*d:(c+1)*d*d], u[c*d*d:(c+1)*d*d]
		for i := range d {
			for j := range d {
				prod, uut := 0.0, 0.0
				for k := range d {
					prod += pc[i*d+k] * sigma[k*d+j]
					uut += uc[i*d+k] * uc[j*d+k]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				// Entry (i, j) of P Sigma is in units of feature j over feature i.
				scale := math.Sqrt(sigma[j*d+j] / sigma[i*d+i])
				if e := math.Abs(prod-want) / scale; !(e <= 1e-9) {
					t.Errorf("%s: component %d: (P Sigma)[%d][%d] = %v", what, c, i, j, prod)
				}
				if e := math.Abs(uut-pc[i*d+j]) / math.Sqrt(pc[i*d+i]*pc[j*d+j]); !(e <= 1e-12) {
					t.Errorf("%s: component %d: (U U^T)[%d][%d] = %v, precision %v", what, c, i, j, uut, pc[i*d+j])
				}
				if j < i && uc[i*d+j] != 0 {
					t.Errorf("%s: component %d: U[%d][%d] = %v below the diagonal", what, c, i, j, uc[i*d+j])
				}
			}
		}
	}
}
