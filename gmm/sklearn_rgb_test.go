package gmm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

// sklearnRGB is one of scikit-learn's colour fits in the shared reference data (see its
// README): the history of 10 EM iterations from a fixed start, and the final model's
// scores.
type sklearnRGB struct {
	Data struct {
		Image  string `json:"image"`
		SHA256 string `json:"float64_le_sha256"`
	} `json:"data"`
	Settings struct {
		Means [][]float64 `json:"means_init"`
		Reg   float64     `json:"reg_covar"`
	} `json:"settings"`
	History []struct {
		Weights     []float64       `json:"weights_"`
		Means       [][]float64     `json:"means_"`
		Covariances json.RawMessage `json:"covariances_"`
		LowerBound  float64         `json:"lower_bound_"`
		ScoreAfter  float64         `json:"score_after_call"`
	} `json:"history"`
	Final struct {
		Score        float64     `json:"score"`
		BIC          float64     `json:"bic"`
		AIC          float64     `json:"aic"`
		Parameters   int         `json:"n_parameters"`
		LabelCounts  []int       `json:"predict_label_counts"`
		ProbeX       [][]float64 `json:"probe_X"`
		ProbePredict []uint16    `json:"probe_predict"`
		ProbeProba   [][]float64 `json:"probe_predict_proba"`
		ProbeScores  []float64   `json:"probe_score_samples"`
	} `json:"final"`
}

// rgbSamples reads a PNG as rows (R, G, B)/255 in image order, and checks them against the
// reference's hash of the same array.
func rgbSamples(t *testing.T, path, sum string) []float64 {
	t.Helper()
	img := imagetest.Read(t, path)
	b := img.Bounds()
	x := make([]float64, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			r, g, bl, _ := img.At(px, y).RGBA()
			x = append(x, float64(r>>8)/255, float64(g>>8)/255, float64(bl>>8)/255)
		}
	}
	raw := make([]byte, 8*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
	}
	if h := sha256.Sum256(raw); hex.EncodeToString(h[:]) != sum {
		t.Fatalf("%s: the samples differ from scikit-learn's (sha256 %x, want %s)", path, h, sum)
	}
	return x
}

// flat returns the numbers of a JSON array of any depth, in order.
func flat(t *testing.T, raw json.RawMessage) []float64 {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []float64
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case float64:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// closeTo fails unless got and want agree to tol of the largest magnitude in want.
func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d numbers, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*scale {
			t.Fatalf("%s[%d] = %v, want %v (%.2g of the scale)", what, i, got[i], want[i], math.Abs(got[i]-want[i])/scale)
		}
	}
}

// Every iteration of a colour fit, for every covariance type, agrees with scikit-learn
// 1.2's GaussianMixture from the same start to 1e-8: weights, means, covariances and the
// mean log-likelihood; so do the final BIC, AIC, label counts and the probes' scores and
// responsibilities.
func TestColourFitsMatchScikitLearn(t *testing.T) {
	dir := filepath.Join(sharedtest.Dir(t), "reference", "sklearn-rgb")
	var x []float64
	for _, c := range []Covariance{Full, Diag, Spherical, Tied} {
		t.Run(c.String(), func(t *testing.T) {
			path := filepath.Join(dir, "gophers_k4_"+c.String()+".json")
			sharedtest.Need(t, path)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var ref sklearnRGB
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatal(err)
			}
			if x == nil {
				x = rgbSamples(t, filepath.Join(sharedtest.Dir(t), "testdata", "images", ref.Data.Image), ref.Data.SHA256)
			}
			n := float64(len(x) / 3)
			start := sklearnStart(ref, c)
			var first float64
			opt := Options{Dims: 3, Covariance: c, Components: 4, MaxIter: len(ref.History), AddedVariance: offIfZero(ref.Settings.Reg), InitModel: &start, Init: InitEvenlySpaced, Tol: Off}
			var rec Record
			opt.Progress = func(s Step) {
				if s.Iter == -1 {
					first = s.LogLikelihood
				}
				rec.Add(s)
			}
			res, err := Fit(t.Context(), x, opt)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-8
			for i, h := range ref.History {
				got := rec.Run(0)[i].Model
				var means []float64
				for _, mu := range h.Means {
					means = append(means, mu...)
				}
				closeTo(t, "weights", got.Weights, h.Weights, tol)
				closeTo(t, "means", got.Means, means, tol)
				closeTo(t, "covariances", got.Covariances, flat(t, h.Covariances), tol)
				before := first
				if i > 0 {
					before = res.History[i-1]
				}
				closeTo(t, "lower bound", []float64{before / n}, []float64{h.LowerBound}, tol)
				closeTo(t, "score after", []float64{res.History[i] / n}, []float64{h.ScoreAfter}, tol)
			}
			checkFinal(t, &res.Model, x, ref, tol)
		})
	}
}

// sklearnStart is the references' start in the type c: weights 1/4, the given means,
// covariances 0.01 I.
func sklearnStart(ref sklearnRGB, c Covariance) Model {
	start := Model{Dims: 3, Weights: []float64{0.25, 0.25, 0.25, 0.25}}
	for _, mu := range ref.Settings.Means {
		start.Means = append(start.Means, mu...)
	}
	start.Covariances = make([]float64, covarianceLen(Full, 4, 3))
	for k := range 4 {
		for a := range 3 {
			start.Covariances[k*9+a*4] = 0.01
		}
	}
	return start.as(c)
}

// checkFinal compares the scores of the fitted model m on x with scikit-learn's.
func checkFinal(t *testing.T, m *Model, x []float64, ref sklearnRGB, tol float64) {
	t.Helper()
	f := ref.Final
	if m.NumParameters() != f.Parameters {
		t.Errorf("%d parameters, scikit-learn counts %d", m.NumParameters(), f.Parameters)
	}
	score, err := Score(t.Context(), m, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	bic, _ := BIC(t.Context(), m, x, Exec{})
	aic, _ := AIC(t.Context(), m, x, Exec{})
	closeTo(t, "score", []float64{score}, []float64{f.Score}, tol)
	closeTo(t, "BIC", []float64{bic}, []float64{f.BIC}, tol)
	closeTo(t, "AIC", []float64{aic}, []float64{f.AIC}, tol)
	labels := make([]uint16, len(x)/3)
	if err := Predict(t.Context(), m, labels, x, Exec{}); err != nil {
		t.Fatal(err)
	}
	counts := make([]int, m.K())
	for _, l := range labels {
		counts[l]++
	}
	for k := range counts {
		if counts[k] != f.LabelCounts[k] {
			t.Fatalf("label counts %v, scikit-learn %v", counts, f.LabelCounts)
		}
	}
	var probes []float64
	for _, p := range f.ProbeX {
		probes = append(probes, p...)
	}
	scores, err := ScoreSamples(t.Context(), m, probes, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "probe scores", scores, f.ProbeScores, tol)
	proba, err := PredictProba(t.Context(), m, probes, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range f.ProbeProba {
		closeTo(t, "probe responsibilities", proba[i*m.K():(i+1)*m.K()], row, tol)
	}
	plabels := make([]uint16, len(f.ProbePredict))
	if err := Predict(t.Context(), m, plabels, probes, Exec{}); err != nil {
		t.Fatal(err)
	}
	for i := range plabels {
		if plabels[i] != f.ProbePredict[i] {
			t.Fatalf("probe labels %v, scikit-learn %v", plabels, f.ProbePredict)
		}
	}
}
