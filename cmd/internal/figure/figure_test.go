package figure

import (
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure/figuretest"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
	"github.com/gmmsimd/gmmsimd/segment"
)

func TestNewHistogramCountsEverySample(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 1000, 1 << 18} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64()*1.4 - 0.2 // some below lo and above hi
		}
		if n > 2 {
			x[0], x[1] = math.NaN(), 1 // NaN left out; hi itself goes in the last bin
		}
		const lo, hi, bins = 0, 1, 37
		h := NewHistogram(x, lo, hi, bins)
		want := make([]int, bins)
		counted := 0
		for _, v := range x {
			if math.IsNaN(v) {
				continue
			}
			b := int(math.Floor((v - lo) / (hi - lo) * bins))
			want[min(max(b, 0), bins-1)]++
			counted++
		}
		area := 0.0
		for i, d := range h.Density {
			if got := d * h.BinWidth() * float64(counted); math.Abs(got-float64(want[i])) > 1e-9*float64(n) {
				t.Fatalf("n=%d: bin %d holds %v samples, want %d", n, i, got, want[i])
			}
			area += d * h.BinWidth()
		}
		if counted > 0 && math.Abs(area-1) > 1e-12 {
			t.Errorf("n=%d: the density integrates to %v", n, area)
		}
	}
}

func TestThumbnailAveragesAndSamplesBlocks(t *testing.T) {
	const w, h, side = 103, 41, 20 // a factor of 6, with partial blocks at the edges
	x := make([]float32, w*h)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = rng.Float32()
	}
	th := NewThumbnail(x, w, h, side)
	b := th.Gray.Bounds()
	if b.Dx() != 18 || b.Dy() != 7 {
		t.Fatalf("thumbnail %v, want 18x7", b)
	}
	for ty := range b.Dy() {
		for tx := range b.Dx() {
			x0, x1, y0, y1 := tx*6, min(tx*6+6, w), ty*6, min(ty*6+6, h)
			sum := 0.0
			for y := y0; y < y1; y++ {
				for xx := x0; xx < x1; xx++ {
					sum += float64(x[y*w+xx])
				}
			}
			want := uint8(math.Round(255 * sum / float64((x1-x0)*(y1-y0))))
			if got := th.Gray.GrayAt(tx, ty).Y; got != want {
				t.Fatalf("(%d,%d): gray %d, want the block's mean %d", tx, ty, got, want)
			}
			if got, want := th.Samples[ty*b.Dx()+tx], float64(x[(y0+y1)/2*w+(x0+x1)/2]); got != want {
				t.Fatalf("(%d,%d): sample %v, want the block's centre %v", tx, ty, got, want)
			}
		}
	}
}

func TestShownKeepsFirstAndLast(t *testing.T) {
	for _, n := range []int{1, 8, maxPanels, maxPanels + 1, 1000} {
		s := shown(n)
		if len(s) != min(n, maxPanels) || s[0] != 0 || s[len(s)-1] != n-1 {
			t.Fatalf("shown(%d) = %v", n, s)
		}
		for i := 1; i < len(s); i++ {
			if s[i] <= s[i-1] {
				t.Fatalf("shown(%d) not increasing: %v", n, s)
			}
		}
	}
}

// testFit fits a three-class synthetic image and returns what the figures need.
func testFit(t testing.TB, width, height int) *Fit {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, width*height)
	for i := range x {
		c := (i % width) * 3 / width // three vertical bands
		x[i] = min(1, max(0, []float64{0.15, 0.5, 0.8}[c]+0.05*rng.NormFloat64()))
	}
	var steps Steps
	res, err := gmm.Fit(t.Context(), x, gmm.Options{Components: 3, MaxIter: 5, Progress: fitSteps(&steps), Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off})
	if err != nil {
		t.Fatal(err)
	}
	th := NewThumbnail(x, width, height, 200)
	f := &Fit{Input: th.Gray, InputTitle: "input", Initial: res.Initial, Steps: steps.List(), LogLikelihoods: res.History,
		Hist: NewHistogram(x, 0, 1, 128)}
	for i := range f.Steps {
		img, err := th.Labelled(&f.Steps[i].Model, GrayOfMean(&f.Steps[i].Model))
		if err != nil {
			t.Fatal(err)
		}
		f.Iterations = append(f.Iterations, img)
	}
	f.Segmented = f.Iterations[len(f.Iterations)-1]
	return f
}

// fitSteps is a gmm.Options.Progress that adds every iteration to s.
func fitSteps(s *Steps) func(gmm.Step) {
	return func(step gmm.Step) {
		if step.Iter >= 0 {
			s.Add(step)
		}
	}
}

// The live view before a fit's first iteration ends (its first frame on the page, or a
// candidate's of a choice of K) has no log-likelihood yet: it is drawn, with axes, and
// promptly. An empty curve once gave gonum's tick labelling a NaN range, on which it
// never returns: the page's stream hung on that frame, a CPU busy for good.
func TestProgressBeforeTheFirstIteration(t *testing.T) {
	f := testFit(t, 300, 200)
	live := *f
	live.Steps, live.Iterations, live.LogLikelihoods = f.Steps[:1], f.Iterations[:1], nil
	path := filepath.Join(t.TempDir(), "progress.png")
	done := make(chan error, 1)
	var fig Figure
	go func() {
		var err error
		if fig, err = Progress(&live); err == nil {
			err = fig.WritePNG(path)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the live view of no iterations was not drawn in a minute")
	}
	img := imagetest.Read(t, path)
	if w, h := fig.Pixels(); img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("the live view is %v, want %dx%d", img.Bounds(), w, h)
	}
	// The segmentation and the mixture hold data; the curve, of no points, is its axes.
	if blank := figuretest.BlankPanels(img, 3, 3); len(blank) > 1 || len(blank) == 1 && blank[0] != image.Pt(2, 0) {
		t.Errorf("blank panels (column, row) %v, want the curve's at most", blank)
	}
}

// Steps keep at most MaxSteps models of any number of iterations, evenly spaced, the
// first and the last among them, each a copy of its iteration's.
func TestStepsKeepAnEvenSample(t *testing.T) {
	m := gmm.Model{Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{1}}
	for _, n := range []int{1, 5, 96, 97, 1000, 100_000} {
		var s Steps
		for i := range n {
			m.Means[0] = float64(i) // the caller's model changes after each step
			s.Add(gmm.Step{Iter: i, Model: m, LogLikelihood: float64(-i)})
		}
		got := s.List()
		if len(got) > MaxSteps || len(got) < min(n, maxPanels) || got[0].Iter != 0 || got[len(got)-1].Iter != n-1 {
			t.Fatalf("%d iterations: kept %d, from %d to %d", n, len(got), got[0].Iter, got[len(got)-1].Iter)
		}
		stride := max(1, got[min(1, len(got)-1)].Iter)
		for i, st := range got {
			if st.Model.Means[0] != float64(st.Iter) || st.LogLikelihood != float64(-st.Iter) {
				t.Fatalf("%d iterations: step %d holds iteration %v's model", n, st.Iter, st.Model.Means[0])
			}
			if i < len(got)-1 && st.Iter != i*stride {
				t.Fatalf("%d iterations: step %d is iteration %d, want %d (every %d)", n, i, st.Iter, i*stride, stride)
			}
		}
	}
}

// panelsHoldData decodes the PNG at path, checks its size and that none of its n panels,
// in rows of cols, is blank.
func panelsHoldData(t *testing.T, path string, fig Figure, n, cols int) {
	t.Helper()
	img := imagetest.Read(t, path)
	w, h := fig.Pixels()
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("%s is %v, want %dx%d", path, b, w, h)
	}
	if blank := figuretest.BlankPanels(img, n, cols); len(blank) > 0 {
		t.Errorf("%s: blank panels (column, row) %v", path, blank)
	}
}

func TestFiguresHoldData(t *testing.T) {
	f := testFit(t, 300, 200)
	dir := t.TempDir()
	sheet, err := Sheet(f)
	if err != nil {
		t.Fatal(err)
	}
	// The live view at the third iteration: its segmentation, mixture and the curve so far.
	live := *f
	live.Steps, live.Iterations, live.LogLikelihoods = f.Steps[2:3], f.Iterations[2:3], f.LogLikelihoods[:3]
	progress, err := Progress(&live)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		fig     Figure
		n, cols int
	}{
		{"strip", Strip(f), 5, 5},
		{"sheet", sheet, 5, 5},
		{"curves", Curves(f), 5, 5},
		{"progress", progress, 3, 3},
	} {
		path := filepath.Join(dir, c.name+".png")
		if err := c.fig.WritePNG(path); err != nil {
			t.Fatal(err)
		}
		panelsHoldData(t, path, c.fig, c.n, c.cols)
	}
	// Rows of 8: twelve iterations make two rows.
	f.Iterations = append(f.Iterations, f.Iterations[:5]...)
	f.Iterations = append(f.Iterations, f.Iterations[:2]...)
	f.Steps = append(f.Steps, f.Steps[:5]...)
	f.Steps = append(f.Steps, f.Steps[:2]...)
	path := filepath.Join(dir, "strip12.png")
	strip := Strip(f)
	if err := strip.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	panelsHoldData(t, path, strip, 12, 8)
}

func TestBlankPanelIsCaught(t *testing.T) {
	// The check above must be able to fail: a panel showing one flat colour is blank.
	flat := image.NewGray(image.Rect(0, 0, 30, 20))
	fig := Grid([]Panel{Image("flat", flat)}, 1, PanelWidth, PanelHeight)
	path := filepath.Join(t.TempDir(), "flat.png")
	if err := fig.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	if blank := figuretest.BlankPanels(imagetest.Read(t, path), 1, 1); len(blank) != 1 {
		t.Errorf("a flat panel was not found blank: %v", blank)
	}
}

func TestSheetSVG(t *testing.T) {
	f := testFit(t, 120, 80)
	sheet, err := Sheet(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sheet.svg")
	if err := atomicfile.Write(path, sheet.SVG); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Width   string `xml:"width,attr"`
		Height  string `xml:"height,attr"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if doc.XMLName.Local != "svg" {
		t.Fatalf("root element %q", doc.XMLName.Local)
	}
	if want := fmt.Sprintf("%gpt", float64(sheet.Width)); doc.Width != want {
		t.Errorf("width %q, want %q", doc.Width, want)
	}
	if n := strings.Count(string(data), "<image "); n != 2 {
		t.Errorf("%d embedded images, want 2 (input and segmentation)", n)
	}
}

// BenchmarkFigures times each step of --visualization=1 on a 1-megapixel and a
// 16-megapixel image (the largest test photo is 15.9): the histogram and the thumbnail
// pass over every pixel; the figures draw fixed-size panels.
func BenchmarkFigures(b *testing.B) {
	for _, side := range []int{1000, 4000} {
		f := testFit(b, side, side)
		x := make([]float64, side*side)
		for i := range x {
			x[i] = float64(i%251) / 250
		}
		th := NewThumbnail(x, side, side, 400)
		dir := b.TempDir()
		sheet, err := Sheet(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			run  func() error
		}{
			{"histogram", func() error { NewHistogram(x, 0, 1, 256); return nil }},
			{"thumbnail", func() error { NewThumbnail(x, side, side, 400); return nil }},
			{"labelled", func() error { _, err := th.Labelled(&f.Steps[0].Model, GrayOfMean(&f.Steps[0].Model)); return err }},
			{"strip", func() error { return Strip(f).WritePNG(filepath.Join(dir, "strip.png")) }},
			{"sheet.png", func() error { return sheet.WritePNG(filepath.Join(dir, "sheet.png")) }},
			{"sheet.svg", func() error { return atomicfile.Write(filepath.Join(dir, "sheet.svg"), sheet.SVG) }},
			{"curves", func() error { return Curves(f).WritePNG(filepath.Join(dir, "curves.png")) }},
		} {
			b.Run(fmt.Sprintf("%s/px=%dx%d", c.name, side, side), func(b *testing.B) {
				for b.Loop() {
					if err := c.run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// The colour figures of a fit hold data in every panel: the strip's segmentations, the
// sheet's input, segmentation, two colour planes with ellipses, and log-likelihood, and
// the live view's segmentation, colour plane and log-likelihood so far.
func TestColourFiguresHoldData(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 120, 80))
	for i := range 120 * 80 {
		c := [][3]uint8{{200, 40, 60}, {30, 50, 150}, {90, 160, 70}}[(i%120)/40]
		copy(src.Pix[4*i:], []uint8{c[0] + uint8(i*7%31), c[1] + uint8(i*5%29), c[2] + uint8(i*3%37), 255})
	}
	for _, space := range []segment.Channel{segment.RGB, segment.CIELab, segment.YCbCr} {
		x, err := segment.ColourSamples[float64](src, space, 0)
		if err != nil {
			t.Fatal(err)
		}
		var steps Steps
		res, err := gmm.Fit(t.Context(), x, gmm.Options{Dims: 3, Components: 3, MaxIter: 5, Init: gmm.InitKMeans, Covariance: gmm.Full, Progress: fitSteps(&steps), Tol: gmm.Off, AddedVariance: gmm.Off})
		if err != nil {
			t.Fatal(err)
		}
		f := &ColourFit{Input: src, Segmented: src, Samples: x, Names: space.Coordinates(), Space: space, Steps: steps.List(), LogLikelihoods: res.History,
			Colour: func(m *gmm.Model, k int) color.Color {
				c, err := segment.MeanColour(m, k, space)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}}
		strip, err := ColourStrip(f)
		if err != nil {
			t.Fatal(err)
		}
		sheet, err := ColourSheet(f)
		if err != nil {
			t.Fatal(err)
		}
		live := *f
		live.Steps, live.LogLikelihoods = f.Steps[1:2], f.LogLikelihoods[:2]
		progress, err := ColourProgress(&live)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for name, c := range map[string]struct {
			fig  Figure
			n, k int
		}{"strip": {strip, 5, 5}, "sheet": {sheet, 5, 5}, "progress": {progress, 3, 3}} {
			path := filepath.Join(dir, name+".png")
			if err := c.fig.WritePNG(path); err != nil {
				t.Fatal(err)
			}
			panelsHoldData(t, path, c.fig, c.n, c.k)
		}
	}
}
