package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gmmsimd/gmmsimd/cmd/internal/machine"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/segment"
)

// config is the parsed command line, as the user gave it: it does not change after
// parseFlags (a batch copies it for each image). newPlan derives what a run does from it.
type config struct {
	first, second string
	// image holds the first image's bytes when they come from elsewhere than a file (an
	// upload to the page), imageName its name; with neither these nor --first-image, the
	// built-in example is read (see source).
	image     []byte
	imageName string
	// components is --components: a number, 0 for auto or, with --model, when not given.
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
	initModel     string
	bits          int
	threshold     float64
	hasThreshold  bool
	visualization int
	threads       int
	pin           bool
	kernel        string
	precision     string
	method        string
	channel       segment.Channel
	covariance    gmm.Covariance
	out           string
	cpuprofile    string
	memprofile    string
	quiet         bool
	// inputs are the command's arguments: files, folders or glob patterns of a batch.
	inputs []string
	outDir string
	jobs   int
	memory int // MiB for a batch's images in flight
	// maxPixels is the largest image decoded: a bigger header is refused before any pixel
	// is allocated.
	maxPixels int64
	// decoder is --decoder: auto, go or libjpeg; jpeg is the JPEG decoder it chose (nil:
	// Go's).
	decoder string
	jpeg    segment.JPEGDecoder
	// png is --png: the segmentation's PNG type, indexed, gray or rgb.
	png string
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
type rawFlags struct{ threshold, channel, covariance, init, components, kRange string }

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
	fs.StringVar(&r.init, "init", "evenly-spaced", "starting mixture: evenly-spaced (the reference's), quantiles, or scikit-learn's kmeans, kmeans++, random-from-data or random")
	fs.Uint64Var(&c.seed, "seed", 0, "seed of the random starts (kmeans, kmeans++, random-from-data, random)")
	fs.IntVar(&c.nInit, "n-init", 1, "fits from that many random starts, keeping the one of highest log-likelihood")
	fs.Float64Var(&c.tol, "tol", 0, "stop once the mean log-likelihood per pixel gains less than this (0: run every iteration)")
	fs.Float64Var(&c.minVariance, "min-variance", 0, "add this to every variance after each M-step (scikit-learn's reg_covar)")
	fs.StringVar(&c.saveModel, "save-model", "", "also write the fitted mixture as JSON to `file`")
	fs.StringVar(&c.model, "model", "", "segment with the mixture saved in `file` by --save-model, without fitting")
	fs.IntVar(&c.bits, "bits", 0, "the `bits` a 16-bit image's levels use, 8 to 16 (0: the fewest, from 8, that hold its maximum): level/(2^bits - 1) is fitted")
	fs.StringVar(&c.initModel, "init-model", "", "start EM from the mixture saved in `file` by --save-model and go on fitting (the next frame from the last one's fit)")
	fs.StringVar(&r.threshold, "subtraction-threshold", "", "with --second-image and 2 components: start background/foreground from the CIE94 difference thresholded at this `value` (2.3 is just noticeable)")
	fs.IntVar(&c.visualization, "visualization", 0, "1: also write figures of the fit next to the output (<out>_strip.png, _sheet.png, _sheet.svg, _curves.png); 0: none")
	fs.IntVar(&c.threads, "threads", 0, "worker threads (0: one per physical core)")
	fs.BoolVar(&c.pin, "pin", false, "lock each worker thread to its own CPU (Linux)")
	fs.StringVar(&c.kernel, "kernel", "auto", "kernel implementation: auto, generic, avx2 or avx512")
	fs.StringVar(&c.precision, "precision", "float64", "sample precision: float64 or float32")
	fs.StringVar(&c.method, "method", "auto", "histogram (EM on the counts of the pixel levels: the same fit, faster), pixels (EM on every pixel), or auto: histogram but for a pair's colour differences")
	fs.StringVar(&r.channel, "channel", "luma", "what is segmented: luma, red, green or blue (one channel; the reference read blue), or the colour spaces rgb, lab or ycbcr")
	fs.StringVar(&r.covariance, "covariance", "full", "with a colour space, the covariances: full, diag, spherical or tied")
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
	fs.Int64Var(&c.maxPixels, "max-pixels", segment.DefaultMaxPixels, "refuse an image of more `pixels` than this, from its header, before decoding it")
	fs.StringVar(&c.png, "png", "indexed", "the segmentation's PNG: indexed (a palette of the classes' colours, 1, 2, 4 or 8 bits a pixel), gray or rgb")
	fs.StringVar(&c.decoder, "decoder", "auto", "JPEG decoder: auto (libjpeg-turbo where the machine has it, else Go's), go or libjpeg")
	fs.BoolVar(&c.version, "version", false, "print the version, the CPU's features and the kernels, then exit")
	return fs
}

// parseFlags reads the command line into a config and checks it: any misuse is a
// usageError (or flag.ErrHelp for -h).
func parseFlags(args []string) (*config, error) {
	c := &config{}
	var raw rawFlags
	fs := newFlagSet(c, &raw)
	if err := parseArgs(fs, args, c); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, step := range []func() error{
		func() error { return checkBatch(c, set) },
		func() error { return parseValues(c, raw, set) },
		func() error { return checkModel(c, set) },
		func() error { return checkNumbers(c) },
		func() error { return checkChoices(c) },
		func() error { return checkPNG(c) },
		func() error { return parseThreshold(c, raw.threshold) },
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseArgs parses the flags and collects the other arguments, the images of a batch:
// flags may follow them (gmmseg photos/ --json), so parsing starts again after each,
// up to a "--", after which everything is an image.
func parseArgs(fs *flag.FlagSet, args []string, c *config) error {
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		left := fs.Args()
		if len(left) == 0 {
			return nil
		}
		if consumed := len(rest) - len(left); consumed > 0 && rest[consumed-1] == "--" {
			c.inputs = append(c.inputs, left...)
			return nil
		}
		c.inputs = append(c.inputs, left[0])
		rest = left[1:]
	}
}

// parseValues reads the flags kept as text: --channel, --components, --components-range
// and --init.
func parseValues(c *config, raw rawFlags, set map[string]bool) error {
	var err error
	if c.channel, err = segment.ParseChannel(raw.channel); err != nil {
		return usageError{"--channel: " + reason(err)}
	}
	if c.covariance, err = gmm.ParseCovariance(raw.covariance); err != nil {
		return usageError{"--covariance: " + reason(err)}
	}
	if set["covariance"] && c.channel.Dims() == 1 {
		return usageError{"--covariance goes with a colour space (--channel=rgb, lab or ycbcr)"}
	}
	if err := parseComponents(c, raw); err != nil {
		return err
	}
	if set["components-range"] && !c.autoK {
		return usageError{"--components-range goes with --components=auto"}
	}
	if c.init, err = gmm.ParseInit(raw.init); err != nil {
		return usageError{"--init: " + reason(err)}
	}
	if c.initModel != "" {
		for _, name := range []string{"init", "seed", "n-init", "subtraction-threshold"} {
			if set[name] {
				return usageError{fmt.Sprintf("--%s chooses a start; --init-model gives one", name)}
			}
		}
		if c.autoK {
			return usageError{"--components=auto fits several numbers of components; --init-model gives one start"}
		}
		if !set["components"] {
			c.components = 0 // the model's
		}
	}
	return nil
}

// checkModel rejects, with --model, the flags that only a fit uses.
func checkModel(c *config, set map[string]bool) error {
	if c.model == "" {
		return nil
	}
	for _, name := range fittingFlags {
		if set[name] {
			return usageError{fmt.Sprintf("--%s is about fitting; --model segments with a saved mixture instead", name)}
		}
	}
	switch {
	case c.visualization != 0:
		return usageError{"--visualization draws a fit; --model segments with a saved mixture instead"}
	case c.autoK:
		return usageError{"--components=auto chooses by fitting; --model segments with a saved mixture instead"}
	case !set["components"]:
		c.components = 0 // the model's
	}
	return nil
}

// checkNumbers checks the numeric flags' ranges.
func checkNumbers(c *config) error {
	switch {
	case c.components < 1 && c.model == "" && c.initModel == "" && !c.autoK:
		return usageError{fmt.Sprintf("--components=%d: want at least 1", c.components)}
	case c.components > gmm.MaxComponents:
		return usageError{fmt.Sprintf("--components=%d: at most %d are supported", c.components, gmm.MaxComponents)}
	case c.iterations < 1 || c.iterations > gmm.MaxIterations:
		return usageError{fmt.Sprintf("--iterations=%d: want 1 to %d", c.iterations, gmm.MaxIterations)}
	case c.nInit < 1:
		return usageError{fmt.Sprintf("--n-init=%d: want at least 1", c.nInit)}
	case !(c.tol >= 0) || math.IsInf(c.tol, 0):
		return usageError{fmt.Sprintf("--tol=%v: want 0 or a positive number", c.tol)}
	case !(c.minVariance >= 0) || math.IsInf(c.minVariance, 0):
		return usageError{fmt.Sprintf("--min-variance=%v: want 0 or a positive number", c.minVariance)}
	case c.threads < 0 || c.threads > gmm.MaxThreads:
		return usageError{fmt.Sprintf("--threads=%d: want 0 (one per physical core) to %d", c.threads, gmm.MaxThreads)}
	case c.visualization != 0 && c.visualization != 1:
		return usageError{fmt.Sprintf("--visualization=%d: want 0 or 1", c.visualization)}
	case c.bits != 0 && (c.bits < 8 || c.bits > 16):
		return usageError{fmt.Sprintf("--bits=%d: want 8 to 16, or 0 (automatic)", c.bits)}
	case c.maxPixels < 1:
		return usageError{fmt.Sprintf("--max-pixels=%d: want at least 1", c.maxPixels)}
	}
	return nil
}

// checkChoices checks the flags that name a choice, and the pair's.
func checkChoices(c *config) error {
	switch {
	case c.precision != "float64" && c.precision != "float32":
		return usageError{fmt.Sprintf("--precision=%s: want float64 or float32", c.precision)}
	case c.second != "" && c.first == "":
		return usageError{"--second-image needs --first-image"}
	case c.method != "auto" && c.method != "histogram" && c.method != "pixels":
		return usageError{fmt.Sprintf("--method=%s: want auto, histogram or pixels", c.method)}
	case c.method == "histogram" && c.second != "":
		return usageError{"--method=histogram needs integer pixels; a pair is segmented on its CIE94 differences, with --method=pixels"}
	case c.channel.Dims() > 1 && c.second != "":
		return usageError{"a pair is segmented on its CIE94 differences, one value a pixel: --channel=" + c.channel.String() + " does not apply"}
	case !slices.Contains(decoders, c.decoder):
		return usageError{fmt.Sprintf("--decoder=%s: want auto, go or libjpeg", c.decoder)}
	}
	var err error
	if c.jpeg, err = c.jpegDecoder(); err != nil && !c.version {
		return usageError{"--decoder: " + err.Error()}
	}
	if err := c.exec().Validate(); err != nil && !c.version {
		_, setting := machine.Kernel(c.kernel)
		return usageError{setting + ": " + reason(err)}
	}
	return err
}

// parseThreshold reads --subtraction-threshold, which needs a pair and 2 components.
func parseThreshold(c *config, raw string) error {
	if raw == "" {
		return nil
	}
	var err error
	if c.threshold, err = strconv.ParseFloat(raw, 64); err != nil || math.IsNaN(c.threshold) {
		return usageError{fmt.Sprintf("--subtraction-threshold=%s: not a number", raw)}
	}
	c.hasThreshold = true
	if c.second == "" || (c.components != 2 && !(c.autoK && c.kRange == [2]int{2, 2})) {
		return usageError{"--subtraction-threshold needs --second-image and --components=2"}
	}
	return nil
}

// reason is the message of a library's error about a flag's value, without the packages'
// prefixes and the kind of error, to follow the flag's name on a usage line.
func reason(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"gmm: ", gmm.ErrInvalidOptions.Error() + ": ", "kernel: ", "segment: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}

// exec is where the command line asks the passes to run.
func (c *config) exec() gmm.Exec {
	k, _ := machine.Kernel(c.kernel)
	return gmm.Exec{Threads: c.threads, Pin: c.pin, Kernel: k}
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
var fittingFlags = []string{"components-range", "iterations", "max-iter", "init", "seed", "n-init", "tol", "min-variance", "subtraction-threshold", "save-model", "init-model"}

// usage prints the flags' help.
func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: gmmseg [flags]\n       gmmseg [flags] FILE|FOLDER|PATTERN... [flags]\n       gmmseg serve [flags]\n\nSegments an image with a Gaussian mixture fitted by EM.\nWith no --first-image it segments the built-in example; given images as arguments,\nit segments each of them, several at once. gmmseg serve serves a page that shows\nthe fit as it goes (gmmseg serve -h lists its flags).\n\nFlags:\n")
	fs := newFlagSet(&config{}, &rawFlags{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}
