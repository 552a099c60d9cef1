package gmm

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// In one dimension Full, Diag and Spherical are one mixture: the same fit, bit for bit,
// recorded under the type asked for.
func TestOneDimensionalTypesAgree(t *testing.T) {
	x := sample(t, 31, 20000, truth)
	var first *Result
	for _, c := range []Covariance{Full, Diag, Spherical} {
		res, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 20, Covariance: c, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
		if err != nil {
			t.Fatal(err)
		}
		if res.Model.Covariance != c || len(res.Model.Covariances) != 3 {
			t.Fatalf("%v: a model of type %v with %d covariances", c, res.Model.Covariance, len(res.Model.Covariances))
		}
		if first == nil {
			first = res
			continue
		}
		if !slices.Equal(res.Model.Covariances, first.Model.Covariances) || !slices.Equal(res.Model.Means, first.Model.Means) {
			t.Errorf("%v: %v, full: %v", c, res.Model, first.Model)
		}
	}
}

// A tied fit is EM with one variance pooled over the components, as a plain float64 EM
// over the samples computes it.
func TestTiedOneDimensional(t *testing.T) {
	x := sample(t, 32, 5000, truth)
	start := Model{Weights: []float64{0.3, 0.3, 0.4}, Means: []float64{0.1, 0.5, 0.9}, Covariances: []float64{0.01}, Covariance: Tied}
	opt := Options{Components: 3, MaxIter: 15, Covariance: Tied, InitModel: &start, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	var rec Record
	opt.Progress = rec.Add
	res, err := Fit(t.Context(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := start.Clone()
	for it := range 15 {
		w, mu, v, ll := tiedStep(x, want)
		want.Weights, want.Means, want.Covariances = w, mu, []float64{v}
		got := rec.Run(0)[it]
		// ll is of the parameters before this iteration: the last one's.
		if it > 0 && relErr(res.History[it-1], ll) > 1e-11 {
			t.Fatalf("iteration %d: log-likelihood %v, want %v", it-1, res.History[it-1], ll)
		}
		if len(got.Model.Covariances) != 1 || relErr(got.Model.Covariances[0], v) > 1e-11 {
			t.Fatalf("iteration %d: covariances %v, want [%v]", it, got.Model.Covariances, v)
		}
		for k := range mu {
			if relErr(got.Model.Means[k], mu[k]) > 1e-11 || relErr(got.Model.Weights[k], w[k]) > 1e-11 {
				t.Fatalf("iteration %d: %v, want means %v weights %v", it, got.Model, mu, w)
			}
		}
	}
	if got := res.Model.NumParameters(); got != 3+1+2 {
		t.Errorf("a tied 1-D model of 3 components has %d parameters, want 6", got)
	}
}

// tiedStep is one EM iteration from m, tied, over x: the next weights, means and variance,
// and the log-likelihood of m.
func tiedStep(x []float64, m Model) (w, mu []float64, v, ll float64) {
	k := m.K()
	// Each sample's responsibilities under m, and its density.
	r := make([]float64, len(x)*k)
	for i, xi := range x {
		row, s := r[i*k:(i+1)*k], 0.0
		for j := range k {
			d := xi - m.Means[j]
			row[j] = m.Weights[j] / math.Sqrt(2*math.Pi*m.Covariances[0]) * math.Exp(-d*d/(2*m.Covariances[0]))
			s += row[j]
		}
		ll += math.Log(s)
		for j := range row {
			row[j] /= s
		}
	}
	w, mu = make([]float64, k), make([]float64, k)
	for i, xi := range x {
		for j, rj := range r[i*k : (i+1)*k] {
			w[j] += rj
			mu[j] += rj * xi
		}
	}
	for j := range k {
		w[j], mu[j] = w[j]/float64(len(x)), mu[j]/w[j]
	}
	for i, xi := range x {
		for j, rj := range r[i*k : (i+1)*k] {
			d := xi - mu[j]
			v += rj * d * d
		}
	}
	return w, mu, v / float64(len(x)), ll
}

// A start of another type is converted: a tied start gives every component its variance,
// and a fit asked for Tied pools a full start's variances by weight.
func TestInitModelOfAnotherType(t *testing.T) {
	x := sample(t, 33, 2000, truth)
	tied := Model{Weights: []float64{1, 1, 2}, Means: []float64{0.1, 0.5, 0.9}, Covariances: []float64{0.02}, Covariance: Tied}
	res, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 1, InitModel: &tied, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Initial.Covariances, []float64{0.02, 0.02, 0.02}) || res.Initial.Covariance != Full {
		t.Errorf("a tied start for a full fit: %v", res.Initial)
	}
	full := Model{Weights: []float64{1, 1, 2}, Means: []float64{0.1, 0.5, 0.9}, Covariances: []float64{0.01, 0.02, 0.04}}
	res, err = Fit(t.Context(), x, Options{Components: 3, MaxIter: 1, InitModel: &full, Covariance: Tied, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Initial.Covariances, []float64{(0.01 + 0.02 + 2*0.04) / 4}) {
		t.Errorf("a full start for a tied fit: %v", res.Initial)
	}
}

func TestCovarianceNames(t *testing.T) {
	for _, c := range []Covariance{Full, Diag, Spherical, Tied} {
		back, err := ParseCovariance(c.String())
		if err != nil || back != c {
			t.Errorf("%v: parsed back as %v, %v", c, back, err)
		}
	}
	if _, err := ParseCovariance("round"); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("an unknown name: %v", err)
	}
	if _, err := Fit(t.Context(), []float64{1, 2}, Options{Components: 1, MaxIter: 1, Covariance: 7, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("an unknown type: %v", err)
	}
}
