package gmm

import "errors"

// The second moments of a pass are taken about centres, the means of the model the pass
// runs under, and the M-step's variance is B/N - (D/N)^2: it loses about
// log2(B/(N sigma^2)) bits to cancellation, few while a component's mean moves by less
// than a few of its new standard deviations, as it does once EM settles. Where it moved
// further (a narrow component that jumps across the data, features of very different
// scales), the pass is run again under the same model, centred on the new means, and the
// M-step takes those moments: the same responsibilities, a shift of almost nothing, and a
// variance exact to the precision of the sums. Statistics merged from shards take the
// same second pass over the shards.

// maxMomentRatio bounds the cancellation an M-step accepts: a component whose mean moved
// from the centre of its moments by delta, in units of its new covariance Sigma, has
// lost = 1 + delta^T Sigma^-1 delta, and its covariance carries lost times the rounding
// error of moments taken about the new mean (in every direction: the worst is that of the
// covariance's smallest eigenvalue, through its precision). 16, 4 bits lost, leaves
// float64 sums 48 bits and the float32 lanes' sums (which carry a relative error of up to
// about 2^-19) 15 more than their own.
const maxMomentRatio = 16

// maxCentrings is how many times the pass of one iteration runs again. Once suffices
// unless a component moved by about 10^30 of its standard deviations: the means of the
// first pass are then off by more than one, and the second centring fixes that.
const maxCentrings = 3

// errCancelled is what an M-step whose moments cancelled returns, having set the model's
// means, for its pass to run again about them.
var errCancelled = errors.New("the second moments cancelled")

// is64 reports whether T is float64.
func is64[T float32 | float64]() bool {
	var v T
	_, ok := any(v).(float64)
	return ok
}
