package gmm_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// copySource holds samples in a slice that Fit cannot see: it reads them only
// through Read, as it would read image planes.
type copySource[T float32 | float64] struct {
	x []T
	d int
}

func (s copySource[T]) Len() int { return len(s.x) / s.d }

func (s copySource[T]) Read(dst []T, lo int) { copy(dst, s.x[lo*s.d:lo*s.d+len(dst)]) }

// planeSource is a copySource that also reads its samples as planes: a gmm.PlaneSource.
type planeSource[T float32 | float64] struct{ copySource[T] }

func (s planeSource[T]) ReadPlanes(dst []T, lo int) {
	n := len(dst) / s.d
	for i := range n {
		for j := range s.d {
			dst[j*n+i] = s.x[(lo+i)*s.d+j]
		}
	}
}

// colourData returns n samples of 3 features in four clusters, scaled by scale, with
// weights if weighted.
func colourData[T float32 | float64](n int, scale float64, weighted bool) ([]T, []float64) {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	x := make([]T, 3*n)
	for i := range n {
		for j := range 3 {
			x[3*i+j] = T(scale * (float64((i%4+j)%3) + 0.3*rng.NormFloat64()))
		}
	}
	if !weighted {
		return x, nil
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.Float64() * 3
	}
	return x, w
}

// A fit of samples read tile by tile from a source, row-major or as planes, is the fit of
// the same samples in one slice, bit for bit: every start, covariance type and precision,
// weighted or not, and in the frame of data of extreme magnitude.
func TestFitSourceIsFit(t *testing.T) {
	checkFitSource[float64](t)
	checkFitSource[float32](t)
}

func checkFitSource[T float32 | float64](t *testing.T) {
	inits := []gmm.Init{gmm.InitEvenlySpaced, gmm.InitQuantiles, gmm.InitKMeansPP, gmm.InitRandomFromData, gmm.InitKMeans}
	if testing.Short() { // under an emulator: a start read in one pass, one in several
		inits = inits[1:3]
	}
	for i, cov := range []gmm.Covariance{gmm.Full, gmm.Diag, gmm.Spherical, gmm.Tied} {
		for j, init := range inits {
			scale := 1.0
			if (i+j)%4 == 3 {
				scale = 1e30 // beyond the identity frame: mapped as read
			}
			x, w := colourData[T](10000+i*5+j, scale, (i+j)%2 == 0)
			opt := gmm.Options{Dims: 3, Components: 4, Covariance: cov, Init: init, MaxIter: 4, NInit: 2,
				Exec: gmm.Exec{Threads: 2}, Tol: gmm.Off, AddedVariance: gmm.Off}
			want, err := gmm.Fit(t.Context(), gmm.Weighted{Samples: x, Weights: w}, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range []gmm.Source[T]{copySource[T]{x, 3}, planeSource[T]{copySource[T]{x, 3}}} {
				got, err := gmm.Fit(t.Context(), gmm.Weighted{Samples: src, Weights: w}, opt)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%T %T %v %v scale %g: Fit gives %v, Fit %v", T(0), src, cov, init, scale, got.History, want.History)
				}
			}
		}
	}
	x, _ := colourData[T](5000, 1, false)
	x = x[:5000] // one feature
	for _, init := range inits {
		opt := gmm.Options{Components: 3, Init: init, MaxIter: 4, Tol: gmm.Off, AddedVariance: gmm.Off}
		want, err := gmm.Fit(t.Context(), x, opt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := gmm.Fit(t.Context(), copySource[T]{x, 1}, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%T 1-D %v: Fit gives %v, Fit %v", T(0), init, got.History, want.History)
		}
	}
}

// Predict labels as Predict does, from rows or planes, and SelectComponents
// selects as SelectComponents does.
func TestPredictAndSelectFromASource(t *testing.T) {
	x, _ := colourData[float64](9000, 1, false)
	sel, err := gmm.SelectComponents(t.Context(), x, 2, 4, gmm.Options{Dims: 3, MaxIter: 5, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}, gmm.Full, gmm.Diag)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gmm.SelectComponents(t.Context(), copySource[float64]{x, 3}, 2, 4, gmm.Options{Dims: 3, MaxIter: 5, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}, gmm.Full, gmm.Diag)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sel) {
		t.Errorf("SelectComponents chose %d of %v, SelectComponents %d", got.Best, got.Candidates, sel.Best)
	}
	one := x[:9000]
	oneDim := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.2, 1.5}, Covariances: []float64{0.09, 0.25}}
	for _, c := range []struct {
		m *gmm.Model
		x []float64
		d int
	}{{&sel.Candidates[sel.Best].Result.Model, x, 3}, {&oneDim, one, 1}} {
		want := make([]uint16, len(c.x)/c.d)
		if err := gmm.Predict(t.Context(), c.m, want, c.x, gmm.Exec{}); err != nil {
			t.Fatal(err)
		}
		rows := copySource[float64]{c.x, c.d}
		for _, src := range []gmm.Source[float64]{rows, planeSource[float64]{rows}} {
			labels := make([]uint16, len(want))
			if err := gmm.Predict(t.Context(), c.m, labels, src, gmm.Exec{Threads: 2}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(labels, want) {
				t.Errorf("%d features, %T: Predict's labels differ from Predict's", c.d, src)
			}
		}
	}
}

// Bad sources and samples are refused with one clear error, as Fit refuses them; a
// cancelled context stops a fit from a source.
func TestSourceErrors(t *testing.T) {
	x, _ := colourData[float64](100, 1, false)
	bad := append([]float64(nil), x...)
	bad[3*40+2] = math.NaN()
	m := gmm.Model{Dims: 3, Weights: []float64{1}, Means: []float64{0, 0, 0}, Covariances: []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}}
	opt := gmm.Options{Dims: 3, Components: 2, MaxIter: 5, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
	_, fitErr := gmm.Fit(t.Context(), bad, opt)
	for _, c := range []struct {
		what string
		err  error
		want string
	}{
		{"nil", fitSourceErr(nil, opt), "no samples"},
		{"empty", fitSourceErr(copySource[float64]{nil, 3}, opt), "no samples"},
		{"NaN", fitSourceErr(copySource[float64]{bad, 3}, opt), fitErr.Error()},
		{"weights", fitSourceErr(gmm.Weighted{Samples: copySource[float64]{x, 3}, Weights: []float64{1}}, opt), "1 weights for 100 samples"},
		{"dims", fitSourceErr(copySource[float64]{x, 3}, gmm.Options{Dims: gmm.MaxDims + 1, Components: 2, MaxIter: 5, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}), fmt.Sprintf("Dims is %d", gmm.MaxDims+1)},
		{"range", fitSourceErr(rangedSource{copySource[float64]{x, 3}, math.NaN()}, opt), "a source's range [NaN, 1]"},
		{"predict nil", gmm.Predict(t.Context(), &m, nil, nil, gmm.Exec{}), "no samples"},
		{"predict length", gmm.Predict(t.Context(), &m, make([]uint16, 99), copySource[float64]{x, 3}, gmm.Exec{}), "99 labels for 100 samples"},
		{"predict NaN", gmm.Predict(t.Context(), &m, make([]uint16, 100), copySource[float64]{bad, 3}, gmm.Exec{}), fitErr.Error()},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.what, c.err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := gmm.Fit(ctx, copySource[float64]{x, 3}, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled fit from a source: %v", err)
	}
}

// rangedSource is a source that states its values' range, [lo, 1].
type rangedSource struct {
	copySource[float64]
	lo float64
}

func (s rangedSource) Range() (lo, hi float64) { return s.lo, 1 }

func fitSourceErr(src any, opt gmm.Options) error {
	_, err := gmm.Fit(context.Background(), src, opt)
	return err
}
