package gmm

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// NoIterations fits nothing: the Result is the start, scored, as scikit-learn's max_iter=0
// leaves it (no iteration, not converged, lower bound -Inf); MaxIter 0 stays an error.
func TestNoIterations(t *testing.T) {
	x := sample(t, 36, 5000, truth)
	for _, init := range []Init{InitEvenlySpaced, InitQuantiles, InitKMeansPP} {
		one, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 1, Init: init, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		none, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: NoIterations, Init: init, Seed: 4, Tol: 1e-3})
		if err != nil {
			t.Fatal(err)
		}
		if len(none.History) != 0 || none.Converged || !math.IsInf(none.LowerBound, -1) || none.Passes != 1 {
			t.Errorf("%v: %d iterations, converged %v, lower bound %v, %d passes", init, len(none.History), none.Converged, none.LowerBound, none.Passes)
		}
		if !slices.Equal(none.Model.Means, one.Initial.Means) || !slices.Equal(none.Model.Covariances, one.Initial.Covariances) ||
			!slices.Equal(none.Initial.Weights, none.Model.Weights) {
			t.Errorf("%v: NoIterations gave %v, the start is %v", init, none.Model, one.Initial)
		}
		ll, err := LogLikelihood(t.Context(), &none.Model, x, Exec{})
		if err != nil {
			t.Fatal(err)
		}
		if relErr(none.LogLikelihood, ll) > 1e-12 {
			t.Errorf("%v: log-likelihood %v, the start scores %v", init, none.LogLikelihood, ll)
		}
		// After one iteration the lower bound is the start's mean log-likelihood.
		if relErr(one.LowerBound, none.LogLikelihood/float64(len(x))) > 1e-12 {
			t.Errorf("%v: lower bound after one iteration %v, the start's mean log-likelihood %v", init, one.LowerBound, none.LogLikelihood/float64(len(x)))
		}
	}
	for _, it := range []int{0, -2} {
		if _, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: it}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("MaxIter %d: %v", it, err)
		}
	}
}
