package gmm

import (
	"context"
	"fmt"

	"github.com/gmmsimd/gmmsimd/internal/drive"
)

// Candidate is one number of components, and covariance type, that SelectComponents
// fitted.
type Candidate struct {
	K          int
	Covariance Covariance
	Result     *Result
	// BIC is the Bayesian information criterion of the fitted model on the data,
	// -2 log L + p ln N, p its free parameters (Model.NumParameters) and N the samples'
	// total weight: lower is better.
	BIC float64
}

// Selection is the outcome of SelectComponents: every candidate, by covariance type in
// the order asked, then from the fewest components to the most, and the index of the one
// with the lowest BIC (the first of them on a tie).
type Selection struct {
	Candidates []Candidate
	Best       int
}

// SelectComponents fits the samples x (in any form Fit takes) with every number of components from lo to hi
// (opt.Components is ignored; every fit uses the rest of opt and one pool of workers) and
// picks the one of lowest BIC, scikit-learn's usual way of choosing K. Given covariance
// types, it fits each of them too (opt.Covariance is then ignored) and picks the type
// with the number. With weights (Weighted), N in the BIC is their sum. If a fit fails or ctx is
// cancelled, the error comes with the Selection of the candidates that finished before
// it (maybe none: then Best means nothing).
func SelectComponents(ctx context.Context, x any, lo, hi int, opt Options, types ...Covariance) (*Selection, error) {
	in, err := inputOf(x, opt.Dims)
	if err != nil {
		return nil, err
	}
	return in.selectK(ctx, lo, hi, opt, types)
}

// selectChecked runs SelectComponents on the checked samples s, in the data's frame.
func selectChecked[T float32 | float64](ctx context.Context, s *samples[T], lo, hi int, opt Options, data dataset, types []Covariance) (*Selection, error) {
	if err := checkRange(opt, data.n, lo, hi, types); err != nil {
		return nil, err
	}
	var sel *Selection
	err := opt.run(ctx, func(d *drive.Driver) (err error) {
		sel, err = selectK(ctx, d, s, lo, hi, opt, data, types)
		return err
	})
	return sel, err
}

// checkRange checks SelectComponents' range, types and the options of its fits, for n
// samples.
func checkRange(opt Options, n, lo, hi int, types []Covariance) error {
	if lo < 1 || hi < lo {
		return fmt.Errorf("gmm: %w: components from %d to %d, want 1 <= lo <= hi", ErrInvalidOptions, lo, hi)
	}
	for _, c := range append(types, opt.Covariance) {
		opt.Covariance = c
		for _, k := range []int{lo, hi} {
			opt.Components = k
			if err := opt.check(n, opt.weights != nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// selectK fits lo to hi components of each covariance type (opt's without types) to s,
// the samples in the data's frame (weights opt.weights), on d's workers and keeps the
// lowest BIC.
func selectK[T float32 | float64](ctx context.Context, d *drive.Driver, s *samples[T], lo, hi int, opt Options, data dataset, types []Covariance) (*Selection, error) {
	if len(types) == 0 {
		types = []Covariance{opt.Covariance}
	}
	sel := &Selection{}
	for _, c := range types {
		opt.Covariance = c
		for k := lo; k <= hi; k++ {
			opt.Components = k
			res, err := fit(ctx, d, s, opt, data)
			if err != nil {
				return sel, fmt.Errorf("%w (fitting %d components, %v)", err, k, c) // the candidates finished
			}
			sel.Candidates = append(sel.Candidates, Candidate{K: k, Covariance: c, Result: res,
				BIC: bic(res.LogLikelihood, res.Model.NumParameters(), data.total)})
			if cs := sel.Candidates; cs[len(cs)-1].BIC < cs[sel.Best].BIC {
				sel.Best = len(cs) - 1
			}
		}
	}
	return sel, nil
}
