package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/segment"
)

// examplePlane is the built-in example's luma, as gmmseg reads it.
func examplePlane(t *testing.T) *segment.Plane {
	t.Helper()
	img, err := segment.Decode(bytes.NewReader(exampleImage), 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := segment.NewPlane(img, segment.Luma)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fitExample fits the built-in example's luma as gmmseg does by default, on the histogram
// of its levels.
func fitExample(t *testing.T, opt gmm.Options) *gmm.Result {
	t.Helper()
	counted, err := segment.Histogram[float64](t.Context(), examplePlane(t), gmm.Exec{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := gmm.Fit(t.Context(), counted, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fitDoc is the part of the JSON document about the fit's options.
type fitDoc struct {
	ourDoc
	Method     string
	InitMethod string `json:"init_method"`
	Seed       *uint64
	NInit      int `json:"n_init"`
	Run        *int
	Converged  bool
	ModelFile  string `json:"model_file"`
	SavedModel string `json:"saved_model"`
}

func decodeDoc(t *testing.T, stdout string) fitDoc {
	t.Helper()
	var d fitDoc
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	return d
}

func TestFitFlagsReachTheLibrary(t *testing.T) {
	dir := t.TempDir()
	r := runCmd(t, "--json", "--components=4", "--init=kmeans++", "--seed=7", "--n-init=3",
		"--tol=1e-4", "--max-iter=200", "--min-variance=1e-5", "--out="+filepath.Join(dir, "o.png"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	doc := decodeDoc(t, r.Stdout)
	want := fitExample(t, gmm.Options{
		Components: 4, Init: gmm.InitKMeansPP, Seed: 7, NInit: 3, Tol: 1e-4, MaxIter: 200, AddedVariance: 1e-5,
	})
	if doc.InitMethod != "kmeans++" || doc.Seed == nil || *doc.Seed != 7 || doc.NInit != 3 ||
		doc.Run == nil || *doc.Run != want.Run || doc.Converged != want.Converged || !want.Converged {
		t.Fatalf("document %+v; the library's fit: run %d, converged %v", doc, want.Run, want.Converged)
	}
	if len(doc.Iterations) != len(want.History) || !slices.Equal(doc.Init.Means, want.Initial.Means) {
		t.Fatalf("%d iterations from %v; the library: %d from %v", len(doc.Iterations), doc.Init.Means, len(want.History), want.Initial.Means)
	}
	last := doc.Iterations[len(doc.Iterations)-1]
	if !slices.Equal(last.Means, want.Model.Means) || !slices.Equal(last.Stdevs, want.Model.Stdevs()) ||
		!slices.Equal(last.Weights, want.Model.Weights) || last.LogLikelihood != want.LogLikelihood {
		t.Fatalf("final mixture %+v, the library's %+v", last, want.Model)
	}

	// --max-iter is --iterations: without --tol, exactly that many.
	r = runCmd(t, "--json", "--max-iter=3", "--out="+filepath.Join(dir, "o.png"))
	if doc := decodeDoc(t, r.Stdout); r.Code != 0 || len(doc.Iterations) != 3 || doc.Converged || doc.InitMethod != "evenly-spaced" || doc.Seed != nil {
		t.Fatalf("--max-iter=3: exit %d, %d iterations, %+v", r.Code, len(doc.Iterations), doc)
	}
}

func TestTextReportShowsEachStart(t *testing.T) {
	dir := t.TempDir()
	r := runCmd(t, "--init=random-from-data", "--seed=2", "--n-init=2", "--iterations=2", "--out="+filepath.Join(dir, "o.png"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	res := fitExample(t, gmm.Options{Components: 3, Init: gmm.InitRandomFromData, Seed: 2, NInit: 2, MaxIter: 2, Tol: gmm.Off, AddedVariance: gmm.Off})
	for _, want := range []string{
		"START 1 of 2\nInitializing the mixture from pixels drawn at random.\n",
		"START 2 of 2\n",
		"init_means= " + floats(res.Initial.Means) + "\n",
		"kept start " + string(rune('1'+res.Run)) + " of 2",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
	}
	if n := strings.Count(r.Stdout, "ITERATION "); n != 4 {
		t.Errorf("%d iteration blocks, want 2 per start", n)
	}
}

func TestSavedModelSegmentsOtherImages(t *testing.T) {
	dir := t.TempDir()
	saved, fitLabels, out := filepath.Join(dir, "m.json"), filepath.Join(dir, "fit.png"), filepath.Join(dir, "o.png")
	r := runCmd(t, "--json", "--components=4", "--save-model="+saved, "--labels="+fitLabels, "--out="+out)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	fit := decodeDoc(t, r.Stdout)
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	var m gmm.Model
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	last := fit.Iterations[len(fit.Iterations)-1]
	if fit.SavedModel != saved || !slices.Equal(m.Means, last.Means) || !slices.Equal(m.Stdevs(), last.Stdevs) || !slices.Equal(m.Weights, last.Weights) {
		t.Fatalf("saved %+v, the fit ended at %+v", m, last)
	}

	// Segmenting with the saved mixture, no fit: the same classes, pixel for pixel.
	modelLabels := filepath.Join(dir, "model.png")
	for _, prec := range []string{"float64", "float32"} {
		r = runCmd(t, "--json", "--model="+saved, "--precision="+prec, "--labels="+modelLabels, "--out="+out)
		if r.Code != 0 {
			t.Fatalf("--model: exit %d: %s", r.Code, r.Stderr)
		}
		doc := decodeDoc(t, r.Stdout)
		if doc.ModelFile != saved || doc.InitMethod != "model-file" || len(doc.Iterations) != 0 || doc.Components != 4 ||
			!slices.Equal(doc.Init.Means, m.Means) || !strings.Contains(r.Stdout, `"iterations": []`) {
			t.Fatalf("--model document: %+v\n%s", doc, r.Stdout)
		}
		a, b := readBytes(t, fitLabels), readBytes(t, modelLabels)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the labels from --model differ from the fit's", prec)
		}
	}
	r = runCmd(t, "--model="+saved, "--components=4", "--out="+out)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Segmenting with the mixture in "+saved) || strings.Contains(r.Stdout, "ITERATION") {
		t.Fatalf("text report with --model: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHistogramAndPixelsGiveTheSameSegmentation(t *testing.T) {
	dir := t.TempDir()
	var docs [2]fitDoc
	var outputs [2][]byte
	for i, method := range []string{"histogram", "pixels"} {
		out, labels := filepath.Join(dir, method+".png"), filepath.Join(dir, method+"_labels.png")
		r := runCmd(t, "--json", "--components=4", "--method="+method, "--labels="+labels, "--out="+out)
		if r.Code != 0 {
			t.Fatalf("%s: exit %d: %s", method, r.Code, r.Stderr)
		}
		docs[i] = decodeDoc(t, r.Stdout)
		if docs[i].Method != method {
			t.Fatalf("--method=%s: the document says %q", method, docs[i].Method)
		}
		outputs[i] = append(readBytes(t, out), readBytes(t, labels)...)
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Error("the two methods wrote different segmentations")
	}
	for i, h := range docs[0].Iterations {
		p := docs[1].Iterations[i]
		for k := range h.Means {
			for _, v := range [][2]float64{{h.Means[k], p.Means[k]}, {h.Stdevs[k], p.Stdevs[k]}, {h.Weights[k], p.Weights[k]}} {
				if e := relErr(v[0], v[1]); e > 1e-12 {
					t.Fatalf("iteration %d: histogram %v, pixels %v", i, h, p)
				}
			}
		}
	}
	// auto is the histogram for one image.
	r := runCmd(t, "--json", "--iterations=1", "--out="+filepath.Join(dir, "auto.png"))
	if doc := decodeDoc(t, r.Stdout); doc.Method != "histogram" {
		t.Errorf("--method=auto on an image: %q", doc.Method)
	}
}

func TestComponentsAutoKeepsTheLowestBIC(t *testing.T) {
	dir := t.TempDir()
	r := runCmd(t, "--json", "--components=auto", "--components-range=2-4", "--iterations=20", "--out="+filepath.Join(dir, "o.png"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var doc struct {
		fitDoc
		Selection []struct {
			Components    int
			LogLikelihood float64 `json:"log_likelihood"`
			BIC           float64 `json:"bic"`
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	counted, err := segment.Histogram[float64](t.Context(), examplePlane(t), gmm.Exec{})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := gmm.SelectComponents(t.Context(), counted, 2, 4, gmm.Options{MaxIter: 20, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off})
	if err != nil {
		t.Fatal(err)
	}
	best := sel.Candidates[sel.Best]
	if len(doc.Selection) != 3 || doc.Components != best.K || len(doc.Iterations) != 20 || len(doc.Init.Means) != best.K {
		t.Fatalf("document: %d candidates, %d components, %d iterations; want 3, %d, 20", len(doc.Selection), doc.Components, len(doc.Iterations), best.K)
	}
	for i, c := range doc.Selection {
		want := sel.Candidates[i]
		if c.Components != want.K || c.BIC != want.BIC || c.LogLikelihood != want.Result.LogLikelihood {
			t.Errorf("row %d: %+v, the library: K=%d BIC %v", i, c, want.K, want.BIC)
		}
	}
	if last := doc.Iterations[19]; !slices.Equal(last.Means, best.Result.Model.Means) {
		t.Errorf("the iterations shown are not the chosen fit's")
	}
	// The text report prints the table, then the chosen fit.
	r = runCmd(t, "--components=auto", "--components-range=2-4", "--iterations=20", "--out="+filepath.Join(dir, "o.png"))
	if r.Code != 0 || !strings.Contains(r.Stdout, "Choosing the number of components by BIC, from 2 to 4:") ||
		!strings.Contains(r.Stdout, "<- lowest") || strings.Count(r.Stdout, "ITERATION ") != 20 {
		t.Fatalf("exit %d, text report:\n%s", r.Code, r.Stdout)
	}
}

// A colour run fits the image's distinct colours (or, with --method=pixels, every pixel,
// to the same segmentation) in the colour space asked for, writes each pixel in its
// class's mean colour, reports means of 3 values and covariances in their type's shape,
// and its saved model segments the image again without fitting, to the same output.
func TestColourRun(t *testing.T) {
	dir := t.TempDir()
	out, saved, again := filepath.Join(dir, "o.png"), filepath.Join(dir, "m.json"), filepath.Join(dir, "again.png")
	in := threeColours(t, dir)
	for _, cov := range []string{"full", "diag", "spherical", "tied"} {
		r := runCmd(t, "--first-image="+in, "--channel=lab", "--covariance="+cov, "--components=3", "--iterations=5", "--json",
			"--out="+out, "--save-model="+saved)
		if r.Code != 0 {
			t.Fatalf("%s: status %d: %s", cov, r.Code, r.Stderr)
		}
		var doc struct {
			Channel    string
			Method     string
			Iterations []struct {
				Means       [][]float64
				Covariance  string
				Covariances json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatal(err)
		}
		last := doc.Iterations[len(doc.Iterations)-1]
		if doc.Channel != "lab" || doc.Method != "histogram" || len(last.Means) != 3 || len(last.Means[0]) != 3 || last.Covariance != cov {
			t.Fatalf("%s: document %s", cov, r.Stdout)
		}
		// Over every pixel: the same fit, to rounding, and the same classes.
		pixels := filepath.Join(dir, "pixels.png")
		if r := runCmd(t, "--first-image="+in, "--channel=lab", "--covariance="+cov, "--components=3", "--iterations=5",
			"--method=pixels", "--out="+pixels); r.Code != 0 || !bytes.Equal(readBytes(t, out), readBytes(t, pixels)) {
			t.Fatalf("%s: --method=pixels: status %d %s, or another segmentation", cov, r.Code, r.Stderr)
		}
		if !coloured(imagetest.Read(t, out)) {
			t.Fatalf("%s: the output has no colour", cov)
		}
		r = runCmd(t, "--first-image="+in, "--channel=lab", "--model="+saved, "--out="+again)
		if r.Code != 0 {
			t.Fatalf("%s: --model: status %d: %s", cov, r.Code, r.Stderr)
		}
		if !bytes.Equal(readBytes(t, out), readBytes(t, again)) {
			t.Errorf("%s: the saved model segments the image otherwise", cov)
		}
	}
	// The colour figures: the strip and the sheet (PNG and SVG), no density curves.
	figs := filepath.Join(dir, "figs.png")
	r := runCmd(t, "--first-image="+in, "--channel=ycbcr", "--components=3", "--iterations=3", "--visualization=1", "--out="+figs)
	if r.Code != 0 {
		t.Fatalf("--visualization=1: status %d: %s", r.Code, r.Stderr)
	}
	names := (&plan{config: &config{visualization: 1}}).figureNames(figs) // one channel's: with the curves
	strip, sheetPNG, sheetSVG, curves := names[0], names[1], names[2], names[3]
	for _, p := range []string{strip, sheetPNG, sheetSVG} {
		if len(readBytes(t, p)) == 0 || !strings.Contains(r.Stdout, "wrote "+p) {
			t.Errorf("%s: not written or not reported", p)
		}
	}
	if _, err := os.Stat(curves); err == nil {
		t.Errorf("%s: density curves of a colour space", curves)
	}
}

// threeColours writes a 60x40 PNG of three noisy colours side by side in dir and returns
// its path.
func threeColours(t *testing.T, dir string) string {
	t.Helper()
	src := image.NewNRGBA(image.Rect(0, 0, 60, 40))
	for i := range 60 * 40 {
		c := [][3]uint8{{200, 40, 60}, {30, 50, 150}, {90, 160, 70}}[(i%60)/20]
		copy(src.Pix[4*i:], []uint8{c[0] + uint8(i%7), c[1], c[2] + uint8(i%5), 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "in.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// coloured reports whether some pixel of img is not a gray.
func coloured(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != g || g != bl {
				return true
			}
		}
	}
	return false
}

// --init-model goes on fitting from a saved mixture: one iteration saved, then one more
// from it, is the fit of two iterations, bit for bit.
func TestInitModelContinuesTheFit(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "m.json")
	if r := runCmd(t, "--iterations=1", "--save-model="+saved, "--out="+filepath.Join(dir, "a.png")); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	r := runCmd(t, "--init-model="+saved, "--iterations=1", "--json", "--out="+filepath.Join(dir, "b.png"))
	if r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	two := runCmd(t, "--iterations=2", "--json", "--out="+filepath.Join(dir, "c.png"))
	cont, whole := decodeDoc(t, r.Stdout), decodeDoc(t, two.Stdout)
	if cont.InitMethod != "init-model" || len(cont.Iterations) != 1 {
		t.Fatalf("document %s", r.Stdout)
	}
	got, want := cont.Iterations[0], whole.Iterations[1]
	if got.LogLikelihood != want.LogLikelihood || !slices.Equal(got.Means, want.Means) || !slices.Equal(got.Stdevs, want.Stdevs) {
		t.Errorf("continued: %+v; two iterations: %+v", got, want)
	}
}

// 8-bit data saved as 16-bit fit as the 8-bit file does (bits 8, found from the maximum),
// and their segmentation is the 8-bit one's levels in a 16-bit PNG; --bits=16 reads them
// as a sliver of the 16-bit range instead.
func TestSixteenBitFileOfEightBitData(t *testing.T) {
	p := examplePlane(t)
	wide := image.NewGray16(image.Rect(0, 0, p.Width, p.Height))
	for i, v := range p.Levels {
		wide.Pix[2*i], wide.Pix[2*i+1] = 0, uint8(v)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "camera16.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, wide); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	narrow := runCmd(t, "--json", "--png=gray", "--out="+filepath.Join(dir, "a.png"))
	r := runCmd(t, "--first-image="+in, "--json", "--out="+filepath.Join(dir, "b.png"))
	if r.Code != 0 || narrow.Code != 0 {
		t.Fatal(r.Stderr, narrow.Stderr)
	}
	var bits struct{ Bits int }
	if err := json.Unmarshal([]byte(r.Stdout), &bits); err != nil || bits.Bits != 8 {
		t.Fatalf("bits %d (%v)", bits.Bits, err)
	}
	a, b := decodeDoc(t, narrow.Stdout), decodeDoc(t, r.Stdout)
	for i := range a.Iterations {
		if a.Iterations[i].LogLikelihood != b.Iterations[i].LogLikelihood || !slices.Equal(a.Iterations[i].Means, b.Iterations[i].Means) {
			t.Fatalf("iteration %d: 8-bit file %+v, 16-bit file %+v", i, a.Iterations[i], b.Iterations[i])
		}
	}
	out8, out16 := imagetest.Read(t, filepath.Join(dir, "a.png")), imagetest.Read(t, filepath.Join(dir, "b.png"))
	g16, ok := out16.(*image.Gray16)
	if !ok {
		t.Fatalf("the output of a 16-bit image is a %T", out16)
	}
	for i, v := range out8.(*image.Gray).Pix {
		if g16.Pix[2*i] != 0 || g16.Pix[2*i+1] != v {
			t.Fatalf("pixel %d: %d in 16 bits, %d in 8", i, int(g16.Pix[2*i])<<8|int(g16.Pix[2*i+1]), v)
		}
	}
	sliver := runCmd(t, "--first-image="+in, "--bits=16", "--json", "--out="+filepath.Join(dir, "c.png"))
	if s := decodeDoc(t, sliver.Stdout); sliver.Code != 0 || s.Iterations[0].LogLikelihood == a.Iterations[0].LogLikelihood {
		t.Errorf("--bits=16: status %d, the same fit as 8 bits", sliver.Code)
	}
	if r := runCmd(t, "--bits=12"); r.Code != 1 || !strings.Contains(r.Stderr, "8-bit") {
		t.Errorf("--bits=12 of an 8-bit image: status %d, %q", r.Code, r.Stderr)
	}
}

// 8-bit colours saved as 16-bit fit in a colour space as the 8-bit file does (over the
// pixels: the colour histogram counts 8-bit files), and come out as a 16-bit image.
func TestSixteenBitColoursOfEightBitData(t *testing.T) {
	dir := t.TempDir()
	in8 := threeColours(t, dir)
	src := imagetest.Read(t, in8)
	b := src.Bounds()
	wide := image.NewNRGBA64(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := src.At(x, y).RGBA()
			wide.SetNRGBA64(x, y, color.NRGBA64{uint16(r >> 8), uint16(g >> 8), uint16(bl >> 8), 0xffff})
		}
	}
	in16 := filepath.Join(dir, "in16.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, wide); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in16, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--channel=rgb", "--components=3", "--iterations=5", "--method=pixels", "--json"}
	a := runCmd(t, append(args, "--first-image="+in8, "--out="+filepath.Join(dir, "a.png"))...)
	b16 := runCmd(t, append(args, "--first-image="+in16, "--out="+filepath.Join(dir, "b.png"))...)
	if a.Code != 0 || b16.Code != 0 {
		t.Fatal(a.Stderr, b16.Stderr)
	}
	var da, db struct {
		Bits       int
		Iterations []struct {
			LogLikelihood float64 `json:"log_likelihood"`
		}
	}
	if err := json.Unmarshal([]byte(a.Stdout), &da); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b16.Stdout), &db); err != nil {
		t.Fatal(err)
	}
	if db.Bits != 8 || len(da.Iterations) != len(db.Iterations) {
		t.Fatalf("bits %d, %d and %d iterations", db.Bits, len(da.Iterations), len(db.Iterations))
	}
	for i := range da.Iterations {
		if da.Iterations[i] != db.Iterations[i] {
			t.Fatalf("iteration %d: 8-bit %v, 16-bit %v", i, da.Iterations[i], db.Iterations[i])
		}
	}
	if out := imagetest.Read(t, filepath.Join(dir, "b.png")); segment.Depth(out) != 16 {
		t.Errorf("the output of a 16-bit image is a %T", out)
	}
}
