package gmm

import (
	"context"
	"errors"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// rowsSource reads row-major samples as a Source, for the tests.
type rowsSource struct {
	x []float64
	d int
}

func (s rowsSource) Len() int                   { return len(s.x) / s.d }
func (s rowsSource) Read(dst []float64, lo int) { copy(dst, s.x[lo*s.d:]) }

// formsOf returns the n samples of d features x in every form the functions take: the
// slice, a dense matrix over it, a strided view of a wider matrix, a transpose and a
// Source.
func formsOf(x []float64, d int) map[string]any {
	n := len(x) / d
	wide := mat.NewDense(n, d+2, nil)
	tall := mat.NewDense(d, n, nil)
	for i := range n {
		for j := range d {
			wide.Set(i, j+1, x[i*d+j])
			tall.Set(j, i, x[i*d+j])
		}
	}
	return map[string]any{
		"slice":     x,
		"dense":     mat.NewDense(n, d, x),
		"strided":   wide.Slice(0, n, 1, d+1),
		"transpose": tall.T(),
		"source":    rowsSource{x, d},
	}
}

// Every form of the same samples fits, selects, scores and labels alike, bit for bit.
func TestEveryFormOfSamplesGivesTheSameBits(t *testing.T) {
	for _, d := range []int{1, 3, 6} {
		x := colours(uint64(d), 3000, d, 3)
		if d == 1 {
			x = sample(t, 5, 3000, truth)
		}
		opt := Options{Dims: d, Components: 3, MaxIter: 5, Init: InitQuantiles, Tol: Off, AddedVariance: Off}
		want, err := Fit(t.Context(), x, opt)
		if err != nil {
			t.Fatal(err)
		}
		wantSel, err := SelectComponents(t.Context(), x, 2, 3, opt)
		if err != nil {
			t.Fatal(err)
		}
		m := &want.Model
		wantScores, wantLabels := scoresAndLabels(t, m, x)
		for name, form := range formsOf(x, d) {
			got, err := Fit(t.Context(), form, opt)
			if err != nil {
				t.Fatalf("d=%d %s: %v", d, name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("d=%d %s: Fit differs from the slice's", d, name)
			}
			opt0 := opt
			if _, isMatrix := form.(mat.Matrix); isMatrix {
				opt0.Dims = 0 // a matrix says its own
			}
			if got, err := Fit(t.Context(), form, opt0); err != nil || !reflect.DeepEqual(got.Model, want.Model) {
				t.Errorf("d=%d %s, Dims %d: Fit %v", d, name, opt0.Dims, err)
			}
			sel, err := SelectComponents(t.Context(), form, 2, 3, opt)
			if err != nil || !reflect.DeepEqual(sel, wantSel) {
				t.Errorf("d=%d %s: SelectComponents differs from the slice's (%v)", d, name, err)
			}
			scores, labels := scoresAndLabels(t, m, form)
			if !reflect.DeepEqual(scores, wantScores) || !slices.Equal(labels, wantLabels) {
				t.Errorf("d=%d %s: scores or labels differ from the slice's", d, name)
			}
		}
	}
}

// scoresAndLabels returns ScoreSamples, PredictProba, LogLikelihood, Score, BIC and AIC
// of m on x, and Predict's labels.
func scoresAndLabels(t *testing.T, m *Model, x any) ([][]float64, []uint16) {
	t.Helper()
	e := Exec{Threads: 2}
	scores, err := ScoreSamples(t.Context(), m, x, e)
	if err != nil {
		t.Fatal(err)
	}
	proba, err := PredictProba(t.Context(), m, x, e)
	if err != nil {
		t.Fatal(err)
	}
	var totals []float64
	for _, f := range []func(*testing.T, *Model, any) float64{logLik, score, bicOf, aicOf} {
		totals = append(totals, f(t, m, x))
	}
	labels := make([]uint16, len(scores))
	if err := Predict(t.Context(), m, labels, x, e); err != nil {
		t.Fatal(err)
	}
	return [][]float64{scores, proba, totals}, labels
}

func logLik(t *testing.T, m *Model, x any) float64 {
	return checkedValue(t)(LogLikelihood(t.Context(), m, x, Exec{}))
}
func score(t *testing.T, m *Model, x any) float64 {
	return checkedValue(t)(Score(t.Context(), m, x, Exec{}))
}
func bicOf(t *testing.T, m *Model, x any) float64 {
	return checkedValue(t)(BIC(t.Context(), m, x, Exec{}))
}
func aicOf(t *testing.T, m *Model, x any) float64 {
	return checkedValue(t)(AIC(t.Context(), m, x, Exec{}))
}

// checkedValue returns a function that fails t on an error and otherwise returns the
// value.
func checkedValue(t *testing.T) func(float64, error) float64 {
	return func(v float64, err error) float64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// A dense matrix whose rows lie one after another is read where it is: labelling a
// million samples of one feature copies none of them (a strided view is read into one
// slice, what the one-dimensional kernels take).
func TestDenseMatrixIsReadInPlace(t *testing.T) {
	const n = 1 << 20
	x := sample(t, 9, n, truth)
	labels := make([]uint16, n)
	alloc := func(form any) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := Predict(t.Context(), &truth, labels, form, Exec{Threads: 2}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	if a := alloc(mat.NewDense(n, 1, x)); a > n {
		t.Errorf("labelling a dense matrix of %d samples allocated %d bytes", n, a)
	}
	wide := mat.NewDense(n, 2, nil)
	wide.SetCol(1, x)
	if a := alloc(wide.Slice(0, n, 1, 2)); a < 8*n {
		t.Errorf("a strided view allocated %d bytes, less than the copy it needs: the test measures nothing", a)
	}
}

// Integer weights are the samples repeated: the fit, the log-likelihood, Score and BIC
// (N their sum) all agree with those of the repeated samples.
func TestWeightsAreRepeatedSamples(t *testing.T) {
	x := colours(3, 500, 2, 2)
	w := make([]float64, len(x)/2)
	var rep []float64
	for i := range w {
		w[i] = float64(i % 4)
		for range i % 4 {
			rep = append(rep, x[2*i:2*i+2]...)
		}
	}
	opt := Options{Dims: 2, Components: 2, MaxIter: 4, Init: InitQuantiles, Tol: Off, AddedVariance: Off}
	res, err := Fit(t.Context(), rep, opt)
	if err != nil {
		t.Fatal(err)
	}
	m := &res.Model
	weighted := Weighted{Samples: x, Weights: w}
	for name, f := range map[string]func(*testing.T, *Model, any) float64{"LogLikelihood": logLik, "Score": score, "BIC": bicOf, "AIC": aicOf} {
		if a, b := f(t, m, weighted), f(t, m, rep); relErr(a, b) > 1e-12 {
			t.Errorf("%s weighted %v, repeated %v", name, a, b)
		}
	}
	if a, b := logLik(t, m, Weighted{Samples: x}), logLik(t, m, x); a != b {
		t.Errorf("nil weights: %v, unweighted %v", a, b)
	}
}

// Samples in a form the functions do not take, or of a shape they do not match, are an
// error that says what was wrong, never a panic.
func TestBadFormsAreErrors(t *testing.T) {
	x := colours(4, 100, 2, 2)
	opt := Options{Dims: 2, Components: 2, MaxIter: 2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	m2 := Model{Dims: 2, Weights: []float64{1}, Means: []float64{0, 0}, Covariances: []float64{1, 0, 0, 1}}
	cases := map[string]struct {
		err  error
		want string
	}{
		"ints":             {fitErr([]int{1, 2}, opt), "samples of type []int"},
		"nil":              {fitErr(nil, opt), "no samples"},
		"Weighted twice":   {fitErr(Weighted{Samples: Weighted{Samples: x}}, opt), "a Weighted of a Weighted"},
		"columns and Dims": {fitErr(mat.NewDense(100, 2, x), Options{Dims: 3, Components: 2, MaxIter: 2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}), "a matrix of 2 columns, Dims is 3"},
		"weights":          {fitErr(Weighted{Samples: mat.NewDense(100, 2, x), Weights: []float64{1}}, opt), "1 weights for 100 samples"},
		"predict columns": {Predict(t.Context(), &m2, make([]uint16, 100), mat.NewDense(100, 1, x[:100]), Exec{}),
			"a matrix of 1 columns, Dims is 2"},
		"predict labels": {Predict(t.Context(), &m2, make([]uint16, 3), mat.NewDense(100, 2, x), Exec{}), "3 labels for 100 samples"},
	}
	for name, c := range cases {
		if c.err == nil || !errors.Is(c.err, ErrInvalidData) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrInvalidData saying %q", name, c.err, c.want)
		}
	}
	if _, err := Score(t.Context(), &m2, mat.NewDense(1, 2, []float64{math.NaN(), 0}), Exec{}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("a NaN in a matrix: %v", err)
	}
}

func fitErr(x any, opt Options) error {
	_, err := Fit(context.Background(), x, opt)
	return err
}
