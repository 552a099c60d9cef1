package gmm

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"
)

// refLogJoint is log(w_k/sum w) + log N(x; mu_k, sd_k) from gonum.
func refLogJoint(m *Model, x float64) []float64 {
	total := floats.Sum(m.Weights)
	p := make([]float64, m.K())
	for k := range p {
		p[k] = math.Log(m.Weights[k]/total) + distuv.Normal{Mu: m.Means[k], Sigma: m.Stdevs()[k]}.LogProb(x)
	}
	return p
}

func TestModelMethods(t *testing.T) {
	// Weights that do not sum to one: the methods normalise them.
	m := fromStdevs([]float64{2, 5, 3}, []float64{0.1, 0.5, 0.9}, []float64{0.05, 0.2, 0.03})
	x := sample(t, 20, 1001, truth)
	score, err := ScoreSamples(t.Context(), &m, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]uint16, len(x))
	if err := Predict(t.Context(), &m, labels, x, Exec{}); err != nil {
		t.Fatal(err)
	}
	proba, err := PredictProba(t.Context(), &m, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	ll, err := LogLikelihood(t.Context(), &m, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i, v := range x {
		p := refLogJoint(&m, v)
		lse := floats.LogSumExp(p)
		want += lse
		if relErr(score[i], lse) > 1e-12 {
			t.Fatalf("ScoreSamples[%d] = %v, want %v", i, score[i], lse)
		}
		if int(labels[i]) != floats.MaxIdx(p) {
			t.Fatalf("Predict[%d] = %d, want %d", i, labels[i], floats.MaxIdx(p))
		}
		row := proba[i*3 : i*3+3]
		if s := floats.Sum(row); math.Abs(s-1) > 1e-14 {
			t.Fatalf("PredictProba row %d sums to %v", i, s)
		}
		for k := range row {
			if r := math.Exp(p[k] - lse); math.Abs(row[k]-r) > 1e-13 {
				t.Fatalf("PredictProba[%d][%d] = %v, want %v", i, k, row[k], r)
			}
		}
	}
	if relErr(ll, want) > 1e-12 {
		t.Fatalf("LogLikelihood = %v, want %v", ll, want)
	}
}

func TestInvalidModels(t *testing.T) {
	cases := map[string]Model{
		"empty":         {},
		"ragged":        {Weights: []float64{1}, Means: []float64{0, 1}, Covariances: []float64{1, 1}},
		"zero weight":   {Weights: []float64{0}, Means: []float64{0}, Covariances: []float64{1}},
		"NaN mean":      {Weights: []float64{1}, Means: []float64{math.NaN()}, Covariances: []float64{1}},
		"Inf mean":      {Weights: []float64{1}, Means: []float64{math.Inf(1)}, Covariances: []float64{1}},
		"zero stdev":    {Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{0}},
		"Inf stdev":     {Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{math.Inf(1)}},
		"Inf weight":    {Weights: []float64{math.Inf(1)}, Means: []float64{0}, Covariances: []float64{1}},
		"negative":      {Weights: []float64{-1}, Means: []float64{0}, Covariances: []float64{1}},
		"NaN stdev":     {Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{math.NaN()}},
		"NaN weight":    {Weights: []float64{math.NaN()}, Means: []float64{0}, Covariances: []float64{1}},
		"negative sd":   {Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{-1}},
		"short weights": {Weights: []float64{}, Means: []float64{0}, Covariances: []float64{1}},
	}
	x := []float64{0.5}
	for name, m := range cases {
		if err := m.Validate(); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: Validate = %v", name, err)
		}
		if _, err := ScoreSamples(t.Context(), &m, x, Exec{}); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: ScoreSamples error %v", name, err)
		}
		if _, err := LogLikelihood(t.Context(), &m, x, Exec{}); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: LogLikelihood error %v", name, err)
		}
		if err := Predict(t.Context(), &m, make([]uint16, len(x)), x, Exec{}); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: Predict error %v", name, err)
		}
		if _, err := PredictProba(t.Context(), &m, x, Exec{}); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: PredictProba error %v", name, err)
		}
	}
}

func TestPredictChecksItsArguments(t *testing.T) {
	if err := Predict(t.Context(), &truth, make([]uint16, 2), []float32{1}, Exec{}); err == nil {
		t.Error("labels of the wrong length: no error")
	}
	if err := Predict(t.Context(), &truth, make([]uint16, 1), []float32{1}, Exec{Kernel: "sse9"}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("unknown kernel: error %v", err)
	}
}
