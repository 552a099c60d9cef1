package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/gmm/modelfile"
	"github.com/gmmsimd/gmmsimd/segment"
)

// input is the data to fit, whatever their precision.
type input struct {
	name string // the first image's path (or the example's name)
	// decoder names the decoder that read the first image: "libjpeg-turbo" or "go".
	decoder string
	// plane receives the segmentation: the plane the samples were made from (its levels
	// are reused), or in pair mode an 8-bit plane without levels yet.
	plane *segment.Plane
	// x64 or x32 holds the samples, in the precision asked for; neither, on the histogram
	// path without figures, or over a colour image's pixels, which src64 or src32 read
	// from the image as the passes need them.
	x64   []float64
	x32   []float32
	src64 gmm.Source[float64]
	src32 gmm.Source[float32]
	diff  []float64 // CIE94 differences in pair mode
	// method is where the fit runs, "histogram" or "pixels"; on a colour histogram, the
	// samples are its distinct colours, weights their counts, and classes labels the
	// pixels through it.
	method  string
	weights []float64
	// bits is how many bits the single channel's levels use (see --bits); wide, that the
	// image is 16-bit, and so its gray output.
	bits int
	wide bool
	// thumb is a colour image shrunk for the figures and thumbX its pixels in the colour
	// space (--visualization=1).
	thumb   image.Image
	thumbX  []float64
	classes func(ctx context.Context, m *gmm.Model, p *segment.Plane, e gmm.Exec) error
}

// outcome is what segmentImage did: the fit and the files it wrote.
type outcome struct {
	res     *gmm.Result
	out     string
	figures []string
	t       timings
}

// job is one image's run as segmentImage has set it up: the input decoded, the report
// begun.
type job struct {
	c              *plan
	in             *input
	rep            *report
	out            string
	start, decoded time.Time
}

// segmentImage segments c.first (or the pair, an upload, or the built-in example) as c plans,
// reports on stdout and writes the outputs; on failure it leaves none of them behind.
func segmentImage(ctx context.Context, c *plan, stdout, stderr io.Writer) (*outcome, error) {
	start := time.Now()
	in, err := untilDone(ctx, func() (*input, error) { return load(ctx, c, c.mostComponents()) })
	if err != nil {
		return nil, err
	}
	j := &job{c: c, in: in, rep: newReport(c, in, stdout), out: c.output(), start: start, decoded: time.Now()}
	if !c.quiet && isTerminal(stderr) {
		j.rep.live, j.rep.start = stderr, start
		defer j.rep.endLive()
	}
	if c.precision == "float32" {
		return segmentAs(ctx, j, in.x32, in.src32)
	}
	return segmentAs(ctx, j, in.x64, in.src64)
}

// segmentAs fits (or takes the saved mixture), segments and writes the outputs of j, whose
// samples in the precision asked for are x (nil on the histogram path without figures),
// or read from src (a colour image's pixels). The fit and the labelling share one pool of
// workers.
func segmentAs[T float32 | float64](ctx context.Context, j *job, x []T, src gmm.Source[T]) (*outcome, error) {
	pool, err := gmm.NewPool(j.c.exec())
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	exec := gmm.Exec{Pool: pool}
	if j.c.watch != nil {
		j.c.watch.loaded(newPreview(j.c, j.in, x))
	}
	var res *gmm.Result
	if j.c.saved != nil {
		res = &gmm.Result{Model: *j.c.saved, Initial: *j.c.saved, Kernel: pool.Kernel(), Threads: pool.Threads()}
		j.rep.saved(j.c.saved)
	} else if res, err = fitImage(ctx, j, x, src, exec); err != nil {
		return nil, err
	}
	return writeAll(ctx, j, res, x, src, exec, time.Now())
}

// untilDone returns f's results, or ctx's error as soon as ctx is done: a decoder cannot
// be stopped, so it is left to finish on its own while the command ends.
func untilDone[R any](ctx context.Context, f func() (R, error)) (R, error) {
	type result struct {
		r   R
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := f()
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-ctx.Done():
		var none R
		return none, ctx.Err()
	}
}

// fitImage fits the samples x (or, on the histogram path, the counts of the plane's
// levels) on exec's workers as j's plan says: with one number of components or, choosing,
// the number of lowest BIC, whose table the report prints.
func fitImage[T float32 | float64](ctx context.Context, j *job, x []T, src gmm.Source[T], exec gmm.Exec) (*gmm.Result, error) {
	c := j.c
	// The reference program's fit, with what the flags change: --tol and --min-variance
	// at 0 leave its every iteration and exact M-step.
	opt := gmm.Reference(c.kLo, c.iterations)
	opt.Exec, opt.Init, opt.Seed, opt.NInit, opt.Progress = exec, c.init, c.seed, c.nInit, j.rep.step
	opt.Dims, opt.Covariance = c.channel.Dims(), c.covariance
	if c.tol > 0 {
		opt.Tol = c.tol
	}
	if c.minVariance > 0 {
		opt.AddedVariance = c.minVariance
	}
	if c.hasThreshold {
		m, err := segment.ThresholdModel(j.in.diff, x, c.threshold)
		if err != nil {
			return nil, err
		}
		opt.InitModel = &m
	}
	if c.startModel != nil {
		opt.InitModel, opt.Components = c.startModel, c.startModel.K()
	}
	var data any = x
	switch {
	case j.in.weights != nil:
		data = gmm.Weighted{Samples: x, Weights: j.in.weights}
	case j.in.method == "histogram":
		var err error
		if data, err = segment.Histogram[T](ctx, j.in.plane, exec); err != nil {
			return nil, err
		}
	case src != nil:
		data = src
	}
	if !c.choose {
		return gmm.Fit(ctx, data, opt)
	}
	// The candidates' fits show on the live line only; the report then prints the BIC
	// table and the chosen fit, as if it had been the only one.
	opt.Progress = j.rep.choosing
	sel, err := gmm.SelectComponents(ctx, data, c.kLo, c.kHi, opt)
	if err != nil {
		return nil, err
	}
	j.rep.selection(sel)
	return sel.Candidates[sel.Best].Result, nil
}

// writeAll writes every output of j for the mixture res fitted by fitted (samples x, on
// exec's workers), draws the figures and ends the report. The outputs are written
// together (outputSet): all of them, or none if anything fails or ctx ends first.
func writeAll[T float32 | float64](ctx context.Context, j *job, res *gmm.Result, x []T, src gmm.Source[T], exec gmm.Exec, fitted time.Time) (*outcome, error) {
	c, in := j.c, j.in
	set := c.outputSet(ctx)
	defer set.Abort()
	if c.saveModel != "" {
		if err := set.Write(c.saveModel, func(w io.Writer) error { return modelfile.Encode(w, &res.Model) }); err != nil {
			return nil, fmt.Errorf("--save-model: %w", err)
		}
	}
	maxLevel := in.plane.Max
	// The histogram path labels the plane's own levels, or the colours, through a table.
	var err error
	switch {
	case in.classes != nil:
		err = in.classes(ctx, &res.Model, in.plane, exec)
	case src != nil:
		err = segment.ColourClasses(ctx, &res.Model, src, in.plane, c.channel, exec)
	case in.method == "histogram":
		err = label[T](ctx, c, &res.Model, nil, in.plane, exec)
	default:
		err = label(ctx, c, &res.Model, x, in.plane, exec)
	}
	if err != nil {
		return nil, err
	}
	segmented, err := writeOutputs(set, c, &res.Model, in, maxLevel, j.out)
	if err != nil {
		return nil, err
	}
	t := timings{decode: j.decoded.Sub(j.start).Seconds(), fit: fitted.Sub(j.decoded).Seconds(), segment: time.Since(fitted).Seconds()}
	var figures []string
	if c.visualization == 1 {
		drawing := time.Now()
		if figures, err = writeFigures(set, c, in, x, res, j.rep.kept.steps(res), segmented, j.out); err != nil {
			return nil, err
		}
		t.figures = time.Since(drawing).Seconds()
	}
	if err := set.Commit(); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("putting the outputs in place: %w", err)
	}
	t.total = time.Since(j.start).Seconds()
	return &outcome{res, j.out, figures, t}, j.rep.end(res, j.out, figures, t)
}

// loadModels reads the mixtures of --model and --init-model, once for every image, and
// checks that what the outputs keep of the fit's iterations is bounded (checkKept).
func (c *plan) loadModels(ctx context.Context) (err error) {
	if c.saved, err = loadModel(ctx, c, "--model", c.model); err != nil {
		return err
	}
	if c.startModel, err = loadModel(ctx, c, "--init-model", c.initModel); err != nil {
		return err
	}
	return c.checkKept(c.mostComponents())
}

// mostComponents is the most components a fit of the run has: the saved mixture's, the
// start's, or the most that --components asks for.
func (c *plan) mostComponents() int {
	switch {
	case c.saved != nil:
		return c.saved.K()
	case c.startModel != nil:
		return c.startModel.K()
	}
	return c.kHi
}

// loadModel reads the mixture saved in path for the flag (nil without one), checked
// against --components when that is set and against the channel's dimension.
func loadModel(ctx context.Context, c *plan, flag, path string) (*gmm.Model, error) {
	if path == "" {
		return nil, nil
	}
	m, err := modelfile.Read(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if c.kLo != 0 && c.kLo != m.K() {
		return nil, fmt.Errorf("%s %s has %d components, --components=%d", flag, path, m.K(), c.kLo)
	}
	if d := max(m.Dims, 1); d != c.channel.Dims() {
		return nil, fmt.Errorf("%s %s is a mixture of %d features; --channel=%s has %d", flag, path, d, c.channel, c.channel.Dims())
	}
	return m, nil
}

// classOutputs reports whether the outputs asked for need the class of every pixel
// (--labels, --palette) rather than only the gray levels of the classes' means.
func (c *plan) classOutputs() bool { return c.labels != "" || c.palette }

// label fills p from the fitted model: with the cleaned classes when the outputs need
// them, else straight with the gray levels of the segmentation.
func label[T float32 | float64](ctx context.Context, c *plan, m *gmm.Model, x []T, p *segment.Plane, e gmm.Exec) error {
	if c.classOutputs() {
		return segment.Classes(ctx, m, x, p, e)
	}
	return segment.Segment(ctx, m, x, p, e)
}

// writeOutputs writes in's plane as label left it into set: the class indices to
// --labels when asked, then the segmentation to out, in colour (--palette) or as the gray
// levels (0..maxLevel, 16-bit for a 16-bit image) of the components' means, which it
// returns.
func writeOutputs(set outputSet, c *plan, m *gmm.Model, in *input, maxLevel int, out string) (image.Image, error) {
	p := in.plane
	if c.labels != "" {
		if err := set.Write(c.labels, pngOf(p.Image())); err != nil {
			return nil, fmt.Errorf("--labels: %w", err)
		}
	}
	img, err := segmentation(c, m, in, maxLevel)
	if err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := set.Write(out, pngOf(img)); err != nil {
		return nil, fmt.Errorf("writing the segmentation: %w", err)
	}
	return img, nil
}

// pngOf writes img as PNG.
func pngOf(img image.Image) func(io.Writer) error {
	return func(w io.Writer) error { return segment.EncodePNG(w, img) }
}

// open decodes the image file at path within --max-pixels, which the error about a larger
// one names, and names the decoder that read it; opening and reading end with ctx.
func (c *plan) open(ctx context.Context, path string) (image.Image, string, error) {
	img, decoder, err := c.decoding().Open(ctx, path)
	return img, decoder, limitHint(err)
}

// limitHint adds to the error about an image above --max-pixels how to raise the limit.
func limitHint(err error) error {
	if errors.Is(err, segment.ErrTooLarge) {
		err = fmt.Errorf("%w (--max-pixels raises the limit)", err)
	}
	return err
}

// load decodes the input image(s) and returns the samples to fit with up to k components.
// One channel of one image is read straight into its plane (Decoding.DecodePlane): a
// PNG's pixels are never held whole in their own type.
func load(ctx context.Context, c *plan, k int) (*input, error) {
	in := &input{method: "pixels"}
	in.name, _ = c.source()
	if c.histogram {
		in.method = "histogram"
	}
	if c.channel.Dims() == 1 && c.second == "" {
		p, decoder, err := c.plane(ctx)
		in.decoder, err = decoder, limitHint(err)
		if err == nil {
			err = checkComponents(k, p.Width, p.Height)
		}
		if err != nil {
			return nil, err
		}
		return loadPlane(c, in, p)
	}
	var first image.Image
	var err error
	if _, data := c.source(); data != nil {
		first, in.decoder, err = c.decoding().Decode(bytes.NewReader(data))
	} else {
		first, in.decoder, err = c.open(ctx, c.first)
	}
	if err == nil {
		err = checkComponents(k, first.Bounds().Dx(), first.Bounds().Dy())
	}
	if err != nil {
		return nil, err
	}
	if c.channel.Dims() > 1 {
		return loadColours(c, in, first)
	}
	return loadPair(ctx, c, in, first)
}

// plane reads the channel of the image (c's first, an upload or the built-in example)
// that c asks for, and names the decoder that read it.
func (c *plan) plane(ctx context.Context) (*segment.Plane, string, error) {
	if _, data := c.source(); data != nil {
		return c.decoding().DecodePlane(bytes.NewReader(data))
	}
	return c.decoding().OpenPlane(ctx, c.first)
}

// checkComponents refuses more components, k, than a w x h image's pixels.
func checkComponents(k, w, h int) error {
	if n := w * h; k > n {
		return fmt.Errorf("%d components for %d pixels: want at most one per pixel", k, n)
	}
	return nil
}

// loadPlane sets in to fit the plane p of the channel c asks for.
func loadPlane(c *plan, in *input, p *segment.Plane) (*input, error) {
	if err := useBits(c, in, p); err != nil {
		return nil, err
	}
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

// loadPair sets in to fit the CIE94 differences of c's second image from first.
func loadPair(ctx context.Context, c *plan, in *input, first image.Image) (*input, error) {
	second, _, err := c.open(ctx, c.second)
	if err != nil {
		return nil, err
	}
	in.diff, err = segment.Difference(first, second)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", c.first, c.second, err)
	}
	b := first.Bounds()
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

// loadColours sets in to fit img's pixels in the colour space of c: on the histogram of
// its distinct colours (--method=histogram or auto, for an 8-bit image) or on every pixel
// (16-bit images under auto, --method=pixels). The plane receives the classes.
func loadColours(c *plan, in *input, img image.Image) (*input, error) {
	b := img.Bounds()
	depth := segment.Depth(img)
	if err := chooseBits(c, in, depth > 8, func() int { return segment.UsedBits(img) }); err != nil {
		return nil, err
	}
	in.plane = &segment.Plane{Width: b.Dx(), Height: b.Dy(), Max: 1<<in.bits - 1}
	if c.visualization == 1 {
		in.thumb = figure.Shrink(img, figureSide)
		in.thumbX, _ = segment.ColourSamples[float64](in.thumb, c.channel, in.bits) // its pixels are img's: no error
	}
	if c.histogram && depth != 8 && c.method == "histogram" {
		return nil, fmt.Errorf("--method=histogram counts 8-bit colours; this image has %d bits (--method=pixels fits them)", depth)
	}
	var err error
	switch {
	case c.histogram && depth == 8 && c.precision == "float32":
		in.x32, in.weights, in.classes, err = colourHistogram[float32](c, img)
	case c.histogram && depth == 8:
		in.x64, in.weights, in.classes, err = colourHistogram[float64](c, img)
	case c.precision == "float32":
		in.method = "pixels"
		in.src32, err = pixels[float32](img, c.channel, in.bits)
	default:
		in.method = "pixels"
		in.src64, err = pixels[float64](img, c.channel, in.bits)
	}
	if err != nil && c.bits != 0 {
		return nil, fmt.Errorf("--bits=%d: %w", c.bits, err)
	}
	return in, err
}

// pixels returns img's pixels as samples of the colour space ch, read as they are needed.
func pixels[T float32 | float64](img image.Image, ch segment.Channel, bits int) (gmm.Source[T], error) {
	px, err := segment.ColourPixels[T](img, ch, bits)
	if err != nil {
		return nil, err // not a nil *Pixels in an interface
	}
	return px, nil
}

// colourHistogram counts img's distinct colours in c's space and returns them as samples,
// their counts, and the labelling of the pixels through them.
func colourHistogram[T float32 | float64](c *plan, img image.Image) ([]T, []float64, func(context.Context, *gmm.Model, *segment.Plane, gmm.Exec) error, error) {
	h, err := segment.NewColourHistogram[T](context.Background(), img, c.channel)
	if err != nil {
		return nil, nil, nil, err
	}
	return h.X, h.Counts, h.Classes, nil
}

// gray returns the plane of gray levels as an image: 16-bit if wide.
func gray(p *segment.Plane, wide bool) image.Image {
	if wide {
		return p.Image16()
	}
	return p.Image()
}

// useBits scales a 16-bit image's plane p by the bits its levels use (--bits, or the
// fewest from 8 that hold its maximum), so that 8-bit data saved as 16-bit fit as the
// 8-bit file does; an 8-bit image uses 8.
func useBits(c *plan, in *input, p *segment.Plane) error {
	if err := chooseBits(c, in, p.Max > 255, p.UsedBits); err != nil {
		return err
	}
	if err := p.SetBits(in.bits); err != nil {
		return fmt.Errorf("--bits=%d: %w", c.bits, err)
	}
	return nil
}

// chooseBits sets in.bits and in.wide for an image, 16-bit if wide, whose levels use the
// bits used() counts: --bits, or those; 8 for an 8-bit image.
func chooseBits(c *plan, in *input, wide bool, used func() int) error {
	in.bits, in.wide = 8, wide
	if !wide {
		if c.bits != 0 && c.bits != 8 {
			return fmt.Errorf("--bits=%d: the image is 8-bit", c.bits)
		}
		return nil
	}
	in.bits = c.bits
	if in.bits == 0 {
		in.bits = used()
	}
	return nil
}
