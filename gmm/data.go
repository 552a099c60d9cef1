package gmm

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Weighted is samples with one non-negative weight each (a count, say): every sum of EM,
// and the log-likelihood that Score, BIC and AIC judge a model by, is then weighted by
// it. Samples is any form of samples the functions take but a Weighted; nil Weights are
// the samples unweighted. Weights that count distinct values (CountLevels gives them)
// fit as the samples they count do.
type Weighted struct {
	Samples any
	Weights []float64
}

// input is samples in a form the functions take, of one precision, not yet checked: Fit,
// SelectComponents, the scoring functions and Predict each take it through one method.
type input interface {
	fit(ctx context.Context, opt Options) (*Result, error)
	selectK(ctx context.Context, lo, hi int, opt Options, types []Covariance) (*Selection, error)
	predict(ctx context.Context, m *Model, dst []uint16, e Exec) error
	scores(ctx context.Context, m *Model, e Exec, resp bool) ([]float64, error)
	logLikelihood(ctx context.Context, m *Model, e Exec) (ll, weight float64, err error)
	estep(ctx context.Context, p *Params, e Exec) (*Stats, error)
	summarize() (Summary, error)
}

// inputOf returns the samples x as the functions read them, dims features each where x
// does not say (a slice or a Source: 0 means 1; a matrix has its columns, which dims, if
// not 0, must equal).
func inputOf(x any, dims int) (input, error) {
	var w []float64
	if wx, ok := x.(Weighted); ok {
		x, w = wx.Samples, wx.Weights
	}
	switch x := x.(type) {
	case []float64:
		return sliceInput(x, w, dims)
	case []float32:
		return sliceInput(x, w, dims)
	case mat.Matrix:
		return matrixInput(x, w, dims)
	case Source[float64]:
		return sourceInput(x, w, dims)
	case Source[float32]:
		return sourceInput(x, w, dims)
	case Weighted:
		return nil, fmt.Errorf("gmm: %w: a Weighted of a Weighted", ErrInvalidData)
	case nil:
		return nil, fmt.Errorf("gmm: %w: no samples (nil)", ErrInvalidData)
	}
	return nil, fmt.Errorf("gmm: %w: samples of type %T: want []float64, []float32, a gonum mat.Matrix, a Source or a Weighted of one", ErrInvalidData, x)
}

// data are samples of one precision as a function received them: held in one row-major
// slice (s.x) or read from a source (s.src), with their weights.
type data[T float32 | float64] struct {
	s *samples[T]
	w []float64
}

// sliceInput returns x, samples of dims features each (0 means 1), row-major.
func sliceInput[T float32 | float64](x []T, w []float64, dims int) (input, error) {
	if err := checkShape(len(x), dims); err != nil {
		return nil, err
	}
	if x == nil {
		x = []T{} // held, not read from a source
	}
	return &data[T]{s: rowSamples(x, max(dims, 1)), w: w}, nil
}

// sourceInput returns the samples that src holds, dims features each (0 means 1).
func sourceInput[T float32 | float64](src Source[T], w []float64, dims int) (input, error) {
	if dims < 0 || dims > MaxDims {
		return nil, fmt.Errorf("gmm: %w: Dims is %d, want 0 to %d", ErrInvalidOptions, dims, MaxDims)
	}
	n := src.Len()
	if n < 0 {
		return nil, fmt.Errorf("gmm: %w: a source of %d samples", ErrInvalidData, n)
	}
	return &data[T]{s: &samples[T]{src: src, n: n, d: max(dims, 1), f: identityFrame}, w: w}, nil
}

// matrixInput returns the rows of m as samples: read where they are when m is a dense
// matrix whose rows lie one after another, else row by row as a Source.
func matrixInput(m mat.Matrix, w []float64, dims int) (input, error) {
	r, c := m.Dims()
	switch {
	case dims != 0 && dims != c:
		return nil, fmt.Errorf("gmm: %w: a matrix of %d columns, Dims is %d", ErrInvalidData, c, dims)
	case c > MaxDims:
		return nil, fmt.Errorf("gmm: %w: a matrix of %d columns, at most %d features are supported", ErrInvalidData, c, MaxDims)
	}
	if raw, ok := m.(mat.RawMatrixer); ok {
		if b := raw.RawMatrix(); b.Stride == c || r <= 1 {
			return sliceInput(b.Data[:r*c], w, c)
		}
	}
	return sourceInput[float64](matrixRows{m, c}, w, c)
}

// matrixRows reads a matrix's rows as samples: a strided view, a transpose or any other
// gonum matrix, whose At every reader may call at once (gonum's matrices are safe to
// read concurrently).
type matrixRows struct {
	m mat.Matrix
	c int
}

func (mr matrixRows) Len() int { r, _ := mr.m.Dims(); return r }

func (mr matrixRows) Read(dst []float64, lo int) {
	if raw, ok := mr.m.(mat.RawMatrixer); ok {
		b := raw.RawMatrix()
		for i := 0; i*mr.c < len(dst); i++ {
			copy(dst[i*mr.c:(i+1)*mr.c], b.Data[(lo+i)*b.Stride:])
		}
		return
	}
	for i := 0; i*mr.c < len(dst); i++ {
		for j := range mr.c {
			dst[i*mr.c+j] = mr.m.At(lo+i, j)
		}
	}
}

// checked returns the samples checked and in the frame the fit runs in, with what a fit
// knows of them.
func (in *data[T]) checked() (*samples[T], dataset, error) {
	if in.s.n == 0 {
		return nil, dataset{}, fmt.Errorf("gmm: %w: no samples", ErrInvalidData)
	}
	return checkSamples(in.s, in.w)
}

// fitted returns what a fit of the samples runs on: the samples checked and in the frame
// the fit runs in, what it knows of them, and opt with its defaults, the samples'
// weights and their number of features.
func (in *data[T]) fitted(opt Options) (*samples[T], Options, dataset, error) {
	s, data, err := in.checked()
	if err != nil {
		return nil, opt, dataset{}, err
	}
	opt = opt.withDefaults()
	opt.weights, opt.Dims = in.w, max(opt.Dims, s.dims())
	return s, opt, data, nil
}

func (in *data[T]) fit(ctx context.Context, opt Options) (*Result, error) {
	s, opt, data, err := in.fitted(opt)
	if err != nil {
		return nil, err
	}
	return fitChecked(ctx, s, opt, data)
}

func (in *data[T]) selectK(ctx context.Context, lo, hi int, opt Options, types []Covariance) (*Selection, error) {
	s, opt, data, err := in.fitted(opt)
	if err != nil {
		return nil, err
	}
	return selectChecked(ctx, s, lo, hi, opt, data, types)
}

// weight returns the samples' total weight (their number without weights), once the
// weights are checked: one non-negative finite weight a sample.
func (in *data[T]) weight() (float64, error) {
	if in.w == nil {
		return float64(in.s.n), nil
	}
	return checkWeights(in.w, in.s.n)
}

// dims is the Options.Dims of the samples: their features, 0 for one.
func (s *samples[T]) dims() int {
	if s.d == 1 {
		return 0
	}
	return s.d
}
