package gmm

import "context"

// Fitted and FitKeep are fitted and fitKeep for the tests of package gmm_test.
type Fitted = fitted

// FitKeep is fitKeep.
func FitKeep[T float32 | float64](ctx context.Context, x []T, opt Options) (Fitted, error) {
	return fitKeep(ctx, x, opt)
}
