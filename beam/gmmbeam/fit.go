package gmmbeam

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gmmsimd/gmmsimd/gmm"
)

// Source builds, in a pipeline's scope, the collection to fit: a PCollection of Shard
// (or, for FitHistogram, of Histogram binary forms), and one of Failure for the inputs
// that could not be read. Every pipeline of a fit builds it again: it must give the same
// shards each time.
type Source func(s beam.Scope) (shards, failed beam.PCollection)

// sampleSize is about how many samples of each shard the start of Fit takes.
const sampleSize = 1024

func init() {
	register.DoFn3x1[context.Context, Shard, func([]byte), error](&digestFn{})
	register.DoFn3x1[context.Context, string, func([]byte), error](&eStepFn{})
}

// Fit fits a mixture to the shards that src builds, as gmm.Fit would over them all
// (opt.Dims features each, weighted by each shard's Weights). A first pipeline merges the
// shards' summaries and a sample of each, and spills every shard to cfg.Temp in a binary
// form (8 bytes a value); then one pipeline per EM pass reads them back and merges their
// statistics, which gmm.EM turns into the next model. So the shards are made (images
// decoded) once; the files are removed when Fit returns (a runner's retried bundle may
// leave one behind). The start is opt.InitModel or, in one dimension, InitEvenlySpaced,
// which need no samples; otherwise opt.Init's start made from the shards' samples (about
// 1024 each, unweighted, in order of key). opt.Weights must be nil and opt.Progress is
// called as Fit calls it. It returns the failures that the first pipeline reported. A nil
// src, or a cfg without Temp, is an error.
func Fit(ctx context.Context, src Source, opt gmm.Options, cfg Config) (*gmm.Result, []Failure, error) {
	if src == nil {
		return nil, nil, errNoSource
	}
	spill := path.Join(cfg.Temp, "shards")
	got, failures, err := cfg.runFor(ctx, "summary", func(s beam.Scope) (beam.PCollection, []result) {
		shards, failed := src(s)
		return failed, []result{{"digest", beam.ParDo(s, &digestFn{Dims: max(opt.Dims, 1), Spill: spill}, shards), kindDigest}}
	})
	if err != nil {
		return nil, nil, err
	}
	var d digest
	if len(got[0]) > 0 {
		if err := json.Unmarshal(got[0], &d); err != nil {
			return nil, failures, err
		}
	}
	defer removeAll(ctx, d.Spilled)
	if d.Summary.Samples == 0 {
		return nil, failures, ErrNoSamples
	}
	if err := startFromSamples(ctx, &opt, d.Samples); err != nil {
		return nil, failures, err
	}
	em, err := gmm.NewEM(opt, d.Summary)
	if err != nil {
		return nil, failures, err
	}
	for pass := 0; !em.Done(); pass++ {
		if err := runPass(ctx, d.Spilled, em, pass, cfg); err != nil {
			return em.Result(), failures, err
		}
	}
	return em.Result(), failures, nil
}

// runPass makes one pass of em over the shards spilled in files, in a pipeline of its own.
func runPass(ctx context.Context, files []string, em *gmm.EM, pass int, cfg Config) error {
	params, err := em.Params().MarshalBinary()
	if err != nil {
		return err
	}
	got, _, err := cfg.runFor(ctx, fmt.Sprintf("pass-%d", pass), func(s beam.Scope) (beam.PCollection, []result) {
		paths := beam.Reshuffle(s, beam.CreateList(s, files))
		return beam.CreateList(s, []Failure{}), []result{{"stats", beam.ParDo(s, &eStepFn{Params: params}, paths), kindStats}}
	})
	switch {
	case err != nil:
		return err
	case len(got[0]) == 0:
		return ErrNoSamples
	}
	var st gmm.Stats
	if err := st.UnmarshalBinary(got[0]); err != nil {
		return err
	}
	return em.Update(&st)
}

// startFromSamples sets opt.InitModel to opt.Init's start over the shards' samples,
// unless opt has a start that needs none.
func startFromSamples(ctx context.Context, opt *gmm.Options, samples []keyed) error {
	if opt.InitModel != nil || (max(opt.Dims, 1) == 1 && opt.Init == gmm.InitEvenlySpaced) {
		return nil
	}
	var x []float64
	for _, s := range samples {
		x = append(x, s.X...)
	}
	o := *opt
	o.MaxIter, o.Tol, o.Progress = 1, 0, nil
	res, err := gmm.Fit(ctx, x, o)
	if err != nil {
		return fmt.Errorf("gmmbeam: the start from %d sampled values: %w", len(x), err)
	}
	opt.InitModel = &res.Initial
	return nil
}

// digestFn turns a shard into its digest: its summary and a sample of it; and spills the
// shard, in its binary form, to a file of its own in the folder Spill, which the passes
// read rather than making the shard again (decoding an image costs more than reading it).
type digestFn struct {
	Dims  int
	Spill string
}

func (f *digestFn) ProcessElement(ctx context.Context, sh Shard, emit func([]byte)) error {
	sum, err := gmm.Summarize(gmm.Weighted{Samples: sh.X, Weights: sh.Weights}, f.Dims)
	if err != nil {
		return fmt.Errorf("shard %s: %w", sh.Key, err)
	}
	n := sum.Samples
	step := max(1, (n+sampleSize-1)/sampleSize)
	var sample []float64
	for i := 0; i < n; i += step {
		sample = append(sample, sh.X[i*f.Dims:(i+1)*f.Dims]...)
	}
	// A name of its own: a collection may hold one key twice.
	file := path.Join(f.Spill, fmt.Sprintf("%016x.shard", rand.Uint64()))
	form, err := encodeShard(sh)
	if err == nil {
		err = writeFile(ctx, file, form)
	}
	if err != nil {
		return fmt.Errorf("shard %s: %w", sh.Key, err)
	}
	b, err := json.Marshal(digest{Summary: sum, Samples: []keyed{{sh.Key, sample}}, Spilled: []string{file}})
	if err != nil {
		return err
	}
	emit(b)
	return nil
}

// eStepFn turns a spilled shard into its statistics under Params (gmm.Params' binary
// form), on workers that live as long as the DoFn instance: one shard after another
// reuses them.
type eStepFn struct {
	Params []byte
	p      *gmm.Params
	pool   *gmm.Pool
}

func (f *eStepFn) Setup() (err error) {
	f.p = new(gmm.Params)
	if err := f.p.UnmarshalBinary(f.Params); err != nil {
		return err
	}
	f.pool, err = gmm.NewPool(gmm.Exec{})
	return err
}

func (f *eStepFn) Teardown() {
	if f.pool != nil {
		f.pool.Close()
	}
}

func (f *eStepFn) ProcessElement(ctx context.Context, file string, emit func([]byte)) error {
	form, err := readFile(ctx, file)
	if err != nil {
		return err
	}
	sh, err := decodeShard(form)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	st, err := gmm.EStep(ctx, f.p, gmm.Weighted{Samples: sh.X, Weights: sh.Weights}, gmm.Exec{Pool: f.pool})
	if err != nil {
		return fmt.Errorf("shard %s: %w", sh.Key, err)
	}
	b, err := st.MarshalBinary()
	if err != nil {
		return err
	}
	emit(b)
	return nil
}

// FitHistogram fits a mixture to the histograms that src builds (Histogram binary
// forms): one pipeline merges them, exactly, into the collection's, and gmm.Fit runs on
// it with opt (the values weighted by their counts, Dims the histogram's) on this
// machine. It returns the fit, the collection's histogram and the failures reported. A
// nil src, or a cfg without Temp, is an error.
func FitHistogram(ctx context.Context, src Source, opt gmm.Options, cfg Config) (*gmm.Result, *Histogram, []Failure, error) {
	if src == nil {
		return nil, nil, nil, errNoSource
	}
	got, failures, err := cfg.runFor(ctx, "histogram", func(s beam.Scope) (beam.PCollection, []result) {
		hists, failed := src(s)
		return failed, []result{{"histogram", hists, kindHistogram}}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if len(got[0]) == 0 {
		return nil, nil, failures, ErrNoSamples
	}
	h := new(Histogram)
	if err := h.UnmarshalBinary(got[0]); err != nil {
		return nil, nil, failures, err
	}
	opt.Dims = h.Dims
	res, err := gmm.Fit(ctx, h.Weighted(), opt)
	return res, h, failures, err
}
