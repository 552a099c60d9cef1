package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/cmd/internal/cmdtest"
	"github.com/gmmsimd/gmmsimd/cmd/internal/figure/figuretest"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/klauspost/cpuid/v2"
)

// TestMain lets a test run the command itself, with cpuid's flags, as a child process:
// GMMBENCH_AS_MAIN=1 makes the test binary behave as gmmbench.
func TestMain(m *testing.M) {
	if os.Getenv("GMMBENCH_AS_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

func runCmd(t *testing.T, args ...string) cmdtest.Result {
	t.Helper()
	fs := flag.NewFlagSet("gmmbench", flag.ContinueOnError)
	return cmdtest.Run(func(stdout, stderr io.Writer) int { return run(context.Background(), fs, args, stdout, stderr) })
}

// quick keeps the measurements of a test short.
var quick = []string{"--reps", "3", "--min-time", "1ms"}

func TestEStepTableCoversEveryConfiguration(t *testing.T) {
	r := runCmd(t, append(quick, "--sizes", "5000,64K", "--threads", "1,2", "--json")...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("%v in %s", err, r.Stdout)
	}
	if rep.Machine.Chosen == "" || !slices.Equal(rep.Machine.Kernels, kernel.Available()) || rep.Machine.AutoThreads < 1 {
		t.Errorf("machine: %+v", rep.Machine)
	}
	// Every kernel in one dimension and in three (--dims defaults to 1,3).
	perDims := len(kernel.Available()) * 2 * 2 * 2 // kernels x precisions x threads x sizes
	if len(rep.EStep) != 2*perDims {
		t.Fatalf("%d rows, want %d (dims x kernels x precisions x threads x sizes)", len(rep.EStep), 2*perDims)
	}
	if n := len(slices.DeleteFunc(slices.Clone(rep.EStep), func(r estepRow) bool { return r.Dims != 3 })); n != perDims {
		t.Errorf("%d rows of 3 features, want %d", n, perDims)
	}
	for _, row := range rep.EStep {
		if !(row.NsPerPx > 0) || !(row.PxPerSec > 0) || !(row.Speedup > 0) || !(row.Efficiency > 0) {
			t.Errorf("row without figures: %+v", row)
		}
		if row.Threads == 1 && row.Efficiency != 1 {
			t.Errorf("one thread is its own reference, efficiency %v: %+v", row.Efficiency, row)
		}
		if row.Kernel == "generic" && row.Threads == 1 && row.Speedup != 1 {
			t.Errorf("generic on one thread is the speedup's reference: %+v", row)
		}
	}
}

func TestPinnedRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		r := runCmd(t, append(quick, "--sizes", "4K", "--threads", "1", "--pin")...)
		if r.Code != 1 || !strings.Contains(r.Stderr, "pin") {
			t.Errorf("--pin off Linux: exit %d, stderr %q", r.Code, r.Stderr)
		}
		return
	}
	r := runCmd(t, append(quick, "--sizes", "4K", "--threads", "1,2", "--pin", "--json")...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || !rep.Pinned || len(rep.EStep) == 0 {
		t.Errorf("pinned run: %v, pinned %v, %d rows", err, rep.Pinned, len(rep.EStep))
	}
}

func TestTextReport(t *testing.T) {
	r := runCmd(t, append(quick, "--sizes", "4K", "--threads", "1")...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{"cpu ", "features ", "caches ", "kernels ", "ns/px/iter", "generic"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.Stdout)
		}
	}
}

// imageExperiment runs --image on path (once, on 1 and 2 threads) with the flags more and
// returns its report.
func imageExperiment(t *testing.T, path string, more ...string) *imageRun {
	t.Helper()
	r := runCmd(t, append([]string{"--image", path, "--reps", "1", "--threads", "1,2", "--json"}, more...)...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Image
}

func TestImageExperiment(t *testing.T) {
	im := imageExperiment(t, "../gmmseg/camera.png")
	if im == nil || im.Width != 512 || im.Height != 512 {
		t.Fatalf("image: %+v", im)
	}
	// Every pixel: generic on one thread, each faster kernel on 1 and 2; the histogram:
	// every kernel on 1 and 2.
	kernels := len(kernel.Available())
	if want := 1 + 2*(kernels-1) + 2*kernels; len(im.Configs) != want {
		t.Fatalf("%d configurations, want %d: %+v", len(im.Configs), want, im.Configs)
	}
	if c := im.Configs[0]; c.Method != "pixels" || c.Kernel != "generic" || c.Threads != 1 || c.Speedup != 1 {
		t.Errorf("first configuration %+v, want generic on one thread over the pixels", c)
	}
	methods := map[string]int{}
	for _, c := range im.Configs {
		methods[c.Method]++
	}
	if methods["pixels"] != 1+2*(kernels-1) || methods["histogram"] != 2*kernels {
		t.Errorf("configurations by method: %v", methods)
	}
	for _, c := range im.Configs {
		if !(c.Decode > 0 && c.Fit > 0 && c.Segment > 0 && c.Total >= c.Fit) {
			t.Errorf("configuration without times: %+v", c)
		}
	}
	r := runCmd(t, "--image", "no-such-file.png")
	if r.Code != 1 || !strings.HasPrefix(r.Stderr, "gmmbench: ") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("missing image: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--sizes", "12Q"}, {"--sizes", "0"}, {"--threads", "0"}, {"--threads", "x"},
		{"--reps", "0"}, {"--components", "0"}, {"--min-time", "-1s"}, {"stray"}, {"--nope"},
		{"--image", "x.png", "--plot", "dir"},
	} {
		r := runCmd(t, args...)
		if r.Code != 2 || r.Stderr == "" || strings.Contains(r.Stderr, "goroutine") {
			t.Errorf("%v: exit %d, stderr %q", args, r.Code, r.Stderr)
		}
	}
}

func TestCPUFeaturesCanBeMasked(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX2) {
		t.Skip("this CPU has no AVX2 to mask")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "--cpu.disable=AVX2", "--sizes", "4K", "--threads", "1", "--reps", "1", "--min-time", "1ms", "--json")
	cmd.Env = append(os.Environ(), "GMMBENCH_AS_MAIN=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var rep report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if slices.Contains(rep.Machine.Features, "AVX2") || !slices.Equal(rep.Machine.Kernels, []string{"generic"}) || rep.Machine.Chosen != "generic" {
		t.Errorf("with AVX2 masked: features %v, kernels %v, chosen %s", rep.Machine.Features, rep.Machine.Kernels, rep.Machine.Chosen)
	}
}

func TestPlots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots") // made by gmmbench
	r := runCmd(t, append(quick, "--sizes", "4K,16K", "--threads", "1,2", "--json", "--plot", dir)...)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "throughput.png"), filepath.Join(dir, "speedup.png")}
	if !slices.Equal(rep.Plots, want) {
		t.Fatalf("plots %v, want %v", rep.Plots, want)
	}
	for _, p := range want {
		img, err := segment.Open(p, 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 400 {
			t.Errorf("%s is only %v", p, b)
		}
		if blank := figuretest.BlankPanels(img, 1, 1); len(blank) > 0 {
			t.Errorf("%s is blank", p)
		}
	}
	// A file where the directory should be: one error line, exit 1.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, append(quick, "--sizes", "4K", "--threads", "1", "--plot", file)...)
	if r.Code != 1 || !strings.Contains(r.Stderr, "--plot") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("unwritable --plot: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// --image with a colour space times the multichannel fit over the pixels and over the
// colour histogram, on the Go kernel, every thread count.
func TestImageExperimentInColour(t *testing.T) {
	im := imageExperiment(t, "../../segment/testdata/jpeg/s2x2.jpg", "--channel", "lab")
	if im == nil || im.Channel != "lab" || len(im.Configs) != 4 {
		t.Fatalf("image: %+v", im)
	}
	for _, c := range im.Configs {
		if c.Kernel != "generic" || !(c.Total > 0) || !(c.Fit > 0) {
			t.Errorf("configuration %+v", c)
		}
	}
	if r := runCmd(t, "--image", "x.png", "--channel", "alpha"); r.Code != 2 {
		t.Errorf("--channel=alpha: exit %d", r.Code)
	}
}

// A size whose samples cannot be held is refused before anything is allocated, on one
// line that names the limit: a million megapixels, or 16M samples of 32 features.
func TestSizesAreBounded(t *testing.T) {
	for _, args := range [][]string{{"--sizes", "1000000M"}, {"--sizes", "1M,16M", "--dims", "1,32"}} {
		start := time.Now()
		r := runCmd(t, args...)
		if r.Code != 2 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "--sizes") || !strings.Contains(r.Stderr, "GiB") || time.Since(start) > time.Second {
			t.Errorf("%v: exit %d after %v, stderr %q", args, r.Code, time.Since(start), r.Stderr)
		}
	}
}
