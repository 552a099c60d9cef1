// Command gmmbeam fits one Gaussian mixture to a whole collection of images on Apache
// Beam, so that every image's classes mean the same thing, and optionally segments every
// image with it. It runs on prism, Beam's in-process runner, by default: nothing to
// install. Beam's own flags (--runner, --endpoint, --project, ...) send the same pipelines
// to a Flink or Spark job server or to Dataflow.
//
// Usage:
//
//	gmmbeam --input FILE|FOLDER|PATTERN [--input ...] [--components K] [--iterations N]
//	        [--channel luma|red|green|blue|rgb|lab|ycbcr] [--method auto|histogram|pixels]
//	        [--model-out FILE] [--out-dir DIR] [--runner prism]
//
// An image that cannot be read is reported on stderr (its path and why) and left out of
// the fit; the exit status is then 1, after the outputs are written. Bad flags exit 2.
// SIGINT, SIGTERM and SIGHUP end a run, 128 + the signal's number, the temporary files
// removed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/gmmsimd/gmmsimd/beam/gmmbeam"
	"github.com/gmmsimd/gmmsimd/interrupt"
)

// tempVars name the system's temporary folder: os.TempDir reads TMPDIR on Unix, TMP and
// TEMP on Windows.
var tempVars = []string{"TMPDIR", "TMP", "TEMP"}

// privateTemp makes a folder of the run's own the system's temporary folder for the
// process, and returns what removes it and restores the variables.
func privateTemp() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "gmmbeam-")
	if err != nil {
		return nil, err
	}
	old := map[string]*string{}
	for _, v := range tempVars {
		if s, ok := os.LookupEnv(v); ok {
			old[v] = &s
		}
		os.Setenv(v, dir)
	}
	return func() {
		for _, v := range tempVars {
			if s := old[v]; s != nil {
				os.Setenv(v, *s)
			} else {
				os.Unsetenv(v)
			}
		}
		os.RemoveAll(dir)
	}, nil
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // bad input, a failed image or a failure while running
	exitUsage = 2 // flag misuse
)

func main() {
	c := newConfig(flag.CommandLine)
	flag.Parse()
	beam.Init() // a worker started by a runner stops here
	gmmbeam.Quiet()
	interrupt.Exit(func(ctx context.Context) int { return run(ctx, c, flag.Args(), os.Stdout, os.Stderr) })
}

// printable returns s, quoted if it holds a control character: a failure stays one
// line whatever a file's name.
func printable(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// run runs the command as c says (args: what is left after the flags) and returns the
// exit status. What Beam's runners leave in the system's temporary folder (prism leaves
// a file a pipeline, beamloopbackworker-N) goes into a folder of the run's own, removed
// with it.
func run(ctx context.Context, c *config, args []string, stdout, stderr io.Writer) int {
	cleanup, err := privateTemp()
	if err != nil {
		fmt.Fprintf(stderr, "gmmbeam: %v\n", err)
		return exitError
	}
	defer cleanup()
	p, err := c.plan(ctx, args)
	if err != nil {
		fmt.Fprintf(stderr, "gmmbeam: %v\n", err)
		if _, ok := err.(usageError); ok {
			return exitUsage
		}
		return exitError
	}
	out, err := p.run(ctx, stdout)
	for _, f := range out.failures {
		fmt.Fprintf(stderr, "gmmbeam: %s: %s\n", printable(f.Key), printable(f.Err))
	}
	switch {
	case ctx.Err() != nil:
		what, status := interrupt.Cause(ctx)
		fmt.Fprintf(stderr, "gmmbeam: %s\n", what)
		return status
	case err != nil:
		fmt.Fprintf(stderr, "gmmbeam: %v\n", err)
		return exitError
	case len(out.failures) > 0:
		fmt.Fprintf(stderr, "gmmbeam: %d of %d images failed\n", len(out.failures), len(p.files))
		return exitError
	}
	return exitOK
}
