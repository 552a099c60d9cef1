package gmmbeam

import (
	"context"
	"encoding/json"
	"fmt"
	"image"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/segment"
	"github.com/gmmsimd/gmmsimd/segment/inputs"
)

// Images are image files, on any filesystem Beam has registered, read as samples of one
// channel (luma, red, green, blue: one feature) or colour space (rgb, lab, ycbcr: three)
// as gmmseg reads them: values of 8-bit images as level/255, of 16-bit ones as
// level/65535, so that both kinds mix in one collection. A file that cannot be read or
// decoded (or holds more than MaxPixels pixels, 0 for segment's default) is a Failure,
// never an error of the pipeline.
type Images struct {
	Paths     []string
	Channel   segment.Channel
	MaxPixels int64
}

func init() {
	register.DoFn4x0[context.Context, string, func(Shard), func(Failure)](&imageShardFn{})
	register.DoFn4x0[context.Context, string, func([]byte), func(Failure)](&imageHistogramFn{})
	register.DoFn3x0[context.Context, string, func(Failure)](&segmentFn{})
	register.Emitter1[Shard]()
	register.Emitter1[Failure]()
}

// Shards is the Source of the images' pixels, one Shard an image.
func (im Images) Shards() Source {
	return func(s beam.Scope) (beam.PCollection, beam.PCollection) {
		paths := beam.Reshuffle(s, beam.CreateList(s, im.Paths))
		return beam.ParDo2(s, &imageShardFn{Channel: int(im.Channel), MaxPixels: im.MaxPixels}, paths)
	}
}

// Histograms is the Source of the images' histograms (Histogram binary forms), one
// an image: of their levels in one channel, or of their colours.
func (im Images) Histograms() Source {
	return func(s beam.Scope) (beam.PCollection, beam.PCollection) {
		paths := beam.Reshuffle(s, beam.CreateList(s, im.Paths))
		return beam.ParDo2(s, &imageHistogramFn{Channel: int(im.Channel), MaxPixels: im.MaxPixels}, paths)
	}
}

// open reads and decodes the image at p.
func open(ctx context.Context, p string, maxPixels int64) (image.Image, error) {
	return onFS(ctx, p, func(fs filesystem.Interface) (image.Image, error) {
		r, err := fs.OpenRead(ctx, p)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return segment.Decode(r, maxPixels)
	})
}

// samples returns img's pixels as samples of the channel or colour space ch.
func samples(img image.Image, ch segment.Channel) ([]float64, error) {
	if ch.Dims() > 1 {
		return segment.ColourSamples[float64](img, ch, segment.Depth(img))
	}
	p, err := segment.NewPlane(img, ch)
	if err != nil {
		return nil, err
	}
	return segment.Samples[float64](p), nil
}

// histogram returns the histogram of img's pixels as samples of ch: counted by level or,
// for an 8-bit image's colours, by colour code, without a sort of every pixel.
func histogram(ctx context.Context, img image.Image, ch segment.Channel) (*Histogram, error) {
	switch {
	case ch.Dims() == 1:
		p, err := segment.NewPlane(img, ch)
		if err != nil {
			return nil, err
		}
		counted, err := segment.Histogram[float64](ctx, p, gmm.Exec{})
		if err != nil {
			return nil, err
		}
		return NewHistogram(counted.Samples.([]float64), counted.Weights, 1)
	case segment.Depth(img) == 8:
		h, err := segment.NewColourHistogram[float64](ctx, img, ch)
		if err != nil {
			return nil, err
		}
		return NewHistogram(h.X, h.Counts, 3)
	}
	x, err := samples(img, ch)
	if err != nil {
		return nil, err
	}
	return NewHistogram(x, nil, 3)
}

// imageShardFn reads an image as a Shard of its pixels.
type imageShardFn struct {
	Channel   int
	MaxPixels int64
}

func (f *imageShardFn) ProcessElement(ctx context.Context, p string, emit func(Shard), failed func(Failure)) {
	img, err := open(ctx, p, f.MaxPixels)
	var x []float64
	if err == nil {
		x, err = samples(img, segment.Channel(f.Channel))
	}
	if err != nil {
		failed(Failure{p, err.Error()})
		return
	}
	emit(Shard{Key: p, X: x})
}

// imageHistogramFn reads an image as the binary form of its histogram.
type imageHistogramFn struct {
	Channel   int
	MaxPixels int64
}

func (f *imageHistogramFn) ProcessElement(ctx context.Context, p string, emit func([]byte), failed func(Failure)) {
	img, err := open(ctx, p, f.MaxPixels)
	var h *Histogram
	if err == nil {
		h, err = histogram(ctx, img, segment.Channel(f.Channel))
	}
	var b []byte
	if err == nil {
		b, err = h.MarshalBinary()
	}
	if err != nil {
		failed(Failure{p, err.Error()})
		return
	}
	emit(b)
}

// OutputSuffix ends the name of an image's segmentation: <name>_segmented.png.
const OutputSuffix = "_segmented"

// Segment segments every image with the model m in a pipeline, each to
// <name>_segmented.png in outDir (a local folder the workers share), as gmmseg --model
// does with its default outputs: the gray levels of the components' means for one
// channel, their mean colours for a colour space. It returns the images that failed. A
// model that Validate refuses (nil among them), or a cfg without Temp, is an error.
func (im Images) Segment(ctx context.Context, m *gmm.Model, outDir string, cfg Config) ([]Failure, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	model, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	_, failures, err := cfg.runFor(ctx, "segment", func(s beam.Scope) (beam.PCollection, []result) {
		paths := beam.Reshuffle(s, beam.CreateList(s, im.Paths))
		fn := &segmentFn{Model: model, Channel: int(im.Channel), MaxPixels: im.MaxPixels, OutDir: outDir}
		return beam.ParDo(s, fn, paths), nil
	})
	return failures, err
}

// segmentFn segments an image with Model (JSON) and writes it to OutDir.
type segmentFn struct {
	Model     []byte
	Channel   int
	MaxPixels int64
	OutDir    string
	m         gmm.Model
}

func (f *segmentFn) Setup() error {
	if err := json.Unmarshal(f.Model, &f.m); err != nil {
		return err
	}
	return f.m.Validate()
}

func (f *segmentFn) ProcessElement(ctx context.Context, p string, failed func(Failure)) {
	img, err := open(ctx, p, f.MaxPixels)
	if err == nil {
		err = f.segment(ctx, img, inputs.Output(p, f.OutDir, OutputSuffix))
	}
	if err != nil {
		failed(Failure{p, err.Error()})
	}
}

// segment segments img and writes it to out.
func (f *segmentFn) segment(ctx context.Context, img image.Image, out string) error {
	ch := segment.Channel(f.Channel)
	depth := segment.Depth(img)
	if ch.Dims() == 1 {
		p, err := segment.NewPlane(img, ch)
		if err != nil {
			return err
		}
		if err := segment.Segment[float64](ctx, &f.m, nil, p, gmm.Exec{}); err != nil {
			return err
		}
		return segment.WritePNG(out, p.Image()) // 16-bit for a 16-bit image: Segment keeps p.Max
	}
	src, err := segment.ColourPixels[float64](img, ch, depth)
	if err != nil {
		return err
	}
	b := img.Bounds()
	p := &segment.Plane{Width: b.Dx(), Height: b.Dy(), Max: 1<<depth - 1}
	if err := segment.ColourClasses(ctx, &f.m, src, p, ch, gmm.Exec{}); err != nil {
		return err
	}
	seg, err := segment.MeanColourImage(&f.m, p, ch, 1<<depth-1, depth)
	if err != nil {
		return err
	}
	if err := segment.WritePNG(out, seg); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}
