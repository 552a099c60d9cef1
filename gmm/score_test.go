package gmm

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

// sklearnFit is one of ../shared/reference/sklearn_*.json: scikit-learn's GaussianMixture
// run from a given start on camera.png.
type sklearnFit struct {
	Settings   string  `json:"settings"`
	RegCovar   float64 `json:"reg_covar"`
	Init       Model   `json:"init"`
	Final      Model   `json:"final"`
	LowerBound float64 `json:"lower_bound"`
	Score      float64 `json:"score"`
	BIC        float64 `json:"bic"`
	AIC        float64 `json:"aic"`
	NParams    int     `json:"n_parameters"`
}

// cameraSamples are camera.png's gray levels / 255, as the scikit-learn runs read them.
func cameraSamples(t *testing.T, shared string) []float64 {
	t.Helper()
	img := imagetest.Read(t, filepath.Join(shared, "testdata", "images", "camera.png"))
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("camera.png decodes to %T, want 8-bit gray", img)
	}
	x := make([]float64, 0, len(g.Pix))
	for _, v := range g.Pix {
		x = append(x, float64(v)/255)
	}
	return x
}

func TestAgreesWithScikitLearn(t *testing.T) {
	shared := sharedtest.Dir(t)
	sharedtest.Need(t, filepath.Join(shared, "reference", "sklearn_camera_k3_reg0.json"))
	files, err := filepath.Glob(filepath.Join(shared, "reference", "sklearn_*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scikit-learn references in %s (%v)", shared, err)
	}
	x := cameraSamples(t, shared)
	maxIter := regexp.MustCompile(`max_iter=(\d+)`)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var ref sklearnFit
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		m := maxIter.FindStringSubmatch(ref.Settings)
		if m == nil {
			t.Fatalf("%s: no max_iter in %q", file, ref.Settings)
		}
		iters, _ := strconv.Atoi(m[1])
		for _, kern := range []Kernel{KernelGeneric, "auto"} {
			checkScikitLearn(t, filepath.Base(file)+"/"+string(kern), x, &ref, iters, Exec{Kernel: kern})
		}
	}
}

// checkScikitLearn fits x from ref's start for iters iterations on e's kernels and holds
// the result to scikit-learn's ref at 1e-8: the final parameters, the lower bound, the
// score, BIC and AIC, and the number of parameters.
func checkScikitLearn(t *testing.T, name string, x []float64, ref *sklearnFit, iters int, e Exec) {
	res, err := Fit(t.Context(), x, Options{Components: ref.Init.K(), MaxIter: iters, InitModel: &ref.Init,
		AddedVariance: offIfZero(ref.RegCovar), Exec: e, Init: InitEvenlySpaced, Tol: Off})
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-8
	for _, p := range [][2][]float64{
		{res.Model.Means, ref.Final.Means}, {res.Model.Stdevs(), ref.Final.Stdevs()}, {res.Model.Weights, ref.Final.Weights},
	} {
		for k := range p[1] {
			if e := relErr(p[0][k], p[1][k]); !(e <= tol) {
				t.Errorf("%s: final parameter %.17g, scikit-learn %.17g (rel err %.2g)", name, p[0][k], p[1][k], e)
			}
		}
	}
	n := float64(len(x))
	// scikit-learn's lower bound is of the parameters before its last M-step.
	lower := res.History[len(res.History)-2] / n
	score, err := Score(t.Context(), &res.Model, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	bic, _ := BIC(t.Context(), &res.Model, x, Exec{})
	aic, _ := AIC(t.Context(), &res.Model, x, Exec{})
	for _, v := range []struct {
		what      string
		got, want float64
	}{
		{"lower bound", lower, ref.LowerBound},
		{"score", score, ref.Score},
		{"last step's log-likelihood / N", res.LogLikelihood / n, ref.Score},
		{"BIC", bic, ref.BIC},
		{"AIC", aic, ref.AIC},
		{"parameters", float64(res.Model.NumParameters()), float64(ref.NParams)},
	} {
		if e := relErr(v.got, v.want); !(e <= tol) {
			t.Errorf("%s: %s %.17g, scikit-learn %.17g (rel err %.2g)", name, v.what, v.got, v.want, e)
		}
	}
}

func TestBICAndAICAreTheirFormulas(t *testing.T) {
	x := sample(t, 11, 5000, truth)
	ll, err := LogLikelihood(t.Context(), &truth, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	bic, err := BIC(t.Context(), &truth, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	aic, err := AIC(t.Context(), &truth, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	score, err := Score(t.Context(), &truth, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	if want := -2*ll + 8*math.Log(5000); bic != want {
		t.Errorf("BIC %v, want %v", bic, want)
	}
	if want := -2*ll + 16; aic != want {
		t.Errorf("AIC %v, want %v", aic, want)
	}
	if want := ll / 5000; score != want {
		t.Errorf("Score %v, want %v", score, want)
	}
	// The true K scores best by BIC among K = 1..5 fitted to its samples.
	best, bestK := math.Inf(1), 0
	for k := 1; k <= 5; k++ {
		res, err := Fit(t.Context(), x, Options{Components: k, MaxIter: 200, Tol: 1e-10, AddedVariance: 1e-9, Init: InitEvenlySpaced})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := BIC(t.Context(), &res.Model, x, Exec{}); b < best {
			best, bestK = b, k
		}
	}
	if bestK != 3 {
		t.Errorf("BIC picks K = %d for samples of 3 components", bestK)
	}
	for _, f := range []func(context.Context, *Model, any, Exec) (float64, error){BIC, AIC, Score} {
		if _, err := f(t.Context(), &truth, []float64(nil), Exec{}); !errors.Is(err, ErrInvalidData) {
			t.Errorf("no samples: %v, want ErrInvalidData", err)
		}
	}
}

func TestSampleFollowsTheModel(t *testing.T) {
	const n = 400000
	x, comp, err := truth.Sample(rand.New(rand.NewPCG(1, 2)), n)
	if err != nil {
		t.Fatal(err)
	}
	again, _, _ := truth.Sample(rand.New(rand.NewPCG(1, 2)), n)
	for i := range x {
		if x[i] != again[i] {
			t.Fatalf("sample %d differs with the same seed", i)
		}
	}
	byComp := make([][]float64, truth.K())
	for i, k := range comp {
		byComp[k] = append(byComp[k], x[i])
	}
	for k, xs := range byComp {
		// Within 5 standard errors: a correct sampler fails this about once in 10^6 runs.
		share, w := float64(len(xs))/n, truth.Weights[k]
		if math.Abs(share-w) > 5*math.Sqrt(w*(1-w)/n) {
			t.Errorf("component %d: share %v, weight %v", k, share, w)
		}
		mean, sd := stat.MeanStdDev(xs, nil)
		se := truth.Stdevs()[k] / math.Sqrt(float64(len(xs)))
		if math.Abs(mean-truth.Means[k]) > 5*se {
			t.Errorf("component %d: mean %v, want %v", k, mean, truth.Means[k])
		}
		if math.Abs(sd-truth.Stdevs()[k]) > 5*se/math.Sqrt2 {
			t.Errorf("component %d: stdev %v, want %v", k, sd, truth.Stdevs()[k])
		}
	}
	if _, _, err := (&Model{}).Sample(rand.New(rand.NewPCG(1, 2)), 3); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("empty model: %v", err)
	}
	if _, _, err := truth.Sample(rand.New(rand.NewPCG(1, 2)), -1); err == nil {
		t.Error("negative count: no error")
	}
}

func TestModelJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		k := 1 + rng.IntN(9)
		m := Model{Weights: make([]float64, k), Means: make([]float64, k), Covariances: make([]float64, k)}
		for i := range k {
			m.Weights[i] = rng.Float64() + 1e-300
			m.Means[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
			m.Covariances[i] = rng.ExpFloat64() + 1e-300
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Model
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		for _, p := range [][2][]float64{{m.Weights, back.Weights}, {m.Means, back.Means}, {m.Covariances, back.Covariances}} {
			for i := range p[0] {
				if math.Float64bits(p[0][i]) != math.Float64bits(p[1][i]) {
					t.Fatalf("%s read back as %v", data, back)
				}
			}
		}
	}
	if _, err := json.Marshal(fromStdevs([]float64{1}, []float64{0}, []float64{-1})); !errors.Is(err, ErrInvalidModel) {
		t.Errorf("marshalling an invalid model: %v", err)
	}
	keep := fromStdevs([]float64{1}, []float64{2}, []float64{3})
	for _, bad := range []string{
		`{"weights": [1], "means": [0]}`,
		`{"weights": [1], "means": [0], "stdevs": [0]}`,
		`{"weights": [1, 2], "means": [0], "stdevs": [1]}`,
		`{"weights": [], "means": [], "stdevs": []}`,
		`{"weights": [1], "means": [0], "stdevs": [1], "colour": "red"}`,
		`{"weights": [-1], "means": [0], "stdevs": [1]}`,
		`[1, 2, 3]`,
		`{"weights": [1], "means": [1e999], "stdevs": [1]}`,
	} {
		m := keep.Clone()
		if err := json.Unmarshal([]byte(bad), &m); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("%s: %v, want ErrInvalidModel", bad, err)
		}
		if m.Means[0] != 2 || m.K() != 1 {
			t.Errorf("%s: the model changed to %v", bad, m)
		}
	}
}
