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
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gmmsimd/gmmsimd/internal/drive"
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
		AutoThreads: drive.AutoThreads(), L1D: i.L1D, L2: i.L2, L3: i.L3,
		TileSize: drive.DefaultTileSize(), Kernels: i.Available, Chosen: i.Chosen,
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
