package segment_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/race"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

var truth = gmm.Model{Weights: []float64{0.3, 0.5, 0.2}, Means: []float64{0.15, 0.5, 0.85}, Covariances: []float64{0.0016, 0.0064, 0.0009}}

// quantised returns n samples of the mixture m as levels of 0..maxLevel (rounded,
// clipped).
func quantised(t *testing.T, seed uint64, n, maxLevel int, m gmm.Model) []uint16 {
	t.Helper()
	x, err := gen.Mixture(seed, n, m.Weights, m.Means, m.Stdevs())
	if err != nil {
		t.Fatal(err)
	}
	levels := make([]uint16, n)
	for i, v := range x {
		levels[i] = uint16(math.Round(min(max(v, 0), 1) * float64(maxLevel)))
	}
	return levels
}

// samplesOf returns the samples that levels stand for.
func samplesOf[T float32 | float64](levels []uint16, maxLevel int) []T {
	values := segment.LevelValues[T](maxLevel)
	x := make([]T, len(levels))
	for i, l := range levels {
		x[i] = values[l]
	}
	return x
}

// fitted is a fit with every iteration's Step of the run it kept.
type fitted struct {
	*gmm.Result
	Steps []gmm.Step
}

// fitKeep is gmm.Fit, keeping every iteration's Step of the run it keeps through a
// gmm.Record.
func fitKeep(ctx context.Context, x any, opt gmm.Options) (fitted, error) {
	var rec gmm.Record
	opt.Progress = rec.Add
	res, err := gmm.Fit(ctx, x, opt)
	if res == nil {
		return fitted{}, err
	}
	return fitted{res, rec.Run(res.Run)}, err
}

func relErr(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }

// sumAbsLogP returns the sum of |log p(x_n)| under m, the scale of the log-likelihood's
// rounding.
func sumAbsLogP(t *testing.T, m *gmm.Model, x []float64) float64 {
	t.Helper()
	terms, err := gmm.ScoreSamples(t.Context(), m, x, gmm.Exec{})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range terms {
		sum += math.Abs(v)
	}
	return sum
}

// sameFit fails unless the fits got and want agree to tol relative in every parameter of
// every iteration, and in every log-likelihood to tol relative to scale, the sum of
// |log p(x_n)| (sumAbsLogP): the log-likelihood of values in [0, 1] adds up terms of both
// signs, and two orders of summing millions of them can differ by more than 1e-12 of the
// total when it cancels, by far less than 1e-12 of what was summed.
func sameFit(t *testing.T, what string, got, want fitted, scale, tol float64) {
	t.Helper()
	if len(got.Steps) != len(want.Steps) {
		t.Fatalf("%s: %d iterations, want %d", what, len(got.Steps), len(want.Steps))
	}
	for i := range got.Steps {
		g, w := got.Steps[i], want.Steps[i]
		for _, p := range [][2][]float64{{g.Model.Means, w.Model.Means}, {g.Model.Stdevs(), w.Model.Stdevs()}, {g.Model.Weights, w.Model.Weights}} {
			for k := range p[0] {
				if e := relErr(p[0][k], p[1][k]); !(e <= tol) {
					t.Fatalf("%s: iteration %d: %.17g vs %.17g (rel err %.2g > %.2g)", what, i, p[0][k], p[1][k], e, tol)
				}
			}
		}
		if e := math.Abs(g.LogLikelihood-w.LogLikelihood) / scale; !(e <= tol) {
			t.Fatalf("%s: iteration %d: log-likelihood %.17g vs %.17g (%.2g of the sum of |log p|)", what, i, g.LogLikelihood, w.LogLikelihood, e)
		}
	}
}

// bothPaths fits levels on the histogram path (got) and as samples (want, of the samples
// x) in the precision T.
func bothPaths[T float32 | float64](t *testing.T, levels []uint16, maxLevel int, opt gmm.Options) (x []T, got, want fitted) {
	t.Helper()
	x = samplesOf[T](levels, maxLevel)
	want, err := fitKeep(t.Context(), x, opt)
	if err != nil {
		t.Fatal(err)
	}
	return x, histogramFit[T](t, levels, maxLevel, opt), want
}

// histogramFit fits levels on the histogram path: CountLevels, then Fit on the counts.
func histogramFit[T float32 | float64](t *testing.T, levels []uint16, maxLevel int, opt gmm.Options) fitted {
	t.Helper()
	counted, err := gmm.CountLevels(t.Context(), levels, segment.LevelValues[T](maxLevel), opt.Exec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fitKeep(t.Context(), counted, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// checkLevels fits levels by both paths and compares them: every iteration, in both
// precisions (float32 with the kernels named, "auto" and maybe "generic"), and the labels.
func checkLevels(t *testing.T, what string, levels []uint16, maxLevel int, opt gmm.Options, kernels32 ...gmm.Kernel) {
	t.Helper()
	x, got, want := bothPaths[float64](t, levels, maxLevel, opt)
	// The terms' magnitudes hardly change from one iteration to the next: the final
	// model's sum is every iteration's scale.
	scale := sumAbsLogP(t, &want.Model, x)
	sameFit(t, what, got, want, scale, 1e-12)
	// float32 samples: the generic kernels compute them in float64, and the two paths
	// agree as closely; SIMD float32 lanes round every responsibility to float32 and add
	// blocks of 32 in float32 (TestKernelsAgree), so there the paths agree to float32's
	// precision.
	tol32 := map[gmm.Kernel]float64{gmm.KernelGeneric: 1e-12, "auto": 1e-5}
	for _, kern := range kernels32 {
		o := opt
		o.Exec.Kernel = kern
		_, got32, want32 := bothPaths[float32](t, levels, maxLevel, o)
		sameFit(t, what+", float32, "+string(kern), got32, want32, scale, tol32[kern])
	}
	// Labels through the image side's table of levels are the labels of the samples,
	// exactly.
	wantLabels := &segment.Plane{Width: len(levels), Height: 1, Max: maxLevel}
	if err := segment.Classes(t.Context(), &got.Model, x, wantLabels, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	gotLabels := &segment.Plane{Width: len(levels), Height: 1, Max: maxLevel, Levels: slices.Clone(levels)}
	if err := segment.Classes[float64](t.Context(), &got.Model, nil, gotLabels, gmm.Exec{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotLabels.Levels, wantLabels.Levels) {
		t.Fatalf("%s: the labels through the table of levels differ from the samples'", what)
	}
}

func TestFitLevelsIsFitOnTheSamples(t *testing.T) {
	maxLevels := []int{255, 65535, 1023}
	if testing.Short() { // under an emulator: one table of levels
		maxLevels = maxLevels[:1]
	}
	for _, maxLevel := range maxLevels {
		levels := quantised(t, 50, 100003, maxLevel, truth)
		ks := []int{2, 3, 5}
		if race.Enabled || testing.Short() {
			ks = ks[1:2] // the race detector and an emulator need the passes, not every K
		}
		for _, init := range []gmm.Init{gmm.InitEvenlySpaced, gmm.InitQuantiles} {
			for _, k := range ks {
				checkLevels(t, fmt.Sprintf("max %d, %v, K=%d", maxLevel, init, k), levels, maxLevel, gmm.Options{Components: k, MaxIter: 15, Init: init, Tol: gmm.Off, AddedVariance: gmm.Off}, "generic", "auto")
			}
		}
	}
}

func TestFitLevelsIsFitOnEveryTestImage(t *testing.T) {
	if race.Enabled || testing.Short() {
		t.Skip("minutes under the race detector or an emulator: the synthetic test runs the same code, and the full run these photos")
	}
	images := filepath.Join(sharedtest.Dir(t), "testdata", "images")
	entries, err := os.ReadDir(images)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".md" {
			continue
		}
		img, err := segment.Open(filepath.Join(images, e.Name()), 0)
		if err != nil {
			t.Fatal(err)
		}
		p, err := segment.NewPlane(img, segment.Luma)
		if err != nil {
			t.Fatal(err)
		}
		checkLevels(t, e.Name(), p.Levels, p.Max, gmm.Options{Components: 3, MaxIter: 8, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}, "auto")
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d images in %s", checked, images)
	}
}

func TestFitLevelsCountsEverySampleOnAnyThreads(t *testing.T) {
	// More components than distinct levels is fine: the samples are what count.
	levels := slices.Repeat([]uint16{3, 3, 9}, 1000)
	var first fitted
	for _, threads := range []int{1, 2, 3, 8} {
		res := histogramFit[float64](t, levels, 15, gmm.Options{Components: 4, MaxIter: 10, Exec: gmm.Exec{Threads: threads}, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off})
		if err := res.Model.Validate(); err != nil || res.Model.K() != 4 {
			t.Fatalf("%d threads: %v, %v", threads, res.Model, err)
		}
		if first.Result == nil {
			first = res
		}
		for i := range res.Steps {
			if !slices.Equal(res.Steps[i].Model.Means, first.Steps[i].Model.Means) || res.History[i] != first.History[i] {
				t.Fatalf("%d threads: iteration %d differs from 1 thread's", threads, i)
			}
		}
	}
	w := 0.0
	for k, mu := range first.Model.Means {
		if math.Abs(mu-3.0/15) < 1e-9 {
			w += first.Model.Weights[k]
		}
	}
	if math.Abs(w-2.0/3) > 1e-12 {
		t.Errorf("components on level 3 weigh %v, want 2/3: %v", w, first.Model)
	}
}

func TestCountLevelsBadInput(t *testing.T) {
	good := []uint16{0, 1, 2, 3}
	cases := map[string]struct {
		levels []uint16
		values []float64
		exec   gmm.Exec
		want   error
	}{
		"no levels":         {nil, segment.LevelValues[float64](255), gmm.Exec{}, gmm.ErrInvalidData},
		"no values":         {good, nil, gmm.Exec{}, gmm.ErrInvalidData},
		"too many values":   {good, make([]float64, 1<<16+1), gmm.Exec{}, gmm.ErrInvalidData},
		"level above max":   {good, segment.LevelValues[float64](2), gmm.Exec{}, gmm.ErrInvalidData},
		"negative threads":  {good, segment.LevelValues[float64](255), gmm.Exec{Threads: -1}, gmm.ErrInvalidOptions},
		"an unknown kernel": {good, segment.LevelValues[float64](255), gmm.Exec{Kernel: "sse9"}, gmm.ErrInvalidOptions},
	}
	for name, c := range cases {
		if got, err := gmm.CountLevels(t.Context(), c.levels, c.values, c.exec); !errors.Is(err, c.want) || got.Samples != nil || got.Weights != nil {
			t.Errorf("%s: gmm.CountLevels = %v, %v; want an error wrapping %v", name, got, err, c.want)
		}
	}
}

func TestSelectComponentsOnTheCountsIsOnTheSamples(t *testing.T) {
	levels := quantised(t, 61, 50000, 255, truth)
	x := samplesOf[float64](levels, 255)
	opt := gmm.Options{MaxIter: 30, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
	want, err := gmm.SelectComponents(t.Context(), x, 2, 5, opt)
	if err != nil {
		t.Fatal(err)
	}
	counted, err := gmm.CountLevels(t.Context(), levels, segment.LevelValues[float64](255), gmm.Exec{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := gmm.SelectComponents(t.Context(), counted, 2, 5, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Best != want.Best || len(got.Candidates) != len(want.Candidates) {
		t.Fatalf("best %d of %d, pixels: %d of %d", got.Best, len(got.Candidates), want.Best, len(want.Candidates))
	}
	for i := range got.Candidates {
		if e := math.Abs(got.Candidates[i].BIC-want.Candidates[i].BIC) / float64(len(x)); e > 1e-12 {
			t.Errorf("K=%d: BIC %v, pixels %v", got.Candidates[i].K, got.Candidates[i].BIC, want.Candidates[i].BIC)
		}
	}
}
