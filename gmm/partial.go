package gmm

import "fmt"

// A start given in part (Options.InitWeights, InitMeans, InitPrecisions) is scikit-learn's
// weights_init, means_init and precisions_init: Init makes its start as without them, and
// each part given then replaces its own, the rest staying what Init made.

// parts reports whether o gives any part of the start.
func (o *Options) parts() bool {
	return o.InitWeights != nil || o.InitMeans != nil || o.InitPrecisions != nil
}

// givenWhole reports whether o gives the whole start: InitModel, or every part.
func (o *Options) givenWhole() bool {
	return o.InitModel != nil || (o.InitWeights != nil && o.InitMeans != nil && o.InitPrecisions != nil)
}

// checkParts checks the shapes of the parts of the start that o gives.
func (o *Options) checkParts() error {
	k, d := o.Components, max(o.Dims, 1)
	switch {
	case o.InitModel != nil && o.parts():
		return fmt.Errorf("gmm: %w: InitModel and InitWeights, InitMeans or InitPrecisions: give one start", ErrInvalidOptions)
	case o.InitWeights != nil && len(o.InitWeights) != k:
		return fmt.Errorf("gmm: %w: %d InitWeights for %d components", ErrInvalidOptions, len(o.InitWeights), k)
	case o.InitMeans != nil && len(o.InitMeans) != k*d:
		return fmt.Errorf("gmm: %w: %d InitMeans for %d components of %d features", ErrInvalidOptions, len(o.InitMeans), k, d)
	case o.InitPrecisions != nil && len(o.InitPrecisions) != covarianceLen(o.Covariance, k, d):
		return fmt.Errorf("gmm: %w: %d InitPrecisions for %d components of %d features (%v): want %d",
			ErrInvalidOptions, len(o.InitPrecisions), k, d, o.Covariance, covarianceLen(o.Covariance, k, d))
	}
	return nil
}

// withParts returns m, a start in the frame f of o's covariance type (or the zero Model,
// given every part), with the parts o gives in place of its own, in the frame f: the
// model is taken out of the frame, given its parts, checked as a whole and taken back in.
func withParts(o *Options, f frame, m Model) (Model, error) {
	k, d := o.Components, max(o.Dims, 1)
	if m.Weights == nil {
		m = Model{Dims: o.Dims, Covariance: o.Covariance}
	} else {
		f.modelOut(&m)
	}
	if o.InitWeights != nil {
		m.Weights = append([]float64(nil), o.InitWeights...)
	}
	if o.InitMeans != nil {
		m.Means = append([]float64(nil), o.InitMeans...)
	}
	if o.InitPrecisions != nil {
		cov, err := covariancesOf(o.InitPrecisions, o.Covariance, k, d)
		if err != nil {
			return Model{}, fmt.Errorf("%w (InitPrecisions)", err)
		}
		m.Covariances = cov
	}
	return inFrame(o, f, &m, "the start with InitWeights, InitMeans or InitPrecisions")
}
