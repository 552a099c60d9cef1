package gmmbeam

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

func TestMain(m *testing.M) {
	beam.Init()
	Quiet()
	os.Exit(m.Run())
}

// collection writes a small collection into a new folder and returns its files: crops of
// two test photos (one a JPEG, chroma subsampled), a 16-bit PNG and an 8-bit RGB PNG.
func collection(t *testing.T) []string {
	t.Helper()
	images := filepath.Join(sharedtest.Dir(t), "testdata", "images")
	dir := t.TempDir()
	var files []string
	save := func(name string, img image.Image) {
		var buf bytes.Buffer
		var err error
		if filepath.Ext(name) == ".jpg" {
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	save("camera.png", crop(imagetest.Read(t, filepath.Join(images, "camera.png")), 160))
	save("frog.jpg", crop(imagetest.Read(t, filepath.Join(images, "retina.jpg")), 120))
	wide := image.NewRGBA64(image.Rect(0, 0, 90, 70))
	colours := image.NewNRGBA(image.Rect(0, 0, 100, 80))
	for y := range 80 {
		for x := range 100 {
			v := uint16((x*977 + y*331) % 65536)
			if x < 90 && y < 70 {
				wide.SetRGBA64(x, y, color.RGBA64{v, v / 2, 65535 - v, 0xffff})
			}
			colours.SetNRGBA(x, y, color.NRGBA{uint8(x * 2), uint8(y * 3), uint8((x + y) % 7 * 30), 0xff})
		}
	}
	save("wide.png", wide)
	save("colours.png", colours)
	return files
}

// crop returns the top-left side x side square of img.
func crop(img image.Image, side int) image.Image {
	out := image.NewNRGBA(image.Rect(0, 0, side, side))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

// config returns a Config whose results go in a new folder.
func config(t *testing.T) Config { return Config{Temp: t.TempDir()} }

// concatenated returns the samples of every file in ch, one after the other.
func concatenated(t *testing.T, files []string, ch segment.Channel) []float64 {
	t.Helper()
	var x []float64
	for _, f := range files {
		img, err := open(t.Context(), f, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := samples(img, ch)
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, s...)
	}
	return x
}

// fitted is a fit's Result with a copy of every iteration's Step of the run it kept.
type fitted struct {
	*gmm.Result
	steps []gmm.Step
}

// recording sets opt.Progress to a new gmm.Record's, and returns what pairs the fit's
// result with the steps recorded.
func recording(opt *gmm.Options) func(*gmm.Result) fitted {
	rec := new(gmm.Record)
	opt.Progress = rec.Add
	return func(res *gmm.Result) fitted { return fitted{res, rec.Run(res.Run)} }
}

// same fails unless a and b have the same iterations to tol relative to each part's
// largest number (0: bit for bit).
func same(t *testing.T, what string, a, b fitted, tol float64) {
	t.Helper()
	if len(a.steps) != len(b.steps) || len(a.History) != len(a.steps) {
		t.Fatalf("%s: %d and %d iterations", what, len(a.steps), len(b.steps))
	}
	for i := range a.steps {
		p, q := a.steps[i], b.steps[i]
		for j, pair := range [][2][]float64{
			{p.Model.Weights, q.Model.Weights}, {p.Model.Means, q.Model.Means},
			{p.Model.Covariances, q.Model.Covariances}, {{p.LogLikelihood}, {q.LogLikelihood}},
		} {
			scale := 0.0
			for _, v := range pair[1] {
				scale = max(scale, math.Abs(v))
			}
			for k := range pair[0] {
				if d := math.Abs(pair[0][k] - pair[1][k]); d > tol*scale || (tol == 0 && pair[0][k] != pair[1][k]) {
					t.Fatalf("%s: iteration %d, part %d, number %d: %.17g vs %.17g", what, i, j, k, pair[0][k], pair[1][k])
				}
			}
		}
	}
}

// The histogram path gives, exactly, the fit over the histogram of every pixel of the
// collection at once: its counts merge exactly.
func TestHistogramPathIsExact(t *testing.T) {
	files := collection(t)
	for _, ch := range []segment.Channel{segment.Luma, segment.RGB} {
		opt := gmm.Options{Components: 3, Dims: ch.Dims(), MaxIter: 6, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
		kept := recording(&opt)
		res, h, failures, err := FitHistogram(t.Context(), Images{Paths: files, Channel: ch}.Histograms(), opt, config(t))
		if err != nil || len(failures) > 0 {
			t.Fatalf("%v: %v %v", ch, err, failures)
		}
		want, err := NewHistogram(concatenated(t, files, ch), nil, ch.Dims())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.Values, want.Values) || !slices.Equal(h.Counts, want.Counts) {
			t.Fatalf("%v: the collection's histogram is not that of its pixels", ch)
		}
		keptFit := recording(&opt)
		fit, err := gmm.Fit(t.Context(), want.Weighted(), opt)
		if err != nil {
			t.Fatal(err)
		}
		same(t, ch.String(), kept(res), keptFit(fit), 0)
	}
}

// The pixel path is gmm.Fit over the collection's pixels, one after the other, from the
// same start, to 1e-12; Tol stops both at the same iteration.
func TestPixelPathIsFit(t *testing.T) {
	files := collection(t)
	for _, c := range []struct {
		ch  segment.Channel
		tol float64
	}{{segment.Luma, gmm.Off}, {segment.CIELab, gmm.Off}, {segment.Luma, 1e-4}} {
		opt := gmm.Options{Components: 3, Dims: c.ch.Dims(), MaxIter: 5, Tol: c.tol, Init: gmm.InitEvenlySpaced, AddedVariance: gmm.Off}
		if c.tol > 0 {
			opt.MaxIter = 200
		}
		cfg := config(t)
		kept := recording(&opt)
		res, failures, err := Fit(t.Context(), Images{Paths: files, Channel: c.ch}.Shards(), opt, cfg)
		if err != nil || len(failures) > 0 {
			t.Fatalf("%v: %v %v", c.ch, err, failures)
		}
		if left, _ := filepath.Glob(filepath.Join(cfg.Temp, "shards", "*")); len(left) > 0 {
			t.Fatalf("%v: %d spilled shards left behind", c.ch, len(left))
		}
		opt.InitModel = &res.Initial
		keptFit := recording(&opt)
		fit, err := gmm.Fit(t.Context(), concatenated(t, files, c.ch), opt)
		if err != nil {
			t.Fatal(err)
		}
		same(t, c.ch.String(), kept(res), keptFit(fit), 1e-12)
		if res.Converged != (c.tol > 0) || fit.Converged != res.Converged {
			t.Fatalf("%v, tol %v: converged %v, gmm.Fit %v, after %d iterations", c.ch, c.tol, res.Converged, fit.Converged, len(res.History))
		}
	}
}

// Every image twice gives the same model: bit for bit on the histogram path (every count
// doubles exactly), to 1e-12 over the pixels.
func TestDuplicatesLeaveTheModel(t *testing.T) {
	files := collection(t)
	twice := append(slices.Clone(files), files...)
	for name, fit := range map[string]func(paths []string, opt gmm.Options) (*gmm.Result, error){
		"histograms": func(paths []string, opt gmm.Options) (*gmm.Result, error) {
			res, _, _, err := FitHistogram(t.Context(), Images{Paths: paths}.Histograms(), opt, config(t))
			return res, err
		},
		"pixels": func(paths []string, opt gmm.Options) (*gmm.Result, error) {
			res, _, err := Fit(t.Context(), Images{Paths: paths}.Shards(), opt, config(t))
			return res, err
		},
	} {
		var got [2]fitted
		for i, paths := range [][]string{files, twice} {
			opt := gmm.Options{Components: 3, MaxIter: 5, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
			kept := recording(&opt)
			res, err := fit(paths, opt)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = kept(res)
		}
		halve(got[1])
		same(t, name, got[1], got[0], map[string]float64{"histograms": 0, "pixels": 1e-12}[name])
	}
}

// halve halves the log-likelihoods of f: those of a collection counted twice.
func halve(f fitted) {
	for i := range f.steps {
		f.steps[i].LogLikelihood /= 2
	}
}

// A file that is not an image, or is missing, is reported with its error, and the rest
// fit as they would alone; the segmentation skips nothing else.
func TestBrokenFilesAreReported(t *testing.T) {
	files := collection(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.png")
	if err := os.WriteFile(broken, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.jpg")
	bomb := filepath.Join(dir, "bomb.png")
	if err := os.WriteFile(bomb, imagetest.Bombs()[".png"], 0o644); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "a\tname\nwith controls.png") // failures are lines of text
	if err := os.WriteFile(odd, []byte("\x89PNG\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	all := append([]string{broken, missing, bomb, odd}, files...)
	opt := gmm.Options{Components: 2, MaxIter: 4, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
	keptWant := recording(&opt)
	res, _, _, err := FitHistogram(t.Context(), Images{Paths: files}.Histograms(), opt, config(t))
	if err != nil {
		t.Fatal(err)
	}
	want := keptWant(res)
	for name, fit := range map[string]func(opt gmm.Options) (*gmm.Result, []Failure, error){
		"histogram": func(opt gmm.Options) (*gmm.Result, []Failure, error) {
			res, _, f, err := FitHistogram(t.Context(), Images{Paths: all}.Histograms(), opt, config(t))
			return res, f, err
		},
		"pixels": func(opt gmm.Options) (*gmm.Result, []Failure, error) {
			return Fit(t.Context(), Images{Paths: all}.Shards(), opt, config(t))
		},
	} {
		kept := recording(&opt)
		res, failures, err := fit(opt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		keys := []string{}
		for _, f := range failures {
			if f.Err == "" {
				t.Errorf("%s: %s failed without a reason", name, f.Key)
			}
			keys = append(keys, f.Key)
		}
		if wantKeys := []string{bomb, broken, missing, odd}; !slices.Equal(keys, sorted(wantKeys)) {
			t.Fatalf("%s: failures %v, want %v", name, keys, sorted(wantKeys))
		}
		same(t, name, kept(res), want, 1e-12)
	}
	out := t.TempDir()
	failures, err := Images{Paths: all}.Segment(t.Context(), &want.Model, out, config(t))
	if err != nil || len(failures) != 4 {
		t.Fatalf("segmentation: %v, %d failures", err, len(failures))
	}
	if written, _ := os.ReadDir(out); len(written) != len(files) {
		t.Fatalf("%d segmentations for %d images", len(written), len(files))
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// shardsFn cuts the samples of its one element into Count shards.
type shardsFn struct {
	X       []float64
	Weights []float64
	Dims    int
	Count   int
}

func (f *shardsFn) ProcessElement(_ int, emit func(Shard)) {
	n := len(f.X) / f.Dims
	for i := range f.Count {
		lo, hi := i*n/f.Count, (i+1)*n/f.Count
		sh := Shard{Key: string(rune('a' + i)), X: f.X[lo*f.Dims : hi*f.Dims]}
		if f.Weights != nil {
			sh.Weights = f.Weights[lo:hi]
		}
		emit(sh)
	}
}

func init() {
	register.DoFn2x0[int, func(Shard)](&shardsFn{})
}

// Samples cut into 1, 3 or 8 shards, weighted, fit alike: to rounding.
func TestShardingDoesNotMatter(t *testing.T) {
	x := make([]float64, 3*3000)
	w := make([]float64, 3000)
	for i := range w {
		w[i] = float64(i%5) + 0.5
		for a := range 3 {
			x[3*i+a] = float64((i*(7+a))%97)/97 + float64(i%3)
		}
	}
	opt := gmm.Options{Components: 3, Dims: 3, Covariance: gmm.Diag, MaxIter: 5, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
	var first fitted
	for _, count := range []int{1, 3, 8} {
		kept := recording(&opt)
		src := func(s beam.Scope) (beam.PCollection, beam.PCollection) {
			one := beam.Create(s, 0)
			return beam.ParDo(s, &shardsFn{X: x, Weights: w, Dims: 3, Count: count}, one), beam.CreateList(s, []Failure{})
		}
		res, _, err := Fit(context.Background(), src, opt, config(t))
		if err != nil {
			t.Fatal(err)
		}
		if first.Result == nil {
			first = kept(res)
			opt.InitModel = &res.Initial // the start from each shard's sample differs
			continue
		}
		same(t, "shards", kept(res), first, 1e-12)
	}
	if len(first.History) != 5 {
		t.Fatalf("%d iterations", len(first.History))
	}
}
