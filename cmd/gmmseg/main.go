// Command gmmseg segments images with a Gaussian mixture fitted by
// Expectation-Maximization: every pixel takes the class of its most responsible
// component, drawn as the gray level (or colour) of that component's mean.
//
//	gmmseg                                              # the built-in example: camera_segmented.png
//	gmmseg --first-image=photo.jpg --components=4       # photo_segmented.png in the working directory
//	gmmseg --first-image=photo.jpg --channel=lab --components=5 --iterations=30
//	gmmseg --first-image=photo.jpg --visualization=1    # and figures of the fit beside it
//	gmmseg --json --out-dir=segmented photos/ 'frames/*.png'   # a batch, several at once
//	gmmseg serve                                        # a page on http://127.0.0.1:8080/
//
// It prints the starting mixture and one block per iteration (means, stdevs, weights,
// log-likelihood), as the reference Python program did, or one JSON document with --json,
// and writes the segmentation as a PNG; --labels, --save-model and --visualization=1 write
// each pixel's class, the mixture and figures of the fit. Given a second image of the same
// size, it segments the CIE94 colour difference of the pair (background subtraction).
//
// Usage:
//
//	gmmseg [--first-image FILE] [--second-image FILE] [--components K] [--iterations N] [flags]
//	gmmseg [flags] FILE|FOLDER|PATTERN...    (a batch: every image, several at once)
//	gmmseg serve [--addr 127.0.0.1:8080]     (a page that shows the fit as it goes)
//
// Run gmmseg -h for every flag, gmmseg serve -h for the page's. The page (embedded in the
// binary, served on loopback by default) uploads an image or takes a bundled example,
// runs the same pipeline as the command and shows the fit as it goes, its latest iteration
// whenever the last has been drawn: the log-likelihood of every iteration so far, the
// mixture over the histogram or the colours, the segmentation.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/gmmsimd/gmmsimd/cmd/internal/machine"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
	"github.com/gmmsimd/gmmsimd/interrupt"
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
	exitUsage = 2 // flag misuse, or outputs that clash with inputs or each other
	// A run that a signal ends exits with 128 + the signal's number (interrupt.Cause):
	// 130 for SIGINT, or for its context cancelled otherwise, 143 for SIGTERM, 129 for
	// SIGHUP.
)

func main() {
	interrupt.Exit(func(ctx context.Context) int { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) })
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "serve" {
		return runServe(ctx, args[1:], stdout, stderr)
	}
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
		fmt.Fprintf(stdout, "gmmseg %s\n%s%s", version(), machine.Describe(), decoderLine(c))
		return exitOK
	}
	p := newPlan(c)
	if len(c.inputs) > 0 {
		return runBatch(ctx, p, stdout, stderr)
	}
	if err := prepare(ctx, p, nil); err != nil {
		return failed(ctx, stderr, err)
	}
	var o *outcome
	err = withProfiles(c, func() (err error) {
		o, err = segmentImage(ctx, p, stdout, stderr)
		return err
	})
	switch {
	case ctx.Err() != nil && o != nil: // a signal after the outputs were put in place
		return interrupted(ctx, stderr, "every output was written")
	case err != nil:
		return failed(ctx, stderr, err)
	}
	return exitOK
}

// prepare does what a run does before it reads an image: it checks that no output of
// the run (of the images of a batch) is one of its inputs or another output, then reads
// the mixtures it takes.
func prepare(ctx context.Context, p *plan, images []string) error {
	if err := checkFiles(p.files(images)); err != nil {
		return err
	}
	return p.loadModels(ctx)
}

// failed reports err, which ended the run, on one line and returns the exit status:
// exitUsage for a usageError, exitError for others, or that of an interrupt if ctx was
// cancelled.
func failed(ctx context.Context, stderr io.Writer, err error) int {
	if ctx.Err() != nil {
		return interrupted(ctx, stderr, "nothing was written")
	}
	fmt.Fprintf(stderr, "gmmseg: %v\n", oneLine(err))
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitError
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
