// Package gmmbeam fits one Gaussian mixture to a whole collection of samples or images
// on Apache Beam: on the in-process prism runner by default, or on any runner Beam
// reaches (Flink, Spark, Dataflow).
//
// Two paths, as gmmseg has:
//
//   - Histograms (FitHistogram): one pipeline counts the distinct values (levels or
//     colours) of every image, the counts merged exactly by addition; EM then runs on
//     the launching machine over the collection's histogram. Exact and one pass.
//   - Pixels (Fit): one pipeline summarises the shards (count, weight, range), draws a
//     sample of each for the start and spills each shard to a file; then one pipeline
//     per EM pass computes every shard's statistics under the current model (gmm.EStep)
//     and merges them; the launcher's gmm.EM takes each merged pass and runs the M-step.
//     The EM, its rules, MaxIter and Tol are the library's own: Beam only makes the
//     passes.
//
// One pipeline per pass, rather than iterations unrolled into one acyclic graph, keeps
// the graph the same whatever MaxIter, lets Tol stop the fit when it converges, and keeps
// the run's state in one place. Each pass ships the model to the workers (in the DoFn)
// and, per shard, K(1 + d + d(d+1)/2) + 5 numbers back (gmm.Stats' binary form).
package gmmbeam

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
)

// Shard is a block of samples that one worker holds: X row-major, Dims features each,
// with one weight a sample in Weights (nil for none). Key names it: failures and the
// start's sample are ordered by it.
type Shard struct {
	Key     string
	X       []float64
	Weights []float64
}

// Failure is an input that could not be read: its key (an image's path) and why.
type Failure struct {
	Key, Err string
}

// Config says where the pipelines run.
type Config struct {
	// Run runs a pipeline; nil runs it on the runner that Beam's --runner flag names,
	// prism (in-process) by default.
	Run func(ctx context.Context, p *beam.Pipeline) error
	// Temp is a folder (a local path, or a URL of a filesystem Beam has registered) that
	// the workers and the launcher both reach: each pipeline leaves its result there. It
	// must be given: the working folder is no place for them.
	Temp string
}

// ErrNoTemp is the error of a Config without a Temp folder.
var ErrNoTemp = errors.New("gmmbeam: no Temp folder for the pipelines' results")

// errNoSource is the error of a fit of a nil Source.
var errNoSource = errors.New("gmmbeam: no Source")

// run runs p as c says.
func (c *Config) run(ctx context.Context, p *beam.Pipeline) error {
	if c.Run != nil {
		return c.Run(ctx, p)
	}
	return beamx.Run(ctx, p)
}

// Quiet turns the runner's own logging down to errors: prism reports every job's states
// at info level, and a stopped worker at warning level.
func Quiet() { beamlog.SetupLogging("error", "text") }

func init() {
	register.DoFn2x1[context.Context, []byte, error](&writeFn{})
	register.DoFn2x1[Failure, func([]byte), error](&failureLineFn{})
	register.Emitter1[[]byte]()
}

// writeFn writes its one element, a result, to Path.
type writeFn struct{ Path string }

func (f *writeFn) ProcessElement(ctx context.Context, b []byte) error {
	return writeFile(ctx, f.Path, b)
}

// onFS calls f with the filesystem that Beam has registered for the path p (local files
// for a plain path).
func onFS[R any](ctx context.Context, p string, f func(fs filesystem.Interface) (R, error)) (R, error) {
	fs, err := filesystem.New(ctx, p)
	if err != nil {
		var none R
		return none, err
	}
	defer fs.Close()
	return f(fs)
}

// writeFile writes b to the file at p.
func writeFile(ctx context.Context, p string, b []byte) error {
	_, err := onFS(ctx, p, func(fs filesystem.Interface) (struct{}, error) {
		w, err := fs.OpenWrite(ctx, p)
		if err != nil {
			return struct{}{}, err
		}
		if _, err := w.Write(b); err != nil {
			w.Close()
			return struct{}{}, err
		}
		return struct{}{}, w.Close()
	})
	return err
}

// List returns the files that pattern (a URL of a filesystem Beam has registered, with
// glob characters) matches; an empty pattern is an error.
func List(ctx context.Context, pattern string) ([]string, error) {
	if pattern == "" {
		return nil, errors.New("gmmbeam: List of an empty pattern")
	}
	return onFS(ctx, pattern, func(fs filesystem.Interface) ([]string, error) { return fs.List(ctx, pattern) })
}

// readFile returns the file at p, or nil if there is none: the result of a pipeline
// whose collection was empty.
func readFile(ctx context.Context, p string) ([]byte, error) {
	return onFS(ctx, p, func(fs filesystem.Interface) ([]byte, error) {
		if found, err := fs.List(ctx, p); err != nil || len(found) == 0 {
			return nil, err
		}
		r, err := fs.OpenRead(ctx, p)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	})
}

// removeAll removes the files, where their filesystem can.
func removeAll(ctx context.Context, files []string) {
	for _, f := range files {
		onFS(ctx, f, func(fs filesystem.Interface) (struct{}, error) {
			if r, ok := fs.(filesystem.Remover); ok {
				return struct{}{}, r.Remove(ctx, f)
			}
			return struct{}{}, nil
		})
	}
}

// result is a pipeline's output left in Temp: merged into one element, then written.
type result struct {
	name string
	col  beam.PCollection
	kind string // what mergeAllFn merges
}

// runFor builds a pipeline with build, runs it, and returns each result's bytes (nil
// for an empty collection) and the failures reported, sorted. Without a Temp folder it
// is ErrNoTemp.
func (c *Config) runFor(ctx context.Context, pass string, build func(s beam.Scope) (failed beam.PCollection, out []result)) ([][]byte, []Failure, error) {
	if c.Temp == "" {
		return nil, nil, ErrNoTemp
	}
	p, s := beam.NewPipelineWithRoot()
	failed, out := build(s)
	dir := path.Join(c.Temp, pass)
	lines := result{"failures", beam.ParDo(s, &failureLineFn{}, failed), kindLines}
	for _, r := range append(out, lines) {
		s := s.Scope(r.name)
		grouped := beam.GroupByKey(s, beam.AddFixedKey(s, r.col))
		merged := beam.ParDo(s, &mergeAllFn{Kind: r.kind}, grouped)
		beam.ParDo0(s, &writeFn{Path: path.Join(dir, r.name)}, merged)
	}
	if err := c.run(ctx, p); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", pass, err)
	}
	var got [][]byte
	for _, r := range append(out, lines) {
		b, err := readFile(ctx, path.Join(dir, r.name))
		if err != nil {
			return nil, nil, err
		}
		got = append(got, b)
	}
	failures, err := parseFailures(got[len(out)])
	return got[:len(out)], failures, err
}

// failureLineFn writes a failure as one line of JSON: a path may hold a tab or a newline.
type failureLineFn struct{}

func (f *failureLineFn) ProcessElement(fl Failure, emit func([]byte)) error {
	b, err := json.Marshal(fl)
	if err != nil {
		return err
	}
	emit(append(b, '\n'))
	return nil
}

// parseFailures reads the failure lines back, in order of key.
func parseFailures(b []byte) ([]Failure, error) {
	var out []Failure
	for line := range bytes.Lines(b) {
		var f Failure
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, fmt.Errorf("gmmbeam: a failure's line: %w", err)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Failure) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// ErrNoSamples is the error of a fit whose collection gave no samples: empty, or every
// input failed.
var ErrNoSamples = errors.New("gmmbeam: the collection holds no samples")
