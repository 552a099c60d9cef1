// Command gmmbench measures the fused E-step of gmmsimd on this CPU: every kernel
// implementation the binary holds and the CPU runs, in float64 and float32, over a range of
// worker counts and data sizes, and prints the CPU it ran on and one table of medians.
//
// With --image it repeats, on a real image, the experiment of the article that introduced the
// reference program: the whole segmentation (decode, 8 EM iterations with 3 components,
// labelling and clean-up) with the pure-Go kernels, then with each faster kernel on 1, 2, ...
// threads, with the wall time of each configuration; first with EM over every pixel, then
// over the histogram of the pixel levels (gmmseg's default).
//
// Usage:
//
//	gmmbench [--sizes 1M,16M] [--threads 1,2] [--reps 5] [--components 3] [--pin] [--json] [--plot DIR]
//	gmmbench --image photo.jpg [--reps 3] [--json]
//	gmmbench --cpu.disable=AVX2 ...   (pretend the CPU lacks a feature)
//
// Sizes take K (1024) and M (1024*1024) suffixes. Every figure is the median of --reps
// repetitions.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/interrupt"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/klauspost/cpuid/v2"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	// cpuid's --cpu.disable and --cpu.features go on the default flag set; run parses it
	// and only then lets cpuid look at the CPU, so the kernels see the masked features.
	cpuid.Flags()
	interrupt.Exit(func(ctx context.Context) int { return run(ctx, flag.CommandLine, os.Args[1:], os.Stdout, os.Stderr) })
}

// config is the parsed command line.
type config struct {
	sizes      []int
	dims       []int
	threads    []int
	reps       int
	components int
	image      string
	channel    segment.Channel
	pin        bool
	json       bool
	minTime    time.Duration
	plot       string
}

// maxValues bounds the samples of a measurement, n samples of d features being n d values,
// held in float64 and in float32 (12 bytes each): 3 GiB.
const maxValues = 1 << 28

// lists are the flags that take comma-separated lists, kept as text until parsed.
type lists struct{ sizes, threads, dims string }

// define defines the flags on fs, into c and l.
func define(fs *flag.FlagSet, c *config, l *lists) {
	sizes, threads, dims := &l.sizes, &l.threads, &l.dims
	fs.StringVar(sizes, "sizes", "1M,16M", "comma-separated numbers of pixels (K and M suffixes)")
	fs.StringVar(threads, "threads", "", "comma-separated worker counts (default: 1 to the logical CPUs usable)")
	fs.IntVar(&c.reps, "reps", 5, "repetitions of every measurement; the median is reported")
	fs.IntVar(&c.components, "components", 3, "mixture components K")
	fs.StringVar(dims, "dims", "1,3", "comma-separated features per sample: 1 (the SIMD kernels), or more (the multichannel pass, full covariances: the sweeps of 2 to 4 features, the blocked kernels from 5), each with the floor of its fused multiply-adds at the FMA peak")
	fs.StringVar(&c.image, "image", "", "segment this image `file` with every kernel and thread count instead")
	fs.Func("channel", "with --image, what is segmented, as gmmseg's --channel: luma (default), red, green, blue, or the colour spaces rgb, lab, ycbcr (full covariances)", func(s string) (err error) {
		c.channel, err = segment.ParseChannel(s)
		return err
	})
	fs.BoolVar(&c.pin, "pin", false, "lock each worker thread to its own CPU (Linux)")
	fs.BoolVar(&c.json, "json", false, "print one JSON document instead of tables")
	fs.DurationVar(&c.minTime, "min-time", 100*time.Millisecond, "least time of one repetition (passes are repeated up to it)")
	fs.StringVar(&c.plot, "plot", "", "also draw the E-step table into `dir`: throughput.png (against threads) and speedup.png (against size)")
}

func run(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	var c config
	var l lists
	fs.SetOutput(stderr)
	define(fs, &c, &l)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	sizes, threads, dims := l.sizes, l.threads, l.dims
	cpuid.Detect()
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "gmmbench: "+format+"\n", a...)
		return exitUsage
	}
	var err error
	if c.sizes, err = parseList(sizes, parseSize); err != nil {
		return usage("--sizes: %v", err)
	}
	if c.dims, err = parseList(dims, strconv.Atoi); err != nil || slices.ContainsFunc(c.dims, func(d int) bool { return d < 1 || d > kernel.MaxDims }) {
		return usage("--dims=%s: want numbers from 1 to %d", dims, kernel.MaxDims)
	}
	if threads == "" {
		for t := 1; t <= runtime.GOMAXPROCS(0); t++ {
			c.threads = append(c.threads, t)
		}
	} else if c.threads, err = parseList(threads, strconv.Atoi); err != nil {
		return usage("--threads: %v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case slices.ContainsFunc(c.sizes, func(n int) bool { return n < 1 }):
		return usage("--sizes: want positive sizes")
	case slices.Max(c.sizes) > maxValues/slices.Max(c.dims):
		n, d := slices.Max(c.sizes), slices.Max(c.dims)
		return usage("--sizes: %s samples of %d features are more than %dM values, %d GiB in float64 and float32, what a measurement may hold", formatSize(n), d, maxValues>>20, maxValues*12>>30)
	case slices.ContainsFunc(c.threads, func(n int) bool { return n < 1 }):
		return usage("--threads: want counts of at least 1")
	case c.reps < 1:
		return usage("--reps=%d: want at least 1", c.reps)
	case c.components < 1 || c.components > kernel.MaxComponents:
		return usage("--components=%d: want 1 to %d", c.components, kernel.MaxComponents)
	case c.minTime < 0:
		return usage("--min-time=%v: want a non-negative duration", c.minTime)
	case c.plot != "" && c.image != "":
		return usage("--plot draws the E-step table; it does not go with --image")
	}
	if err := bench(ctx, &c, stdout); ctx.Err() != nil {
		what, status := interrupt.Cause(ctx)
		fmt.Fprintf(stderr, "gmmbench: %s\n", what)
		return status
	} else if err != nil {
		fmt.Fprintf(stderr, "gmmbench: %v\n", strings.Join(strings.Fields(err.Error()), " "))
		return exitError
	}
	return exitOK
}

// parseList parses a comma-separated list with parse.
func parseList(s string, parse func(string) (int, error)) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// parseSize reads a count with an optional K (1024) or M (1024*1024) suffix.
func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > math.MaxInt/mult {
		return 0, fmt.Errorf("bad size %q (want e.g. 4096, 64K or 16M)", s)
	}
	return n * mult, nil
}

// formatSize is the inverse of parseSize for the sizes it prints.
func formatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return strconv.Itoa(n)
}

// machine is what the report says of the CPU and the defaults on it.
type machine struct {
	Vendor        string   `json:"vendor"`
	Brand         string   `json:"brand"`
	Family        int      `json:"family"`
	Model         int      `json:"model"`
	Features      []string `json:"features"`
	PhysicalCores int      `json:"physical_cores"`
	LogicalCores  int      `json:"logical_cores"`
	Usable        int      `json:"usable_cpus"`
	AutoThreads   int      `json:"auto_threads"`
	L1D           int      `json:"l1d_bytes"`
	L2            int      `json:"l2_bytes"`
	L3            int      `json:"l3_bytes"`
	TileSize      int      `json:"tile_size"`
	Kernels       []string `json:"kernels"`
	Chosen        string   `json:"chosen"`
	GoVersion     string   `json:"go_version"`
}

func describe() machine {
	i := kernel.CPU()
	return machine{
		Vendor: i.Vendor, Brand: i.Brand, Family: i.Family, Model: i.Model, Features: i.Features,
		PhysicalCores: i.PhysicalCores, LogicalCores: i.LogicalCores, Usable: runtime.GOMAXPROCS(0),
		AutoThreads: kernel.AutoThreads(), L1D: i.L1D, L2: i.L2, L3: i.L3,
		TileSize: kernel.DefaultTileSize(), Kernels: i.Available, Chosen: i.Chosen,
		GoVersion: runtime.Version(),
	}
}

// report is the JSON document of a run.
type report struct {
	Machine machine    `json:"machine"`
	Pinned  bool       `json:"pinned"`
	EStep   []estepRow `json:"estep,omitempty"`
	Image   *imageRun  `json:"image,omitempty"`
	Plots   []string   `json:"plots,omitempty"`
}

func bench(ctx context.Context, c *config, stdout io.Writer) error {
	rep := report{Machine: describe(), Pinned: c.pin}
	if !c.json {
		printMachine(stdout, &rep.Machine)
	}
	var err error
	if c.image != "" {
		rep.Image, err = benchImage(ctx, c)
		if err == nil && !c.json {
			printImage(stdout, rep.Image)
		}
	} else {
		rep.EStep, err = benchEStep(ctx, c)
		if err == nil && !c.json {
			printEStep(stdout, c, rep.EStep)
		}
		if err == nil && c.plot != "" {
			rep.Plots, err = writePlots(c.plot, rep.EStep)
		}
		if err == nil && !c.json {
			for _, p := range rep.Plots {
				fmt.Fprintf(stdout, "wrote %s\n", p)
			}
		}
	}
	if err != nil {
		return err
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return nil
}

func printMachine(w io.Writer, m *machine) {
	fmt.Fprintf(w, "cpu       %s (%s, family %d, model %d)\n", m.Brand, m.Vendor, m.Family, m.Model)
	fmt.Fprintf(w, "features  %s\n", strings.Join(m.Features, " "))
	fmt.Fprintf(w, "cores     %d physical, %d logical as cpuid reports them; %d usable by this process; %d workers by default\n",
		m.PhysicalCores, m.LogicalCores, m.Usable, m.AutoThreads)
	fmt.Fprintf(w, "caches    L1d %s, L2 %s, L3 %s; tiles of %d samples\n", cacheSize(m.L1D), cacheSize(m.L2), cacheSize(m.L3), m.TileSize)
	fmt.Fprintf(w, "kernels   %s; chosen: %s\n", strings.Join(m.Kernels, ", "), m.Chosen)
	fmt.Fprintf(w, "go        %s\n\n", m.GoVersion)
}

func cacheSize(n int) string {
	if n <= 0 {
		return "unknown"
	}
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// estepRow is one measured configuration of the E-step.
type estepRow struct {
	Dims      int     `json:"dims"`
	Kernel    string  `json:"kernel"`
	Precision string  `json:"precision"`
	Threads   int     `json:"threads"`
	N         int     `json:"n"`
	NsPerPx   float64 `json:"ns_per_pixel_per_iteration"` // median over the repetitions
	PxPerSec  float64 `json:"pixels_per_second"`
	// Speedup is over the generic kernel on one thread, same precision and size (0 when
	// that was not measured); Efficiency is the speedup over the same kernel on one
	// thread divided by Threads (0 likewise).
	Speedup    float64 `json:"speedup_over_generic_1_thread,omitempty"`
	Efficiency float64 `json:"parallel_efficiency,omitempty"`
	// Floor (multichannel rows) is the time the shape's fused multiply-adds take at the
	// kernel's FMA peak on Threads cores (kernel.FMAPeak): K (d^2 + 3d + 1) a sample, the
	// blocked kernels' triangular product, squares and Gram matrix of the centred samples
	// and a plane of ones.
	Floor float64 `json:"floor_ns_per_pixel,omitempty"`
}

// benchEStep measures every kernel x precision x threads x size, and the multichannel
// pass for every --dims above 1.
func benchEStep(ctx context.Context, c *config) ([]estepRow, error) {
	truth := gen.Spread(c.components)
	var rows []estepRow
	for _, d := range c.dims {
		if d == 1 {
			continue
		}
		r, err := benchMulti(ctx, c, d)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	if !slices.Contains(c.dims, 1) {
		ratios(rows)
		return rows, nil
	}
	for _, n := range c.sizes {
		x, err := gen.Mixture(uint64(n), n, truth.Weights, truth.Means, truth.Stdevs)
		if err != nil {
			return nil, err
		}
		x32 := gen.Float32s(x)
		coef := kernel.NewCoeffs(truth.Weights, truth.Means, truth.Variances())
		s := kernel.NewStats(c.components)
		r, err := measure(ctx, c, n, 1, func(d *kernel.Driver, prec string) func() {
			if prec == "f32" {
				return func() { kernel.EStep(d, x32, nil, coef, s) }
			}
			return func() { kernel.EStep(d, x, nil, coef, s) }
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	ratios(rows)
	return rows, nil
}

// measure returns a row of the pass over n samples of dims features that pass makes for
// a driver and a precision ("f64" or "f32"), for every kernel, precision and thread
// count.
func measure(ctx context.Context, c *config, n, dims int, pass func(d *kernel.Driver, prec string) func()) ([]estepRow, error) {
	var rows []estepRow
	for _, name := range kernel.Available() {
		kern, err := kernel.Lookup(name)
		if err != nil {
			return nil, err
		}
		for _, prec := range []string{"f64", "f32"} {
			for _, t := range c.threads {
				d, err := kernel.NewDriver(kern, kernel.Config{Threads: t, Pin: c.pin})
				if err != nil {
					return nil, err
				}
				ns, err := median(ctx, c, n, pass(d, prec))
				d.Close()
				if err != nil {
					return nil, err
				}
				rows = append(rows, estepRow{Dims: dims, Kernel: name, Precision: prec, Threads: t, N: n, NsPerPx: ns, PxPerSec: 1e9 / ns})
			}
		}
	}
	return rows, nil
}

// median runs pass (over n pixels) c.reps times, each time as often as it takes to fill
// c.minTime, after one pass to warm up, and returns the median in ns per pixel per pass.
func median(ctx context.Context, c *config, n int, pass func()) (float64, error) {
	start := time.Now()
	pass()
	passes := max(1, int(c.minTime/max(time.Since(start), 1)))
	var per []float64
	for range c.reps {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		start := time.Now()
		for range passes {
			pass()
		}
		per = append(per, float64(time.Since(start).Nanoseconds())/float64(passes)/float64(n))
	}
	return medianOf(per), nil
}

// medianOf returns the median of v (the mean of the middle two for an even count).
func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratios fills Speedup and Efficiency from the rows measured.
func ratios(rows []estepRow) {
	find := func(d int, kern, prec string, threads, n int) float64 {
		for _, r := range rows {
			if r.Dims == d && r.Kernel == kern && r.Precision == prec && r.Threads == threads && r.N == n {
				return r.NsPerPx
			}
		}
		return 0
	}
	for i := range rows {
		r := &rows[i]
		if g := find(r.Dims, "generic", r.Precision, 1, r.N); g > 0 {
			r.Speedup = g / r.NsPerPx
		}
		if one := find(r.Dims, r.Kernel, r.Precision, 1, r.N); one > 0 {
			r.Efficiency = one / r.NsPerPx / float64(r.Threads)
		}
	}
}

func printEStep(w io.Writer, c *config, rows []estepRow) {
	pinned := ""
	if c.pin {
		pinned = ", workers pinned to CPUs"
	}
	fmt.Fprintf(w, "fused E-step, K=%d: median of %d repetitions of at least %v%s\n", c.components, c.reps, c.minTime, pinned)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dims\tkernel\tprecision\tthreads\tpixels\tns/px/iter\tMpx/s\tvs generic\tefficiency\tFMA floor\tof floor\t")
	for _, r := range rows {
		of := 0.0
		if r.Floor > 0 {
			of = r.Floor / r.NsPerPx
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%.3f\t%.1f\t%s\t%s\t%s\t%s\t\n", r.Dims, r.Kernel, r.Precision, r.Threads, formatSize(r.N),
			r.NsPerPx, r.PxPerSec/1e6, ratio(r.Speedup, "%.1fx"), ratio(100*r.Efficiency, "%.0f%%"), ratio(r.Floor, "%.3f"), ratio(100*of, "%.0f%%"))
	}
	tw.Flush()
}

// ratio formats v, or "-" when it was not measured.
func ratio(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// imageRun is the --image experiment.
type imageRun struct {
	Path    string     `json:"path"`
	Channel string     `json:"channel"`
	Width   int        `json:"width"`
	Height  int        `json:"height"`
	Configs []imageRow `json:"configurations"`
}

// imageRow is the median time of one configuration's whole segmentation, and its phases.
type imageRow struct {
	Method  string  `json:"method"` // pixels or histogram
	Kernel  string  `json:"kernel"`
	Threads int     `json:"threads"`
	Decode  float64 `json:"decode_seconds"`
	Fit     float64 `json:"fit_seconds"`
	Segment float64 `json:"segment_seconds"`
	Total   float64 `json:"total_seconds"`
	// Speedup is the first configuration's total (generic kernels over every pixel,
	// one thread) over this one's.
	Speedup float64 `json:"speedup_over_generic"`
}

// The reference article's experiment: 3 components, 8 iterations.
const (
	imageComponents = 3
	imageIterations = 8
)

func benchImage(ctx context.Context, c *config) (*imageRun, error) {
	run := &imageRun{Path: c.image, Channel: c.channel.String()}
	kernels := kernel.Available()
	if c.channel.Dims() > 1 {
		kernels = []string{"generic"} // the multichannel passes have no other kernel yet
	}
	configs := []imageRow{{Method: "pixels", Kernel: "generic", Threads: 1}}
	for _, name := range kernels {
		for _, t := range c.threads {
			// generic on one thread is the first; on more, only where no other runs
			if name != "generic" || (c.channel.Dims() > 1 && t != 1) {
				configs = append(configs, imageRow{Method: "pixels", Kernel: name, Threads: t})
			}
		}
	}
	for _, name := range kernels {
		for _, t := range c.threads {
			configs = append(configs, imageRow{Method: "histogram", Kernel: name, Threads: t})
		}
	}
	for _, cfg := range configs {
		var reps []imageRow
		for range c.reps {
			r, err := segmentOnce(ctx, c, cfg, run)
			if err != nil {
				return nil, err
			}
			reps = append(reps, r)
		}
		// The phases are medians of their own, so they need not add up to the total.
		pick := func(f func(imageRow) float64) float64 {
			v := make([]float64, len(reps))
			for i, r := range reps {
				v[i] = f(r)
			}
			return medianOf(v)
		}
		cfg.Decode = pick(func(r imageRow) float64 { return r.Decode })
		cfg.Fit = pick(func(r imageRow) float64 { return r.Fit })
		cfg.Segment = pick(func(r imageRow) float64 { return r.Segment })
		cfg.Total = pick(func(r imageRow) float64 { return r.Total })
		run.Configs = append(run.Configs, cfg)
	}
	for i := range run.Configs {
		run.Configs[i].Speedup = run.Configs[0].Total / run.Configs[i].Total
	}
	return run, nil
}

// segmentOnce decodes the image, fits 3 components in 8 iterations (over the pixels or
// their levels' or colours' histogram) and labels and cleans the result, as gmmseg does
// (writing no file), and times each phase.
func segmentOnce(ctx context.Context, c *config, cfg imageRow, run *imageRun) (imageRow, error) {
	start := time.Now()
	img, err := segment.Open(c.image, 0)
	if err != nil {
		return cfg, err
	}
	opt := gmm.Options{Components: imageComponents, MaxIter: imageIterations, Exec: gmm.Exec{Kernel: cfg.Kernel, Threads: cfg.Threads, Pin: c.pin}}
	if c.channel.Dims() > 1 {
		return segmentColourOnce(ctx, img, c.channel, cfg, opt, run, start)
	}
	p, err := segment.NewPlane(img, c.channel)
	if err != nil {
		return cfg, err
	}
	img = nil
	run.Width, run.Height = p.Width, p.Height
	var x []float64 // nil on the histogram path: the plane's levels are the data
	if cfg.Method == "pixels" {
		x = segment.Samples[float64](p)
	}
	decoded := time.Now()
	fitX := x
	if x == nil {
		if fitX, opt.Weights, err = segment.Histogram[float64](ctx, p, opt.Exec); err != nil {
			return cfg, err
		}
	}
	res, err := gmm.Fit(ctx, fitX, opt)
	if err != nil {
		return cfg, err
	}
	fitted := time.Now()
	if err := segment.Segment(ctx, &res.Model, x, p, opt.Exec); err != nil {
		return cfg, err
	}
	return timed(cfg, start, decoded, fitted), nil
}

// timed sets cfg's phases from their ends, the segmentation's being now.
func timed(cfg imageRow, start, decoded, fitted time.Time) imageRow {
	end := time.Now()
	cfg.Decode = decoded.Sub(start).Seconds()
	cfg.Fit = fitted.Sub(decoded).Seconds()
	cfg.Segment = end.Sub(fitted).Seconds()
	cfg.Total = end.Sub(start).Seconds()
	return cfg
}

// segmentColourOnce is segmentOnce in the colour space ch: full covariances over every
// pixel, or over the distinct colours of an 8-bit image (the histogram).
func segmentColourOnce(ctx context.Context, img image.Image, ch segment.Channel, cfg imageRow, opt gmm.Options, run *imageRun, start time.Time) (imageRow, error) {
	b := img.Bounds()
	run.Width, run.Height = b.Dx(), b.Dy()
	opt.Dims = 3
	p := &segment.Plane{Width: b.Dx(), Height: b.Dy()}
	if cfg.Method == "pixels" {
		px, err := segment.ColourPixels[float64](img, ch, 0)
		if err != nil {
			return cfg, err
		}
		decoded := time.Now()
		res, err := gmm.FitSource(ctx, px, opt)
		if err != nil {
			return cfg, err
		}
		fitted := time.Now()
		if err := segment.ColourClasses(ctx, &res.Model, px, p, ch, opt.Exec); err != nil {
			return cfg, err
		}
		return timed(cfg, start, decoded, fitted), nil
	}
	h, err := segment.NewColourHistogram[float64](ctx, img, ch)
	if err != nil {
		return cfg, err
	}
	decoded := time.Now()
	opt.Weights = h.Counts
	res, err := gmm.Fit(ctx, h.X, opt)
	if err != nil {
		return cfg, err
	}
	fitted := time.Now()
	if err := h.Classes(ctx, &res.Model, p, opt.Exec); err != nil {
		return cfg, err
	}
	return timed(cfg, start, decoded, fitted), nil
}

func printImage(w io.Writer, r *imageRun) {
	fmt.Fprintf(w, "%s (%dx%d, %.1f megapixels, %s): decode, %d EM iterations with %d components, labelling and clean-up; medians in seconds\n",
		r.Path, r.Width, r.Height, float64(r.Width*r.Height)/1e6, r.Channel, imageIterations, imageComponents)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tkernel\tthreads\tdecode\tfit\tsegment\ttotal\tvs generic\t")
	for _, c := range r.Configs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.4f\t%.3f\t%.3f\t%.1fx\t\n", c.Method, c.Kernel, c.Threads, c.Decode, c.Fit, c.Segment, c.Total, c.Speedup)
	}
	tw.Flush()
}

// benchMulti measures the multichannel pass over samples of d features, full covariances,
// on every kernel, in both precisions and every thread count and size.
func benchMulti(ctx context.Context, c *config, d int) ([]estepRow, error) {
	k := c.components
	coef := kernel.NewMultiCoeffs(k, d, false)
	for j := range k {
		const sd = 0.1
		coef.Const[j] = math.Log(1/float64(k)) - float64(d)*math.Log(sd) - float64(d)/2*math.Log(2*math.Pi)
		for a := range d {
			coef.Mean[j*d+a] = (float64(j) + 0.5) / float64(k)
			coef.Prec[j*d*d+a*d+a] = 1 / sd
		}
	}
	fmas := float64(k * (d*d + 3*d + 1))
	peaks := map[string]float64{}
	for _, name := range kernel.Available() {
		kern, err := kernel.Lookup(name)
		if err != nil {
			return nil, err
		}
		peaks[name+"f64"], peaks[name+"f32"] = kernel.FMAPeak[float64](kern), kernel.FMAPeak[float32](kern)
	}
	var rows []estepRow
	defer func() {
		for i := range rows {
			r := &rows[i]
			if p := peaks[r.Kernel+r.Precision]; p > 0 {
				r.Floor = fmas / (p * float64(r.Threads))
			}
		}
	}()
	for _, n := range c.sizes {
		x, err := gen.Mixture(uint64(n), n*d, []float64{1}, []float64{0.5}, []float64{0.3})
		if err != nil {
			return nil, err
		}
		x32 := gen.Float32s(x)
		s := kernel.NewMultiStats(k, d)
		r, err := measure(ctx, c, n, d, func(dr *kernel.Driver, prec string) func() {
			if prec == "f32" {
				return func() { kernel.DriveMultiEStep(dr, kernel.Rows[float32]{X: x32, D: d}, n, nil, coef, s) }
			}
			return func() { kernel.DriveMultiEStep(dr, kernel.Rows[float64]{X: x, D: d}, n, nil, coef, s) }
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}
