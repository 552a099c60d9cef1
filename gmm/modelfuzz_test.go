package gmm

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// FuzzModelJSON: whatever a model file holds, UnmarshalJSON gives a model that Validate
// accepts or an error; every scoring function then gives an error or the scores of the
// model, as holdsScores holds them.
func FuzzModelJSON(f *testing.F) {
	for _, seed := range []string{
		`{"weights": [0.3, 0.7], "means": [0.2, 0.8], "stdevs": [0.1, 0.2]}`,
		`{"dims": 1, "covariance": "tied", "weights": [1e308, 1e308], "means": [-1, 1], "covariances": [0.25]}`,
		`{"dims": 2, "covariance": "full", "weights": [1, 2], "means": [0, 0, 1, 1], "covariances": [1, 0.5, 0.5, 1, 2, -1, -1, 2]}`,
		`{"dims": 2, "covariance": "diag", "weights": [1e-300, 1], "means": [0, 0, 1, 1], "covariances": [1, 2, 3, 4]}`,
		`{"dims": 3, "covariance": "spherical", "weights": [5], "means": [1e300, -1e300, 0], "covariances": [1e-300]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Model
		if err := m.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("UnmarshalJSON error %v does not wrap ErrInvalidModel", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("UnmarshalJSON gave a model that Validate refuses: %v", err)
		}
		x := make([]float64, 3*m.dims())
		for i := range x {
			x[i] = float64(i%5) - 1.5
		}
		holdsScores(t, &m, x)
	})
}

// FuzzModelBits: a model made of any float64 bit patterns, weights, means, covariances
// and samples (or, with flag bit 0, means, covariances and samples mapped into an
// ordinary range, the weights kept as they are) is refused by Validate and by every
// scoring function alike, or scored as holdsScores holds it.
func FuzzModelBits(f *testing.F) {
	f.Add([]byte{1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) // 1-D
	f.Add([]byte{2, 2, 0, 3, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f, 0x7a, 0x3e, 0, 0, 0, 0, 0xe0, 0xbf})
	f.Add([]byte{0, 1, 3, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}) // MaxFloat64 everywhere
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		m, x := bitsModel(data[:4], data[4:])
		holdsScores(t, &m, x)
	})
}

// bitsModel builds a model and three samples from the header h (dimensions, components,
// covariance type, flags) and the float64 bit patterns of data, taken in turn and
// cycled (zeros if there are none). Covariances are the numbers as they come, or with
// flag bit 1 a product L L^T of a triangular L made of them, symmetric and positive
// semi-definite; with flag bit 0 every number but the weights is mapped into [-8, 8]
// (variances into [2^-8, 2^8]).
func bitsModel(h, data []byte) (Model, []float64) {
	d, k, cov := 1+int(h[0]%3), 1+int(h[1]%3), Covariance(h[2]%4)
	tame, factored := h[3]&1 != 0, h[3]&2 != 0
	i := 0
	raw := func() float64 {
		if len(data) < 8 {
			return 0
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(data[8*(i%(len(data)/8)):]))
		i++
		return v
	}
	next := func() float64 {
		v := raw()
		if tame && v != 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
			frac, _ := math.Frexp(v)         // the mantissa: |frac| in [1/2, 1)
			v = 32 * (math.Abs(frac) - 0.75) // its bits, in [-8, 8)
		}
		return v
	}
	m := Model{Dims: d, Covariance: cov, Weights: make([]float64, k), Means: make([]float64, k*d),
		Covariances: make([]float64, covarianceLen(cov, k, d))}
	for j := range m.Weights {
		m.Weights[j] = raw()
	}
	for j := range m.Means {
		m.Means[j] = next()
	}
	fillCovariances(&m, next, tame, factored)
	x := make([]float64, 3*d)
	for j := range x {
		x[j] = next()
	}
	if d == 1 {
		m.Dims = 0
	}
	return m, x
}

// fillCovariances sets m's covariances from next: as they come, or each matrix made a
// product L L^T (factored); tame variances lie in [2^-8, 2^8].
func fillCovariances(m *Model, next func() float64, tame, factored bool) {
	d := m.dims()
	full := m.Covariance == Full || m.Covariance == Tied
	if !full || !factored {
		for j := range m.Covariances {
			v := next()
			if tame && (!full || m.isVariance(j)) {
				v = math.Exp2(v) // [-8, 8] -> [2^-8, 2^8]
			}
			m.Covariances[j] = v
		}
		return
	}
	l := make([]float64, d*d)
	for c := 0; c < len(m.Covariances); c += d * d {
		for a := range d {
			for b := 0; b <= a; b++ {
				l[a*d+b] = next()
			}
			if tame {
				l[a*d+a] = math.Exp2(l[a*d+a] / 2)
			}
		}
		for a := range d {
			for b := 0; b <= a; b++ {
				s := 0.0
				for j := 0; j <= b; j++ {
					s += l[a*d+j] * l[b*d+j]
				}
				m.Covariances[c+a*d+b], m.Covariances[c+b*d+a] = s, s
			}
		}
	}
}

// holdsScores holds every scoring function to m and the samples x: all refuse m when
// Validate does, and x when it holds a NaN or an infinity; otherwise none fails, scores
// are finite or -Inf (an underflow), never NaN or +Inf, responsibilities are
// probabilities summing to one, labels are components; and where the straightforward
// float64 reference is reliable (see reference), the numbers are its own.
func holdsScores(t *testing.T, m *Model, x []float64) {
	t.Helper()
	invalid := m.Validate()
	_, _, bad := checkFinite(x, 0)
	ref := reference(m, x)
	for what, score := range scorers() {
		got, err := score(t.Context(), m, x)
		switch {
		case invalid != nil && !errors.Is(err, ErrInvalidModel):
			t.Fatalf("Validate refuses %+v (%v); %s gives %v, %v", m, invalid, what, got, err)
		case invalid == nil && bad != nil && !errors.Is(err, ErrInvalidData):
			t.Fatalf("%s of %+v on %v: %v, %v", what, m, x, got, err)
		case invalid != nil || bad != nil:
			continue
		case err != nil:
			t.Fatalf("%s of %+v on %v: %v", what, m, x, err)
		}
		for i, v := range got {
			if math.IsNaN(v) || (what == "ScoreSamples" || what == "LogLikelihood" || what == "Score") && math.IsInf(v, 1) {
				t.Fatalf("%s[%d] of %+v on %v is %v", what, i, m, x, v)
			}
		}
		if ref != nil {
			ref.check(t, what, got)
		}
	}
	if invalid != nil || bad != nil {
		return
	}
	proba, _ := PredictProba(t.Context(), m, x, Exec{})
	for n := range len(proba) / m.K() {
		row := proba[n*m.K() : (n+1)*m.K()]
		sum := 0.0
		for _, r := range row {
			if !(r >= 0 && r <= 1) {
				t.Fatalf("responsibility %v of %+v on %v", r, m, x)
			}
			sum += r
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("responsibilities %v of %+v on %v sum to %v", row, m, x, sum)
		}
	}
}

// referenceScores are the scores of samples under a model computed the straightforward
// way in float64, each sample's log-joints P_k with the error the library's numbers may
// have from them: 1e-12 of the largest magnitude of the terms summed into them, times
// the covariances' condition, and what a subnormal normalised weight cannot hold (a few
// of its units in the last place, relative to it).
type referenceScores struct {
	p   [][]float64 // per sample, per component
	tol []float64
}

// reference returns the straightforward float64 scores of x under m with its weights
// normalised (scaled by the largest, then by their sum), or nil where they are no
// reliable reference: an invalid model, a one-dimensional one outside the range where the
// library scores in place (the frame of an extreme model moves the numbers by more than
// rounding), a covariance too ill-conditioned, or a log-joint that is not finite.
func reference(m *Model, x []float64) *referenceScores {
	if _, _, err := checkFinite(x, 0); err != nil || m.Validate() != nil || (m.dims() == 1 && !tame(m, slices.Min(x), slices.Max(x))) {
		return nil
	}
	d, k := m.dims(), m.K()
	w := make([]float64, k)
	top, total := slices.Max(m.Weights), 0.0
	for c := range w {
		w[c] = m.Weights[c] / top
		total += w[c]
	}
	r := &referenceScores{}
	l, a := make([]float64, d*d), make([]float64, d*d)
	for n := range len(x) / d {
		p := make([]float64, k)
		scale, held := 0.0, 0.0
		for c := range k {
			m.covariance(a, c)
			if d == 1 {
				a[0] = m.variance(c)
			}
			if ok, _ := cholesky(l, a, d, bound{}); !ok {
				return nil
			}
			cond := conditionOf(l, d)
			if cond > 1e6 {
				return nil
			}
			z, logDet := make([]float64, d), 0.0
			quad := 0.0
			for i := range d {
				s := x[n*d+i] - m.Means[c*d+i]
				for j := range i {
					s -= l[i*d+j] * z[j]
				}
				z[i] = s / l[i*d+i]
				quad += z[i] * z[i]
				logDet += math.Log(l[i*d+i])
			}
			weight := w[c] / total
			logW := kernel.LogWeight(weight)
			p[c] = logW - logDet - float64(d)/2*math.Log(2*math.Pi) - quad/2
			if math.IsNaN(p[c]) || math.IsInf(p[c], 0) {
				return nil
			}
			scale = max(scale, cond*(math.Abs(logW)+math.Abs(logDet)+quad+float64(d)))
			held = max(held, 2*0x1p-1074/weight) // rounded twice here, once there
		}
		r.p = append(r.p, p)
		r.tol = append(r.tol, 1e-12*scale+held)
	}
	return r
}

// conditionOf is the condition number of the lower-triangular l in the Frobenius norm,
// from its inverse (the transpose of precisionFactor's U).
func conditionOf(l []float64, d int) float64 {
	u := make([]float64, d*d)
	precisionFactor(u, l, d)
	norm, invNorm := 0.0, 0.0
	for i := range u {
		norm += l[i] * l[i]
		invNorm += u[i] * u[i]
	}
	return math.Sqrt(norm * invNorm)
}

// check holds what of the scoring functions gave, got, to the reference, within the
// reference's tolerance (the sum of them for the totals).
func (r *referenceScores) check(t *testing.T, what string, got []float64) {
	t.Helper()
	k := len(r.p[0])
	var want, tol []float64
	total, totalTol := 0.0, 0.0
	for n, p := range r.p {
		lse := logSumExp(p)
		total += lse
		totalTol += r.tol[n]
		switch what {
		case "ScoreSamples":
			want, tol = append(want, lse), append(tol, r.tol[n])
		case "PredictProba":
			for c := range k {
				want, tol = append(want, math.Exp(p[c]-lse)), append(tol, r.tol[n])
			}
		case "Predict":
			best := slices.Index(p, slices.Max(p))
			for c := range k {
				if c != best && p[best]-p[c] <= 2*r.tol[n] {
					return // a tie within rounding: either label is right
				}
			}
			want, tol = append(want, float64(best)), append(tol, 0)
		}
	}
	samples := float64(len(r.p))
	switch what {
	case "LogLikelihood":
		want, tol = []float64{total}, []float64{totalTol}
	case "Score":
		want, tol = []float64{total / samples}, []float64{totalTol / samples}
	case "BIC", "AIC":
		return // LogLikelihood's number, with a term of the parameters' count added
	}
	for i := range want {
		if got[i] != want[i] && !(math.Abs(got[i]-want[i]) <= tol[i]) { // equal: a sum past the range too
			t.Fatalf("%s[%d] = %v, the reference %v (within %v)", what, i, got[i], want[i], tol[i])
		}
	}
}

// logSumExp is log sum_k exp(p_k), from the largest.
func logSumExp(p []float64) float64 {
	top := slices.Max(p)
	s := 0.0
	for _, v := range p {
		s += math.Exp(v - top)
	}
	return top + math.Log(s)
}
