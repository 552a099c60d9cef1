package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/cmd/internal/cmdtest"
	"github.com/gmmsimd/gmmsimd/cmd/internal/figure/figuretest"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/imagetest"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/internal/race"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

// exitCancelled is the exit status of a run whose context was cancelled without a
// signal: SIGINT's, 130.
const exitCancelled = 130

func runCmd(t *testing.T, args ...string) cmdtest.Result {
	t.Helper()
	return cmdtest.Run(func(stdout, stderr io.Writer) int { return run(context.Background(), args, stdout, stderr) })
}

// refDoc is a file of ../shared/reference: the reference program's printout.
type refDoc struct {
	Image      string `json:"image"`
	Components int    `json:"components"`
	Iterations int    `json:"iterations"`
	Channel    string `json:"channel"`
	Command    string `json:"command"`
	Init       struct {
		Means, Stdevs []float64
	} `json:"init"`
	Out []struct {
		Means, Stdevs, Weights []float64
		LogLikelihood          float64 `json:"log_likelihood"`
	} `json:"iterations_out"`
}

// ourDoc is the part of gmmseg's JSON the tests read.
type ourDoc struct {
	Image struct {
		Path          string
		Width, Height int
	}
	Kernel     string
	Threads    int
	Precision  string
	Components int
	Init       struct{ Means, Stdevs, Weights []float64 }
	Iterations []struct {
		Means, Stdevs, Weights []float64
		LogLikelihood          float64 `json:"log_likelihood"`
	}
	Output  string
	Elapsed map[string]float64 `json:"elapsed_seconds"`
}

// argsOf turns the reference's command line into gmmseg's, with image paths under dir.
func argsOf(t *testing.T, command, dir string) []string {
	t.Helper()
	var args []string
	for _, f := range strings.Fields(command)[1:] {
		name, value, _ := strings.Cut(f, "=")
		switch name {
		case "--first-image", "--second-image":
			args = append(args, name+"="+filepath.Join(dir, value))
		case "--components", "--iterations", "--subtraction-threshold", "--visualization":
			args = append(args, f)
		case "--precompiled-num-threads", "--fast-math":
			// How the reference ran, not what it computed.
		default:
			t.Fatalf("reference command has an unknown flag %q", f)
		}
	}
	return args
}

func relErr(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }

func TestParityWithTheReferenceProgram(t *testing.T) {
	shared := sharedtest.Dir(t)
	files, err := filepath.Glob(filepath.Join(shared, "reference", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var ref refDoc
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(ref.Out) == 0 {
			continue // not a printout of the reference program
		}
		checked++
		base := argsOf(t, ref.Command, filepath.Join(shared, "testdata", "images"))
		// The reference read OpenCV's first channel, blue; in a gray image every channel is
		// the gray value.
		base = append(base, "--channel=blue", "--json")
		for _, precision := range []struct {
			name string
			tol  float64
		}{{"float64", 1e-9}, {"float32", 1e-4}} {
			// Generic kernels on every pixel; the fastest kernels by the default method
			// (the histogram for an image, every pixel for a pair).
			for _, way := range [][2]string{{"generic", "pixels"}, {"auto", "auto"}} {
				kern, method := way[0], way[1]
				name := filepath.Base(file) + "/" + precision.name + "/" + kern + "/" + method
				t.Run(name, func(t *testing.T) {
					out := filepath.Join(t.TempDir(), "seg.png")
					args := append(base[:len(base):len(base)], "--precision="+precision.name, "--kernel="+kern, "--method="+method, "--out="+out)
					checkParity(t, &ref, args, precision.tol)
				})
			}
		}
	}
	if checked == 0 {
		t.Fatal("no reference printout found")
	}
}

// checkParity runs gmmseg with args and holds its document to the reference's printout
// ref: the same start, and every iteration's parameters and log-likelihood within tol
// relative.
func checkParity(t *testing.T, ref *refDoc, args []string, tol float64) {
	r := runCmd(t, args...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var doc ourDoc
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, r.Stdout)
	}
	if len(doc.Iterations) != len(ref.Out) {
		t.Fatalf("%d iterations, the reference printed %d", len(doc.Iterations), len(ref.Out))
	}
	for k := range ref.Init.Means {
		if doc.Init.Means[k] != ref.Init.Means[k] || relErr(doc.Init.Stdevs[k], ref.Init.Stdevs[k]) > 1e-15 {
			t.Fatalf("init differs: %v vs %v", doc.Init, ref.Init)
		}
	}
	worst := 0.0
	for i, want := range ref.Out {
		got := doc.Iterations[i]
		pairs := [][2][]float64{
			{got.Means, want.Means}, {got.Stdevs, want.Stdevs}, {got.Weights, want.Weights},
			{{got.LogLikelihood}, {want.LogLikelihood}},
		}
		for _, p := range pairs {
			if len(p[0]) != len(p[1]) {
				t.Fatalf("iteration %d: %d values, want %d", i, len(p[0]), len(p[1]))
			}
			for k := range p[1] {
				e := relErr(p[0][k], p[1][k])
				worst = max(worst, e)
				if !(e <= tol) {
					t.Errorf("iteration %d: %.17g, reference %.17g (rel err %.3g)", i, p[0][k], p[1][k], e)
				}
			}
		}
	}
	t.Logf("largest relative difference from the reference: %.3g", worst)
}

func TestNoArgumentsSegmentsTheExample(t *testing.T) {
	t.Chdir(t.TempDir())
	r := runCmd(t)
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	for _, want := range []string{"init_means= [0, 0.5, 1]", "ITERATION 0\n", "ITERATION 7\n", "log likelihood ", "wrote camera_segmented.png"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
	}
	img, err := segment.Open("camera_segmented.png", 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("segmentation is %v", b)
	}
	p, _ := segment.NewPlane(img, segment.Luma)
	seen := map[uint16]bool{}
	for _, v := range p.Levels {
		seen[v] = true
	}
	if len(seen) != 3 {
		t.Fatalf("the segmentation has %d gray levels, want 3 (one per component)", len(seen))
	}
}

func TestJSONDocument(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.png")
	r := runCmd(t, "--json", "--components=2", "--iterations=3", "--threads=2", "--precision=float32", "--out="+out)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var doc ourDoc
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Image.Path != exampleName || doc.Image.Width != 512 || doc.Image.Height != 512 ||
		doc.Threads != 2 || doc.Precision != "float32" || doc.Components != 2 || doc.Kernel == "" ||
		len(doc.Iterations) != 3 || len(doc.Init.Means) != 2 || doc.Output != out {
		t.Fatalf("document: %+v", doc)
	}
	for _, k := range []string{"decode", "fit", "segment", "total"} {
		if v, ok := doc.Elapsed[k]; !ok || !(v >= 0) {
			t.Errorf("elapsed_seconds.%s = %v", k, v)
		}
	}
	// Numbers carry full precision: they parse back to the same float64.
	ll := doc.Iterations[2].LogLikelihood
	if !strings.Contains(r.Stdout, strconv.FormatFloat(ll, 'g', -1, 64)) {
		t.Errorf("log-likelihood %v not printed in shortest full precision", ll)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func TestPairWithSubtractionThreshold(t *testing.T) {
	images := filepath.Join(sharedtest.Dir(t), "testdata", "images")
	out := filepath.Join(t.TempDir(), "pair.png")
	r := runCmd(t, "--first-image="+filepath.Join(images, "tree_frame052_background.png"),
		"--second-image="+filepath.Join(images, "tree_frame058_hand.png"),
		"--components=2", "--iterations=5", "--subtraction-threshold=2.3", "--out="+out)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "thresholded subtraction") {
		t.Errorf("the start is not the thresholded one:\n%s", r.Stdout)
	}
	img, err := segment.Open(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("segmentation is %v", b)
	}
}

func TestCPUProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.pprof")
	r := runCmd(t, "--iterations=2", "--cpuprofile="+prof, "--out="+filepath.Join(dir, "o.png"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	data, err := os.ReadFile(prof)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("profile: %d bytes, %v (want gzip-compressed pprof)", len(data), err)
	}
}

func TestLabelsAndPalette(t *testing.T) {
	dir := t.TempDir()
	gray, colour, labels := filepath.Join(dir, "gray.png"), filepath.Join(dir, "colour.png"), filepath.Join(dir, "labels.png")
	r := runCmd(t, "--json", "--components=4", "--out="+gray, "--labels="+labels)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var doc ourDoc
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if r := runCmd(t, "--components=4", "--palette", "--out="+colour); r.Code != 0 {
		t.Fatalf("--palette: exit %d: %s", r.Code, r.Stderr)
	}
	read := func(path string) image.Image {
		img, err := segment.Open(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	lab, ok := read(labels).(*image.Gray)
	if !ok {
		t.Fatalf("labels decode to %T, want 8-bit gray", read(labels))
	}
	g, pal := read(gray), read(colour)
	if _, ok := pal.(*image.Paletted); !ok {
		t.Fatalf("--palette output decodes to %T, want paletted", pal)
	}
	means := doc.Iterations[len(doc.Iterations)-1].Means
	used := map[uint8]bool{}
	for i, k := range lab.Pix {
		if int(k) >= 4 {
			t.Fatalf("label %d at pixel %d", k, i)
		}
		used[k] = true
		x, y := i%lab.Rect.Dx(), i/lab.Rect.Dx()
		if want, got := uint8(math.Round(min(max(means[k], 0), 1)*255)), color.GrayModel.Convert(g.At(x, y)).(color.Gray).Y; got != want {
			t.Fatalf("pixel (%d,%d): gray %d, its class %d has mean level %d", x, y, got, k, want)
		}
		if got := color.RGBAModel.Convert(pal.At(x, y)); got != segment.ClassColour(int(k)) {
			t.Fatalf("pixel (%d,%d): colour %v, its class %d has %v", x, y, got, k, segment.ClassColour(int(k)))
		}
	}
	if len(used) < 2 {
		t.Errorf("only classes %v in the labels", used)
	}
	// The labels file is not left behind when the segmentation cannot be written.
	lonely := filepath.Join(dir, "lonely.png")
	if r := runCmd(t, "--labels="+lonely, "--out="+filepath.Join(dir, "no", "o.png")); r.Code != 1 {
		t.Errorf("unwritable --out: exit %d", r.Code)
	}
	if _, err := os.Stat(lonely); !os.IsNotExist(err) {
		t.Errorf("the labels file of a failed run is left behind: %v", err)
	}
}

func TestMemProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "mem.pprof")
	r := runCmd(t, "-q", "--iterations=2", "--memprofile="+prof, "--out="+filepath.Join(dir, "o.png"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 100 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("the memory profile is not a gzipped pprof file (%d bytes, %v)", len(b), err)
	}
}

func TestLiveProgressLine(t *testing.T) {
	var live bytes.Buffer
	r := newReport(newPlan(&config{iterations: 3, json: true}), nil, io.Discard)
	r.live, r.start = &live, time.Now()
	r.step(gmm.Step{Iter: -1, LogLikelihood: -120}) // the start: no line of its own
	for i, ll := range []float64{-100, -90.5, -90.25} {
		r.step(gmm.Step{Iter: i, LogLikelihood: ll})
	}
	r.endLive()
	lines := strings.Split(live.String(), "\r\033[K")
	if len(lines) != 4 || lines[0] != "" || !strings.HasSuffix(live.String(), "\n") {
		t.Fatalf("live output %q: want three overwritten lines and a newline", live.String())
	}
	for i, want := range []string{"iteration 1/3  log-likelihood -100  change 2.000e+01", "iteration 2/3  log-likelihood -90.5  change 9.500e+00", "iteration 3/3  log-likelihood -90.25  change 2.500e-01"} {
		if !strings.HasPrefix(lines[i+1], want) || !strings.Contains(lines[i+1], " s") {
			t.Errorf("line %d = %q, want it to start with %q and end with the elapsed time", i+1, lines[i+1], want)
		}
	}
	// Not a terminal: no live line at all.
	if isTerminal(&live) {
		t.Error("a buffer taken for a terminal")
	}
}

func TestVersion(t *testing.T) {
	r := runCmd(t, "--version")
	if r.Code != 0 || !strings.Contains(r.Stdout, "kernels: ") || !strings.Contains(r.Stdout, "generic") || !strings.Contains(r.Stdout, "auto: ") {
		t.Fatalf("exit %d, stdout %q", r.Code, r.Stdout)
	}
}

func TestKernelsAgreeEndToEnd(t *testing.T) {
	// Every kernel this machine runs gives the same iterations to 1e-10 on the example.
	var first ourDoc
	for i, k := range kernel.Available() {
		r := runCmd(t, "--json", "--kernel="+k, "--out="+filepath.Join(t.TempDir(), "o.png"))
		if r.Code != 0 {
			t.Fatalf("%s: exit %d: %s", k, r.Code, r.Stderr)
		}
		var doc ourDoc
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Kernel != k {
			t.Fatalf("asked for %s, ran %s", k, doc.Kernel)
		}
		if i == 0 {
			first = doc
			continue
		}
		for j, it := range doc.Iterations {
			want := first.Iterations[j]
			for _, p := range [][2][]float64{{it.Means, want.Means}, {it.Stdevs, want.Stdevs}, {it.Weights, want.Weights}, {{it.LogLikelihood}, {want.LogLikelihood}}} {
				for m := range p[0] {
					if relErr(p[0][m], p[1][m]) > 1e-10 {
						t.Fatalf("%s vs %s, iteration %d: %v vs %v", k, first.Kernel, j, p[0][m], p[1][m])
					}
				}
			}
		}
	}
}

func TestThreadsAndPinningGiveTheSameOutput(t *testing.T) {
	// The same numbers and the same segmentation, bit for bit, on any number of threads,
	// pinned (Linux) or not.
	var first string
	var firstPNG []byte
	runs := [][]string{{"--threads=1"}, {"--threads=3"}, {"--threads=0"}}
	if runtime.GOOS == "linux" {
		runs = append(runs, []string{"--threads=2", "--pin"})
	}
	for _, args := range runs {
		out := filepath.Join(t.TempDir(), "o.png")
		r := runCmd(t, append(args, "--json", "--out="+out)...)
		if r.Code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.Code, r.Stderr)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "elapsed_seconds")
		delete(doc, "threads")
		delete(doc, "output")
		b, _ := json.Marshal(doc)
		png, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first, firstPNG = string(b), png
			continue
		}
		if string(b) != first || !bytes.Equal(png, firstPNG) {
			t.Errorf("%v: output differs from --threads=1", args)
		}
	}
}

func TestHelp(t *testing.T) {
	r := runCmd(t, "-h")
	if r.Code != 0 || !strings.Contains(r.Stdout, "--first-image") && !strings.Contains(r.Stdout, "-first-image") {
		t.Fatalf("exit %d, stdout %q", r.Code, r.Stdout)
	}
}

// badFiles writes the bad inputs of the tests into dir and returns their paths.
func badFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	photo, err := png.Decode(bytes.NewReader(exampleImage))
	if err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, photo, nil); err != nil {
		t.Fatal(err)
	}
	var tiny bytes.Buffer
	png.Encode(&tiny, image.NewGray(image.Rect(0, 0, 2, 2)))
	var other bytes.Buffer
	png.Encode(&other, image.NewRGBA(image.Rect(0, 0, 3, 3)))
	zero := append([]byte(nil), tiny.Bytes()...)
	// Width and height 0 in the IHDR chunk; the decoder refuses it before the CRC matters.
	copy(zero[16:24], make([]byte, 8))
	files := map[string][]byte{
		"text.png":       []byte("plain text, not an image at all"),
		"truncated.png":  exampleImage[:len(exampleImage)/3],
		"truncated.jpg":  jpg.Bytes()[:jpg.Len()/3],
		"zero.png":       zero,
		"tiny.png":       tiny.Bytes(),
		"other.png":      other.Bytes(),
		"bad-model.json": []byte(`{"weights": [1, 1], "means": [0, 1], "stdevs": [0.1, -2]}`),
		"model.json":     []byte(`{"weights": [0.5, 0.5], "means": [0.25, 0.75], "stdevs": [0.1, 0.1]}`),
	}
	for ext, data := range imagetest.Bombs() {
		files["bomb"+ext] = data
	}
	paths := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// badInput is a command line that must fail: with exit code code and an error that says
// something.
type badInput struct {
	name string
	args []string
	code int
	says string
}

// badInputs are TestBadInput's cases, over the files f planted in the folder in.
func badInputs(in string, f map[string]string) []badInput {
	return []badInput{
		{"missing file", []string{"--first-image=" + filepath.Join(in, "nope.png")}, 1, "no such file"},
		{"not an image", []string{"--first-image=" + f["text.png"]}, 1, "not a PNG"},
		{"truncated PNG", []string{"--first-image=" + f["truncated.png"]}, 1, "truncated"},
		{"truncated JPEG", []string{"--first-image=" + f["truncated.jpg"]}, 1, "jpeg"},
		{"0x0 image", []string{"--first-image=" + f["zero.png"]}, 1, "png"},
		{"BMP header bomb", []string{"--first-image=" + f["bomb.bmp"]}, 1, "--max-pixels"},
		{"TIFF header bomb", []string{"--first-image=" + f["bomb.tif"]}, 1, "10000000000 pixels"},
		{"WebP header bomb", []string{"--first-image=" + f["bomb.webp"]}, 1, "image too large"},
		{"bomb as the pair's second", []string{"--first-image=" + f["tiny.png"], "--second-image=" + f["bomb.png"], "--components=2"}, 1, "image too large"},
		{"a lower pixel limit", []string{"--first-image=" + f["other.png"], "--max-pixels=8"}, 1, "3x3, 9 pixels, above the limit of 8"},
		{"no pixels allowed", []string{"--max-pixels=0"}, 2, "--max-pixels=0"},
		{"zero components", []string{"--components=0"}, 2, "--components=0"},
		{"more components than pixels", []string{"--first-image=" + f["tiny.png"], "--components=5"}, 1, "5 components for 4 pixels"},
		{"zero iterations", []string{"--iterations=0"}, 2, "--iterations=0"},
		{"endless iterations", []string{"--iterations=1000001"}, 2, "--iterations=1000001: want 1 to 1000000"},
		{"pair of different sizes", []string{"--first-image=" + f["tiny.png"], "--second-image=" + f["other.png"], "--components=2"}, 1, "differ in size"},
		{"unwritable --out", []string{"--iterations=1", "--out=" + filepath.Join(in, "no", "dir", "x.png")}, 1, "writing the segmentation"},
		{"unknown flag", []string{"--colour=red"}, 2, "colour"},
		{"bad channel", []string{"--channel=alpha"}, 2, "alpha"},
		{"bad precision", []string{"--precision=float16"}, 2, "float16"},
		{"bad kernel", []string{"--kernel=sse9"}, 2, "sse9"},
		{"negative threads", []string{"--threads=-1"}, 2, "--threads"},
		{"absurd threads", []string{"--threads=100000"}, 2, "--threads=100000: want 0 (one per physical core) to 1024"},
		{"threshold without a pair", []string{"--subtraction-threshold=2.3"}, 2, "--second-image"},
		{"threshold not a number", []string{"--first-image=a", "--second-image=b", "--components=2", "--subtraction-threshold=x"}, 2, "not a number"},
		{"second image alone", []string{"--second-image=" + f["tiny.png"]}, 2, "--first-image"},
		{"visualization", []string{"--visualization=2"}, 2, "--visualization"},
		{"unwritable profile", []string{"--cpuprofile=" + filepath.Join(in, "no", "p.pprof")}, 1, "--cpuprofile"},
		{"unwritable labels", []string{"--labels=" + filepath.Join(in, "no", "l.png")}, 1, "--labels"},
		{"unwritable memory profile", []string{"--memprofile=" + filepath.Join(in, "no", "m.pprof")}, 1, "--memprofile"},
		{"unknown init", []string{"--init=magic"}, 2, "magic"},
		{"unknown method", []string{"--method=magic"}, 2, "--method=magic"},
		{"components not a number", []string{"--components=many"}, 2, "--components=many"},
		{"backwards range", []string{"--components=auto", "--components-range=5-2"}, 2, "--components-range=5-2"},
		{"range not a range", []string{"--components=auto", "--components-range=3"}, 2, "--components-range=3"},
		{"range without auto", []string{"--components-range=2-4"}, 2, "--components=auto"},
		{"auto with a model", []string{"--components=auto", "--model=" + f["model.json"]}, 2, "--model"},
		{"histogram of a pair", []string{"--first-image=" + f["tiny.png"], "--second-image=" + f["tiny.png"], "--method=histogram"}, 2, "CIE94"},
		{"no starts", []string{"--n-init=0"}, 2, "--n-init=0"},
		{"negative tol", []string{"--tol=-1"}, 2, "--tol"},
		{"NaN min variance", []string{"--min-variance=NaN"}, 2, "--min-variance"},
		{"zero max-iter", []string{"--max-iter=0"}, 2, "--iterations=0"},
		{"missing model", []string{"--model=" + filepath.Join(in, "nope.json")}, 1, "no such file"},
		{"model not JSON", []string{"--model=" + f["text.png"]}, 1, "--model"},
		{"invalid model", []string{"--model=" + f["bad-model.json"]}, 1, "stdev 1 is -2"},
		{"model of other K", []string{"--model=" + f["model.json"], "--components=3"}, 1, "has 2 components"},
		{"model and a fit flag", []string{"--model=" + f["model.json"], "--tol=1e-3"}, 2, "--tol"},
		{"model and figures", []string{"--model=" + f["model.json"], "--visualization=1"}, 2, "--visualization"},
		{"unwritable saved model", []string{"--save-model=" + filepath.Join(in, "no", "m.json")}, 1, "--save-model"},
		{"saved model removed", []string{"--save-model=m.json", "--labels=l.png", "--out=" + filepath.Join(in, "no", "x.png")}, 1, "writing the segmentation"},
	}
}

// colourBadInputs are TestBadInput's cases about colour spaces and saved models.
func colourBadInputs(f map[string]string) []badInput {
	return []badInput{
		{"covariance of one channel", []string{"--covariance=diag"}, 2, "--covariance goes with a colour space"},
		{"init-model and init", []string{"--init-model=" + f["model.json"], "--init=kmeans++"}, 2, "--init-model gives one"},
		{"init-model and model", []string{"--init-model=" + f["model.json"], "--model=" + f["model.json"]}, 2, "--init-model is about fitting"},
		{"init-model of other K", []string{"--init-model=" + f["model.json"], "--components=3"}, 1, "has 2 components"},
		{"init-model of one channel for colours", []string{"--init-model=" + f["model.json"], "--channel=lab"}, 1, "--init-model"},
		{"unknown covariance", []string{"--channel=rgb", "--covariance=round"}, 2, "round"},
		{"colour pair", []string{"--first-image=" + f["tiny.png"], "--second-image=" + f["tiny.png"], "--channel=lab", "--components=2"}, 2, "CIE94"},
		{"model of one channel for colours", []string{"--model=" + f["model.json"], "--channel=rgb"}, 1, "mixture of 1 features; --channel=rgb has 3"},
		{"bits out of range", []string{"--bits=17"}, 2, "--bits=17"},
	}
}

func TestBadInput(t *testing.T) {
	in := t.TempDir()
	f := badFiles(t, in)
	for _, c := range append(badInputs(in, f), colourBadInputs(f)...) {
		t.Run(c.name, func(t *testing.T) { checkBadInput(t, c, in, f) })
	}
}

// checkBadInput runs c in a fresh working folder and checks that it fails as it must: one
// line on stderr saying what is wrong, no stack trace, nothing on stdout, and no file
// left behind but the planted ones f in the folder in.
func checkBadInput(t *testing.T, c badInput, in string, f map[string]string) {
	work := t.TempDir()
	t.Chdir(work)
	r := runCmd(t, append(c.args, "--json")...)
	if r.Code != c.code {
		t.Fatalf("exit %d, want %d (stderr %q)", r.Code, c.code, r.Stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "gmmseg: ") || !strings.HasSuffix(r.Stderr, "\n") {
		t.Fatalf("stderr is not one line: %q", r.Stderr)
	}
	if !strings.Contains(strings.ToLower(r.Stderr), strings.ToLower(c.says)) {
		t.Errorf("stderr %q does not mention %q", r.Stderr, c.says)
	}
	if strings.Contains(r.Stderr, "goroutine") || strings.Contains(r.Stderr, "panic") {
		t.Errorf("stack trace: %q", r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("stdout after an error: %q", r.Stdout)
	}
	for _, dir := range []string{work, in, filepath.Join(in, "no")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if _, planted := f[e.Name()]; !planted {
				t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
			}
		}
	}
}

func TestVisualizationWritesFigures(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "seg.png")
	r := runCmd(t, "--json", "--iterations=3", "--visualization=1", "--out="+out)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var doc struct {
		Figures []string `json:"figures"`
		Elapsed struct {
			Figures float64 `json:"figures"`
		} `json:"elapsed_seconds"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatal(err)
	}
	names := (&plan{config: &config{visualization: 1}}).figureNames(out)
	strip, sheetPNG, sheetSVG, curves := names[0], names[1], names[2], names[3]
	if want := []string{strip, sheetPNG, sheetSVG, curves}; !slices.Equal(doc.Figures, want) {
		t.Fatalf("figures %v, want %v", doc.Figures, want)
	}
	if doc.Elapsed.Figures <= 0 {
		t.Errorf("elapsed figures %v", doc.Elapsed.Figures)
	}
	// Three iterations: three panels in the strip and the curves, five in the sheet.
	for _, f := range []struct {
		path   string
		panels int
	}{{strip, 3}, {sheetPNG, 5}, {curves, 3}} {
		img, err := segment.Open(f.path, 0)
		if err != nil {
			t.Fatalf("%s: %v", f.path, err)
		}
		if b := img.Bounds(); b.Dx() < 400*f.panels/2 || b.Dy() < 300 {
			t.Errorf("%s is only %v", f.path, b)
		}
		if blank := figuretest.BlankPanels(img, f.panels, f.panels); len(blank) > 0 {
			t.Errorf("%s: blank panels %v", f.path, blank)
		}
	}
	svg, err := os.ReadFile(sheetSVG)
	if err != nil || !bytes.Contains(svg, []byte("<svg ")) || !bytes.Contains(svg, []byte("<image ")) {
		t.Errorf("%s is not an SVG with images (%v)", sheetSVG, err)
	}
	// The text report names every file written.
	text := runCmd(t, "--iterations=2", "--visualization=1", "--out="+out)
	for _, p := range []string{out, strip, sheetPNG, sheetSVG, curves} {
		if !strings.Contains(text.Stdout, "wrote "+p+"\n") {
			t.Errorf("the report does not say it wrote %s", p)
		}
	}
}

func TestNoVisualizationWritesNoFigures(t *testing.T) {
	dir := t.TempDir()
	if r := runCmd(t, "--iterations=2", "--out="+filepath.Join(dir, "seg.png")); r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "seg.png" {
		t.Errorf("wrote %v, want only seg.png", entries)
	}
}

func TestFailedFigureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "seg.png")
	labels := filepath.Join(dir, "labels.png")
	sheetSVG := (&plan{config: &config{visualization: 1}}).figureNames(out)[2]
	// A directory where the SVG goes: the figures before it are written, then it fails.
	if err := os.Mkdir(sheetSVG, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "--iterations=2", "--visualization=1", "--labels="+labels, "--out="+out)
	if r.Code != 1 || !strings.Contains(r.Stderr, "--visualization") || strings.Count(r.Stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != filepath.Base(sheetSVG) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left behind: %v", names)
	}
}

// An interrupt (the context a signal cancels) ends a run within a tile or a sample block
// of any step: exit 130, one line saying what was left, and no output, for one image and
// for a batch.
func TestInterruptExits130LeavingNothing(t *testing.T) {
	in := t.TempDir()
	for _, name := range []string{"a.png", "b.png"} {
		if err := os.WriteFile(filepath.Join(in, name), exampleImage, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The pure-Go kernel over every pixel, for many iterations: seconds of work.
	slow := []string{"--kernel=generic", "--method=pixels", "--components=16", "--iterations=200", "--threads=1"}
	for name, args := range map[string][]string{
		"one image":          append([]string{"--first-image=" + filepath.Join(in, "a.png"), "--save-model=m.json", "--labels=l.png"}, slow...),
		"kmeans++ seeding":   append([]string{"--init=kmeans++", "--first-image=" + filepath.Join(in, "a.png")}, slow...),
		"batch":              append([]string{"--out-dir=out", in}, slow...),
		"batch with figures": append([]string{"--out-dir=out", "--visualization=1", in}, slow...),
	} {
		t.Run(name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			ctx, cancel := context.WithCancel(t.Context())
			var cancelled time.Time
			time.AfterFunc(300*time.Millisecond, func() { cancelled = time.Now(); cancel() })
			r := cmdtest.Run(func(stdout, stderr io.Writer) int { return run(ctx, args, stdout, stderr) })
			late := time.Since(cancelled)
			want := "gmmseg: interrupted: nothing was written\n"
			if strings.HasPrefix(name, "batch") {
				want = "gmmseg: interrupted: 0 of 2 images finished, each line above with every output; the others wrote nothing\n"
			}
			if r.Code != exitCancelled || r.Stderr != want {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.Code, r.Stderr, exitCancelled, want)
			}
			if late > 500*time.Millisecond && !race.Enabled {
				t.Errorf("ended %v after the interrupt", late)
			}
			filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
				if !d.IsDir() {
					t.Errorf("left behind: %s", path)
				}
				return nil
			})
			t.Logf("ended %v after the interrupt", late)
		})
	}
}
