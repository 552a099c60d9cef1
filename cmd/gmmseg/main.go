// Command gmmseg segments an image into intensity classes with a Gaussian mixture fitted by
// Expectation-Maximization, or, given a second image, segments the CIE94 colour difference
// of the pair (background subtraction).
//
// Run with no arguments, it segments an example image built into the binary. It prints
// the starting mixture and one block per iteration (means, stdevs, weights,
// log-likelihood), as the reference Python program did, or one JSON document with --json,
// and writes the segmentation as a PNG.
//
// Usage:
//
//	gmmseg [--first-image FILE] [--second-image FILE] [--components K] [--iterations N] [flags]
//	gmmseg [flags] FILE|FOLDER|PATTERN...    (a batch: every image, several at once)
//
// Run gmmseg -h for every flag.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/gmm/segment"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
)

// exampleImage is segmented when no --first-image is given: camera.png (512x512, 8-bit
// gray), the standard test photo of scikit-image (CC0 by the photographer, Lav Varshney).
//
//go:embed camera.png
var exampleImage []byte

const exampleName = "camera.png"

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // bad input or a failure while running
	exitUsage = 2 // flag misuse
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the parsed command line.
type config struct {
	first, second string
	components    int
	autoK         bool   // --components=auto: choose by BIC within kRange
	kRange        [2]int // --components-range
	iterations    int
	init          gmm.Init
	seed          uint64
	nInit         int
	tol           float64
	minVariance   float64
	saveModel     string
	model         string
	threshold     float64
	hasThreshold  bool
	visualization int
	threads       int
	pin           bool
	kernel        string
	precision     string
	method        string
	histogram     bool // the fit runs on the levels' histogram (--method)
	channel       segment.Channel
	out           string
	cpuprofile    string
	memprofile    string
	quiet         bool
	// inputs are the command's arguments: files, folders or glob patterns of a batch.
	inputs []string
	outDir string
	jobs   int
	memory int // MiB for a batch's images in flight
	// compact prints the JSON document on one line (a batch's).
	compact bool
	palette bool
	labels  string
	json    bool
	version bool
}

// usageError is a misuse of the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// rawFlags are the flags kept as text until parseFlags checks them.
type rawFlags struct{ threshold, channel, init, components, kRange string }

// newFlagSet declares every flag, storing into c and r.
func newFlagSet(c *config, r *rawFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("gmmseg", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.first, "first-image", "", "image `file` to segment (default: the built-in example, "+exampleName+")")
	fs.StringVar(&c.second, "second-image", "", "second image `file` of the same size: segment the CIE94 difference of the pair")
	fs.StringVar(&r.components, "components", "3", "number of mixture components (classes), or auto: the lowest BIC within --components-range")
	fs.StringVar(&r.kRange, "components-range", "1-8", "with --components=auto, the numbers of components `lo-hi` to try")
	fs.IntVar(&c.iterations, "iterations", 8, "number of EM iterations (at most, with --tol)")
	fs.IntVar(&c.iterations, "max-iter", 8, "the same as --iterations")
	fs.StringVar(&r.init, "init", "evenly-spaced", "starting mixture: evenly-spaced (the reference's), quantiles, kmeans++ or random-from-data")
	fs.Uint64Var(&c.seed, "seed", 0, "seed of the random starts (kmeans++, random-from-data)")
	fs.IntVar(&c.nInit, "n-init", 1, "fits from that many random starts, keeping the one of highest log-likelihood")
	fs.Float64Var(&c.tol, "tol", 0, "stop once the mean log-likelihood per pixel gains less than this (0: run every iteration)")
	fs.Float64Var(&c.minVariance, "min-variance", 0, "add this to every variance after each M-step (scikit-learn's reg_covar)")
	fs.StringVar(&c.saveModel, "save-model", "", "also write the fitted mixture as JSON to `file`")
	fs.StringVar(&c.model, "model", "", "segment with the mixture saved in `file` by --save-model, without fitting")
	fs.StringVar(&r.threshold, "subtraction-threshold", "", "with --second-image and 2 components: start background/foreground from the CIE94 difference thresholded at this `value` (2.3 is just noticeable)")
	fs.IntVar(&c.visualization, "visualization", 0, "1: also write figures of the fit next to the output (<out>_strip.png, _sheet.png, _sheet.svg, _curves.png); 0: none")
	fs.IntVar(&c.threads, "threads", 0, "worker threads (0: one per physical core)")
	fs.BoolVar(&c.pin, "pin", false, "lock each worker thread to its own CPU (Linux)")
	fs.StringVar(&c.kernel, "kernel", "auto", "kernel implementation: auto, generic, avx2 or avx512")
	fs.StringVar(&c.precision, "precision", "float64", "sample precision: float64 or float32")
	fs.StringVar(&c.method, "method", "auto", "histogram (EM on the counts of the pixel levels: the same fit, faster), pixels (EM on every pixel), or auto: histogram but for a pair's colour differences")
	fs.StringVar(&r.channel, "channel", "luma", "channel of a colour image: luma, red, green or blue (the reference read blue)")
	fs.StringVar(&c.out, "out", "", "segmented PNG `file` (default: <image name>_segmented.png in the working directory)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a pprof CPU profile to `file`")
	fs.BoolVar(&c.palette, "palette", false, "colour each class (colour-blind-safe colours) instead of the gray level of its mean")
	fs.StringVar(&c.labels, "labels", "", "also write the class of every pixel (component index, 8- or 16-bit PNG) to `file`")
	fs.StringVar(&c.memprofile, "memprofile", "", "write a pprof memory profile to `file` at the end")
	fs.BoolVar(&c.quiet, "q", false, "no live progress line on a terminal")
	fs.BoolVar(&c.json, "json", false, "print one JSON document instead of the text report (in a batch, one line per image)")
	fs.StringVar(&c.outDir, "out-dir", ".", "in a batch, the `folder` where each image's outputs go, named after it")
	fs.IntVar(&c.jobs, "jobs", 0, "in a batch, images segmented at once (0: one per core, within --memory)")
	fs.IntVar(&c.memory, "memory", 2048, "in a batch, the `MiB` the images in flight may take (estimated from their sizes)")
	fs.BoolVar(&c.version, "version", false, "print the version, the CPU's features and the kernels, then exit")
	return fs
}

func parseFlags(args []string) (*config, error) {
	c := &config{}
	var raw rawFlags
	fs := newFlagSet(c, &raw)
	// Flags may follow the images (gmmseg photos/ --json): parse again after each
	// argument, up to a "--", after which everything is an image.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		left := fs.Args()
		if len(left) == 0 {
			break
		}
		if consumed := len(rest) - len(left); consumed > 0 && rest[consumed-1] == "--" {
			c.inputs = append(c.inputs, left...)
			break
		}
		c.inputs = append(c.inputs, left[0])
		rest = left[1:]
	}
	if err := checkBatch(c, fs); err != nil {
		return nil, err
	}
	var err error
	if c.channel, err = segment.ParseChannel(raw.channel); err != nil {
		return nil, usageError{"--channel: " + err.Error()}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := parseComponents(c, raw); err != nil {
		return nil, err
	}
	if set["components-range"] && !c.autoK {
		return nil, usageError{"--components-range goes with --components=auto"}
	}
	if c.init, err = gmm.ParseInit(raw.init); err != nil {
		return nil, usageError{"--init: " + strings.TrimPrefix(err.Error(), gmm.ErrInvalidOptions.Error()+": ")}
	}
	if c.model != "" {
		for _, name := range fittingFlags {
			if set[name] {
				return nil, usageError{fmt.Sprintf("--%s is about fitting; --model segments with a saved mixture instead", name)}
			}
		}
		if c.visualization != 0 {
			return nil, usageError{"--visualization draws a fit; --model segments with a saved mixture instead"}
		}
		if c.autoK {
			return nil, usageError{"--components=auto chooses by fitting; --model segments with a saved mixture instead"}
		}
		if !set["components"] {
			c.components = 0 // the model's
		}
	}
	switch {
	case c.components < 1 && c.model == "" && !c.autoK:
		return nil, usageError{fmt.Sprintf("--components=%d: want at least 1", c.components)}
	case c.components > gmm.MaxComponents:
		return nil, usageError{fmt.Sprintf("--components=%d: at most %d are supported", c.components, gmm.MaxComponents)}
	case c.iterations < 1:
		return nil, usageError{fmt.Sprintf("--iterations=%d: want at least 1", c.iterations)}
	case c.nInit < 1:
		return nil, usageError{fmt.Sprintf("--n-init=%d: want at least 1", c.nInit)}
	case !(c.tol >= 0) || math.IsInf(c.tol, 0):
		return nil, usageError{fmt.Sprintf("--tol=%v: want 0 or a positive number", c.tol)}
	case !(c.minVariance >= 0) || math.IsInf(c.minVariance, 0):
		return nil, usageError{fmt.Sprintf("--min-variance=%v: want 0 or a positive number", c.minVariance)}
	case c.threads < 0:
		return nil, usageError{fmt.Sprintf("--threads=%d: want 0 (one per physical core) or more", c.threads)}
	case c.precision != "float64" && c.precision != "float32":
		return nil, usageError{fmt.Sprintf("--precision=%s: want float64 or float32", c.precision)}
	case c.visualization != 0 && c.visualization != 1:
		return nil, usageError{fmt.Sprintf("--visualization=%d: want 0 or 1", c.visualization)}
	case c.second != "" && c.first == "":
		return nil, usageError{"--second-image needs --first-image"}
	case c.method != "auto" && c.method != "histogram" && c.method != "pixels":
		return nil, usageError{fmt.Sprintf("--method=%s: want auto, histogram or pixels", c.method)}
	case c.method == "histogram" && c.second != "":
		return nil, usageError{"--method=histogram needs integer pixels; a pair is segmented on its CIE94 differences, with --method=pixels"}
	}
	c.histogram = c.method == "histogram" || (c.method == "auto" && c.second == "")
	if err := c.exec().Validate(); err != nil && !c.version {
		return nil, usageError{"--kernel: " + strings.TrimPrefix(err.Error(), "gmm: "+gmm.ErrInvalidOptions.Error()+": ")}
	}
	if raw.threshold != "" {
		if c.threshold, err = strconv.ParseFloat(raw.threshold, 64); err != nil || math.IsNaN(c.threshold) {
			return nil, usageError{fmt.Sprintf("--subtraction-threshold=%s: not a number", raw.threshold)}
		}
		c.hasThreshold = true
		if c.second == "" || c.components != 2 {
			return nil, usageError{"--subtraction-threshold needs --second-image and --components=2"}
		}
	}
	return c, nil
}

// parseComponents reads --components (a number or auto) and --components-range.
func parseComponents(c *config, raw rawFlags) error {
	if raw.components == "auto" {
		c.autoK = true
		lo, hi, ok := strings.Cut(raw.kRange, "-")
		var err1, err2 error
		c.kRange[0], err1 = strconv.Atoi(lo)
		c.kRange[1], err2 = strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || c.kRange[0] < 1 || c.kRange[1] < c.kRange[0] || c.kRange[1] > gmm.MaxComponents {
			return usageError{fmt.Sprintf("--components-range=%s: want lo-hi, 1 <= lo <= hi <= %d", raw.kRange, gmm.MaxComponents)}
		}
		c.components = c.kRange[1] // the most any fit asks for, for the checks on the image
		return nil
	}
	k, err := strconv.Atoi(raw.components)
	if err != nil {
		return usageError{fmt.Sprintf("--components=%s: want a number or auto", raw.components)}
	}
	c.components = k
	return nil
}

// fittingFlags are the flags that only a fit uses, which --model leaves out.
var fittingFlags = []string{"components-range", "iterations", "max-iter", "init", "seed", "n-init", "tol", "min-variance", "subtraction-threshold", "save-model"}

// usage prints the flags' help.
func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: gmmseg [flags]\n       gmmseg [flags] FILE|FOLDER|PATTERN... [flags]\n\nSegments an image with a Gaussian mixture fitted by EM.\nWith no --first-image it segments the built-in example; given images as arguments,\nit segments each of them, several at once.\n\nFlags:\n")
	fs := newFlagSet(&config{}, &rawFlags{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "gmmseg: %v (gmmseg -h lists the flags)\n", err)
		return exitUsage
	}
	if c.version {
		fmt.Fprintf(stdout, "gmmseg %s\n%s", version(), gmm.Machine())
		return exitOK
	}
	if len(c.inputs) > 0 {
		return runBatch(ctx, c, stdout, stderr)
	}
	err = withProfiles(c, func() error {
		_, err := segmentImage(ctx, c, stdout, stderr)
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "gmmseg: %v\n", oneLine(err))
		return exitError
	}
	return exitOK
}

// writeHeapProfile writes the heap profile (after a collection, so that it is up to date)
// into f and commits it.
func writeHeapProfile(f *atomicfile.File) error {
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return nil
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// input is the data to fit, whatever their precision.
type input struct {
	name string // the first image's path (or the example's name)
	// plane receives the segmentation: the plane the samples were made from (its levels
	// are reused), or in pair mode an 8-bit plane without levels yet.
	plane *segment.Plane
	// x64 or x32 holds the samples, in the precision asked for; neither, on the histogram
	// path without figures.
	x64  []float64
	x32  []float32
	diff []float64 // CIE94 differences in pair mode
}

// withProfiles runs f with the CPU profile (--cpuprofile) running, and writes the heap
// profile (--memprofile) after it: the profiles of a whole run, one image or a batch.
func withProfiles(c *config, f func() error) (err error) {
	if c.memprofile != "" {
		prof, err := atomicfile.Create(c.memprofile)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		defer prof.Abort()
		defer func() {
			if err == nil {
				err = writeHeapProfile(prof)
			}
		}()
	}
	if c.cpuprofile != "" {
		prof, err := atomicfile.Create(c.cpuprofile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer prof.Abort()
		if err := pprof.StartCPUProfile(prof); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err == nil {
				if cerr := prof.Commit(); cerr != nil {
					err = fmt.Errorf("--cpuprofile: %w", cerr)
				}
			}
		}()
	}
	return f()
}

// outcome is what segmentImage did: the fit and the files it wrote.
type outcome struct {
	res     *gmm.Result
	out     string
	figures []string
	t       timings
}

// segmentImage segments c.first (or the pair, or the built-in example) as c says, reports
// on stdout and writes the outputs; on failure it leaves none of them behind.
func segmentImage(ctx context.Context, c *config, stdout, stderr io.Writer) (*outcome, error) {
	start := time.Now()
	var saved *gmm.Model
	k := c.components // the most components a fit asks for
	if c.model != "" {
		var err error
		if saved, err = loadModel(c); err != nil {
			return nil, err
		}
		k = saved.K()
	}
	in, err := load(c, k)
	if err != nil {
		return nil, err
	}
	out := c.out
	if out == "" {
		out = strings.TrimSuffix(filepath.Base(in.name), filepath.Ext(in.name)) + "_segmented.png"
	}
	decoded := time.Now()

	rep := newReport(c, in, stdout)
	if !c.quiet && isTerminal(stderr) {
		rep.live, rep.start = stderr, start
		defer rep.endLive()
	}
	opt := gmm.Options{
		Components:  c.components,
		MaxIter:     c.iterations,
		Tol:         c.tol,
		Init:        c.init,
		Seed:        c.seed,
		NInit:       c.nInit,
		MinVariance: c.minVariance,
		Exec:        c.exec(),
		Progress:    rep.step,
	}
	run := &job{c: c, in: in, rep: rep, opt: opt, saved: saved, out: out, start: start, decoded: decoded}
	if c.precision == "float32" {
		return segmentAs(ctx, run, in.x32)
	}
	return segmentAs(ctx, run, in.x64)
}

// job is one image's run as segmentImage has set it up: the input decoded, the report
// begun, the fit's options made.
type job struct {
	c              *config
	in             *input
	rep            *report
	opt            gmm.Options
	saved          *gmm.Model // --model's mixture, if given
	out            string
	start, decoded time.Time
}

// segmentAs fits (or takes the saved mixture), segments and writes the outputs of j, whose
// samples in the precision asked for are x (nil on the histogram path without figures).
// The fit and the labelling share one pool of workers.
func segmentAs[T float32 | float64](ctx context.Context, j *job, x []T) (_ *outcome, err error) {
	c, in, opt := j.c, j.in, j.opt
	pool, err := gmm.NewPool(opt.Exec)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	opt.Exec = gmm.Exec{Pool: pool}
	if c.hasThreshold {
		m, err := segment.ThresholdModel(in.diff, x, c.threshold)
		if err != nil {
			return nil, err
		}
		opt.InitModel = &m
		j.rep.initMethod = "thresholded subtraction"
	}
	var res *gmm.Result
	if j.saved != nil {
		res = savedResult(j.saved, pool)
		j.rep.saved(j.saved)
	} else {
		res, err = fitImage(ctx, c, in, x, opt, j.rep)
	}
	if err != nil {
		return nil, err
	}
	fitted := time.Now()
	// From here on, a failure removes every file the run wrote.
	var written []string
	defer func() {
		if err != nil {
			removeAll(written)
		}
	}()
	if c.saveModel != "" {
		if err := writeModel(c.saveModel, &res.Model); err != nil {
			return nil, fmt.Errorf("--save-model: %w", err)
		}
		written = append(written, c.saveModel)
	}
	maxLevel := in.plane.Max
	// The histogram path labels the plane's own levels through a table (nil samples).
	labelled := x
	if c.histogram {
		labelled = nil
	}
	if err := label(c, &res.Model, labelled, in.plane, opt.Exec); err != nil {
		return nil, err
	}
	segmented, err := writeOutputs(c, &res.Model, in.plane, maxLevel, j.out, &written)
	if err != nil {
		return nil, err
	}
	t := timings{
		decode:  j.decoded.Sub(j.start).Seconds(),
		fit:     fitted.Sub(j.decoded).Seconds(),
		segment: time.Since(fitted).Seconds(),
	}
	var figures []string
	if c.visualization == 1 {
		drawing := time.Now()
		if figures, err = writeFigures(c, in, x, res, segmented, j.out); err != nil {
			return nil, err
		}
		t.figures = time.Since(drawing).Seconds()
	}
	t.total = time.Since(j.start).Seconds()
	return &outcome{res, j.out, figures, t}, j.rep.end(res, j.out, figures, t)
}

// fitImage fits the samples x (or, on the histogram path, the plane's levels) as c asks:
// with c.components or, for --components=auto, the number of components of lowest BIC,
// whose table rep prints.
func fitImage[T float32 | float64](ctx context.Context, c *config, in *input, x []T, opt gmm.Options, rep *report) (*gmm.Result, error) {
	if c.histogram {
		var err error
		if x, opt.Weights, err = segment.Histogram[T](in.plane, opt.Exec); err != nil {
			return nil, err
		}
	}
	if !c.autoK {
		return gmm.Fit(ctx, x, opt)
	}
	// The candidates' fits show on the live line only; the report then prints the BIC
	// table and the chosen fit, as if it had been the only one.
	opt.Progress = rep.liveStep
	sel, err := gmm.SelectComponents(ctx, x, c.kRange[0], c.kRange[1], opt)
	if err != nil {
		return nil, err
	}
	rep.selection(sel)
	return sel.Candidates[sel.Best].Result, nil
}

// loadModel reads the mixture of --model, checked against --components when that is set.
func loadModel(c *config) (*gmm.Model, error) {
	data, err := os.ReadFile(c.model)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	var m gmm.Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("--model %s: %w", c.model, err)
	}
	if c.components != 0 && c.components != m.K() {
		return nil, fmt.Errorf("--model %s has %d components, --components=%d", c.model, m.K(), c.components)
	}
	return &m, nil
}

// savedResult stands for the fit that --model skips: the saved mixture, no iterations,
// and the pool where the segmentation's passes run.
func savedResult(m *gmm.Model, pool *gmm.Pool) *gmm.Result {
	return &gmm.Result{Model: *m, Initial: *m, Kernel: pool.Kernel(), Threads: pool.Threads()}
}

// exec is where the command line asks the passes to run.
func (c *config) exec() gmm.Exec {
	return gmm.Exec{Threads: c.threads, Pin: c.pin, Kernel: c.kernel}
}

// writeModel writes m as JSON to path, atomically.
func writeModel(path string, m *gmm.Model) error {
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(append(data, '\n')); err != nil {
		return err
	}
	return f.Commit()
}

// classOutputs reports whether the outputs asked for need the class of every pixel
// (--labels, --palette) rather than only the gray levels of the classes' means.
func (c *config) classOutputs() bool { return c.labels != "" || c.palette }

// label fills p from the fitted model: with the cleaned classes when the outputs need
// them, else straight with the gray levels of the segmentation.
func label[T float32 | float64](c *config, m *gmm.Model, x []T, p *segment.Plane, e gmm.Exec) error {
	if c.classOutputs() {
		return segment.Classes(m, x, p, e)
	}
	return segment.Segment(m, x, p, e)
}

// writeOutputs writes p as label left it: the class indices to --labels when asked, then
// the segmentation to out, in colour (--palette) or as the gray levels (0..maxLevel) of the
// components' means, which it returns. It adds the paths it wrote to written.
func writeOutputs(c *config, m *gmm.Model, p *segment.Plane, maxLevel int, out string, written *[]string) (image.Image, error) {
	if c.labels != "" {
		if err := segment.WritePNG(c.labels, p.Image()); err != nil {
			return nil, fmt.Errorf("--labels: %w", err)
		}
		*written = append(*written, c.labels)
	}
	var img image.Image
	switch {
	case c.palette:
		img = segment.ColourImage(p)
	case c.classOutputs():
		segment.MeanLevels(m, p, maxLevel)
		img = p.Image()
	default:
		img = p.Image()
	}
	if err := segment.WritePNG(out, img); err != nil {
		return nil, fmt.Errorf("writing the segmentation: %w", err)
	}
	*written = append(*written, out)
	return img, nil
}

// load decodes the input image(s) and returns the samples to fit with up to k components.
func load(c *config, k int) (*input, error) {
	var first image.Image
	var err error
	in := &input{name: c.first}
	if c.first == "" {
		in.name = exampleName
		first, err = segment.Decode(bytes.NewReader(exampleImage))
	} else {
		first, err = segment.Open(c.first)
	}
	if err != nil {
		return nil, err
	}
	b := first.Bounds()
	if n := b.Dx() * b.Dy(); k > n {
		return nil, fmt.Errorf("%d components for %d pixels: want at most one per pixel", k, n)
	}
	if c.second == "" {
		p, err := segment.NewPlane(first, c.channel)
		if err != nil {
			return nil, err
		}
		first = nil // let the decoded image go before the samples are made
		in.plane = p
		if c.histogram && c.visualization == 0 {
			return in, nil // the fit and the labels need only the levels
		}
		if c.precision == "float32" {
			in.x32 = segment.Samples[float32](p)
		} else {
			in.x64 = segment.Samples[float64](p)
		}
		return in, nil
	}
	second, err := segment.Open(c.second)
	if err != nil {
		return nil, err
	}
	in.diff, err = segment.Difference(first, second)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", c.first, c.second, err)
	}
	in.plane = &segment.Plane{Width: b.Dx(), Height: b.Dy(), Max: 255}
	if c.precision == "float32" {
		in.x32, err = segment.Normalize[float32](in.diff)
	} else {
		in.x64, err = segment.Normalize[float64](in.diff)
	}
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", c.first, c.second, err)
	}
	return in, nil
}
