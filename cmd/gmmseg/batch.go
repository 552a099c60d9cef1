package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gmmsimd/gmmsimd/internal/ctxfile"
	"github.com/gmmsimd/gmmsimd/segment/inputs"
	"github.com/schollz/progressbar/v3"
)

// perFileFlags are the flags that name one output file, which a batch names after each
// image instead.
var perFileFlags = []string{"first-image", "second-image", "out", "labels", "save-model", "subtraction-threshold"}

// checkBatch rejects the flags that a batch (arguments after the flags) cannot take, and
// the batch flags without a batch.
func checkBatch(c *config, set map[string]bool) error {
	if len(c.inputs) == 0 {
		for _, name := range []string{"out-dir", "jobs", "memory"} {
			if set[name] {
				return usageError{fmt.Sprintf("--%s is for a batch: give the images as arguments", name)}
			}
		}
		return nil
	}
	for _, name := range perFileFlags {
		if set[name] {
			return usageError{fmt.Sprintf("--%s names one image's file; a batch (images as arguments) names each image's outputs after it in --out-dir", name)}
		}
	}
	switch {
	case c.jobs < 0:
		return usageError{fmt.Sprintf("--jobs=%d: want 0 (one per core) or more", c.jobs)}
	case c.memory < 1:
		return usageError{fmt.Sprintf("--memory=%d: want at least 1 MiB", c.memory)}
	}
	return nil
}

// expandInputs turns the arguments into the batch's files (inputs.Expand): a folder's
// images leave out gmmseg's own outputs.
func expandInputs(args []string, outDir string) ([]string, error) {
	files, err := inputs.Expand(args, outDir, outputSuffix, isOutput)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return files, nil
}

// batchOutput is where a batch writes the segmentation of file.
func batchOutput(file, outDir string) string { return inputs.Output(file, outDir, outputSuffix) }

// isOutput reports whether a file of a folder is one that gmmseg writes (a segmentation or
// its figures), which a batch over that folder does not take as an input: --out-dir may
// be the input folder, run after run.
func isOutput(name string) bool {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	for _, s := range append([]string{""}, figureSuffixes...) {
		if strings.HasSuffix(stem, outputSuffix+s) {
			return true
		}
	}
	return false
}

// runBatch segments every input on its own, several at once, and returns the exit status:
// exitError if any image failed. Each image prints one line (text: what it found and
// wrote; --json: its document), a failed one its error; on a terminal a progress bar shows
// the images done, the rate and the time left. Interrupted, it says how many images
// finished: those whose lines it printed, each with all its outputs; the others have
// none.
func runBatch(ctx context.Context, c *plan, stdout, stderr io.Writer) int {
	files, err := expandInputs(c.inputs, c.outDir)
	if err == nil {
		err = prepare(ctx, c, files)
	}
	if err != nil {
		return failed(ctx, stderr, err)
	}
	// The output folder is made first, as mkdir -p would, so that no image is decoded and
	// fitted only to fail on writing.
	if err := os.MkdirAll(c.outDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "gmmseg: --out-dir: %v\n", err)
		return exitError
	}
	b := &batch{c: c, stdout: stdout, stderr: stderr}
	if !c.quiet && isTerminal(stderr) {
		b.bar = newBar(len(files), stderr)
	}
	err = withProfiles(c.config, func() error { b.run(ctx, files); return nil })
	if b.bar != nil {
		b.bar.Finish()
		fmt.Fprintln(stderr)
	}
	if ctx.Err() != nil {
		return interrupted(ctx, stderr, fmt.Sprintf("%d of %d images finished, each line above with every output; the others wrote nothing", b.finished, len(files)))
	}
	if err != nil {
		fmt.Fprintf(stderr, "gmmseg: %v\n", oneLine(err))
		return exitError
	}
	if b.failed > 0 {
		fmt.Fprintf(stderr, "gmmseg: %d of %d images failed\n", b.failed, len(files))
		return exitError
	}
	return exitOK
}

// newBar returns the batch's progress bar on w: images done of n, images per second, and
// the time left.
func newBar(n int, w io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("segmenting"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("images"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}

// batch is a batch run's shared state.
type batch struct {
	c              *plan
	stdout, stderr io.Writer
	bar            *progressbar.ProgressBar // nil when not on a terminal

	mu               sync.Mutex // the output, the bar and the counts
	failed, finished int
}

// run segments files on a pool of workers, each image taking its share of the memory
// budget while in flight.
func (b *batch) run(ctx context.Context, files []string) {
	jobs := b.c.jobs
	if jobs == 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = min(jobs, len(files))
	threads := shareCores(b.c.threads, jobs)
	mem := newBudget(int64(b.c.memory) << 20)
	next := make(chan string)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for file := range next {
				need := b.estimate(ctx, file)
				mem.acquire(need)
				b.one(ctx, file, threads)
				mem.release(need)
			}
		})
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		next <- f
	}
	close(next)
	wg.Wait()
}

// estimate is the memory, in bytes, that segmenting file is expected to take at its peak:
// from its size in pixels (read from its header), the bytes per pixel of the decoded
// image, the plane, the clean-up's buffer and the samples the method needs, and what the
// outputs keep of the fit's iterations. Opening and reading the header end with ctx.
func (b *batch) estimate(ctx context.Context, file string) int64 {
	f, err := ctxfile.Open(ctx, file)
	if err != nil {
		return 0 // it fails at once
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return 0
	}
	perPixel, fixed := int64(12), int64(0)
	colour := b.c.channel.Dims() > 1
	wide := cfg.ColorModel == color.RGBA64Model || cfg.ColorModel == color.NRGBA64Model || cfg.ColorModel == color.Gray16Model
	histogram := b.c.histogram && !(colour && wide) // 16-bit colours go over the pixels
	switch {
	case colour && !histogram: // read from the image as the passes need them
		perPixel += 4 // a JPEG's RGB as libjpeg decodes it, kept (or its chroma: 2)
	case colour: // a JPEG's planes read a row at a time

		perPixel += 4    // each pixel's colour code
		fixed = 64 << 20 // the table of colours
	case !histogram || b.c.visualization == 1:
		perPixel += map[string]int64{"float64": 8, "float32": 4}[b.c.precision]
	}
	return int64(cfg.Width)*int64(cfg.Height)*perPixel + fixed + b.c.keptBytes
}

// one segments file and prints its line.
func (b *batch) one(ctx context.Context, file string, threads int) {
	c := b.c.forImage(file, batchOutput(file, b.c.outDir), threads)
	var doc bytes.Buffer
	w := io.Discard
	if c.json {
		w = &doc
	}
	o, err := segmentImage(ctx, c, w, io.Discard)
	if o == nil && ctx.Err() != nil {
		return // interrupted before its outputs: runBatch says so once
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Clear()
	}
	switch {
	case err != nil:
		b.failed++
		fmt.Fprintf(b.stderr, "gmmseg: %s: %v\n", file, oneLine(err))
		if c.json {
			var line jsonFailure
			line.Image.Path, line.Error = file, oneLine(err)
			json.NewEncoder(b.stdout).Encode(&line)
		}
	case c.json:
		b.finished++
		b.stdout.Write(doc.Bytes())
	default:
		b.finished++
		m := &o.res.Model
		fmt.Fprintf(b.stdout, "%s: %d components, means %s, log likelihood %s, wrote %s (%.2f s)\n",
			file, m.K(), floats(m.Means), strconv.FormatFloat(o.res.LogLikelihood, 'g', -1, 64), strings.Join(append([]string{o.out}, o.figures...), ", "), o.t.total)
	}
	if b.bar != nil {
		b.bar.Add(1)
	}
}

// jsonFailure is the JSON line of an image that failed.
type jsonFailure struct {
	Image struct {
		Path string `json:"path"`
	} `json:"image"`
	Error string `json:"error"`
}

// shareCores is the worker threads of each of jobs fits run at once: threads if set
// (--threads), else the fits' share of the cores.
func shareCores(threads, jobs int) int {
	if threads != 0 {
		return threads
	}
	return max(1, runtime.GOMAXPROCS(0)/jobs)
}

// budget is a memory budget that goroutines take parts of, waiting while it is spent. A
// part larger than the whole is granted when nothing else is taken, so that every image
// runs.
type budget struct {
	mu         sync.Mutex
	cond       *sync.Cond
	cap, taken int64
}

func newBudget(n int64) *budget {
	b := &budget{cap: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *budget) acquire(n int64) {
	b.mu.Lock()
	for b.taken > 0 && b.taken+n > b.cap {
		b.cond.Wait()
	}
	b.taken += n
	b.mu.Unlock()
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.taken -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}
