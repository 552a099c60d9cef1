package gmm

import "math"

// rules are what an M-step applies besides the maximum-likelihood estimates: AddedVariance
// (reg_covar) in the frame, added to every variance, and the floor and split rules of Fit,
// which record in res what they did in iteration it. A variance, or a conditional
// variance of several features, below leastAt is where a fit would fail. Once the floor
// acted on a component (stuck), it bounds that component's variances from then on. With
// centring, an M-step whose moments cancelled (see centre.go) is abandoned for its pass
// to run again.
type rules struct {
	minVar float64
	// least is the least variance the kernels take, resolution the samples' precision
	// relative to their magnitude, frame the frame the fit runs in.
	least, resolution float64
	frame             frame
	it                int
	res               *Result
	stuck             []bool
	centring          bool
	// cancelled says that the M-step's moments cancelled; floored lists the components
	// the floor raised in it, recorded in res and stuck once the M-step stands.
	cancelled bool
	floored   []int
	// dataVar, when set, is the data's variance of each feature, for the floor: where the
	// statistics do not cover the data (a start of one sample a component). Otherwise the
	// floor takes it from the statistics, the law of total variance.
	dataVar []float64
}

// leastAt is the least variance about a mean mu (in the frame) where a fit does not fail:
// what the kernels take (least), and the square of the samples' resolution at mu. A
// Gaussian narrower than that has its samples on its mean or far away: a component on
// one repeated value, as the samples' precision sees it.
func (r *rules) leastAt(mu float64) float64 {
	s := r.resolution * r.frame.magnitude(mu)
	return max(r.least, float64(s*s))
}

// floor returns the variance v of component k, or to where the floor acts on it: where
// v is below least, or below to once the floor has acted on k.
func (r *rules) floor(v, to, least float64, k int) float64 {
	to = max(to, least)
	if v >= least && !(r.stuck[k] && v < to) {
		return v
	}
	r.floored = append(r.floored, k)
	return to
}

// bound sets w.least and w.to to the bound on the conditional variances of component k
// (k < 0: of every component with weight, as Tied shares them; see cholesky): below
// leastAt the means, or below the floor once it has acted on the component, they become
// the floor (w.floor, at least leastAt).
func (r *rules) bound(w *multiWork, m *Model, k int) bound {
	d := len(w.least)
	stuck := false
	clear(w.least)
	for j, wt := range m.Weights {
		if j != k && (k >= 0 || !(wt > 0)) {
			continue
		}
		for a := range d {
			w.least[a] = max(w.least[a], r.leastAt(m.Means[j*d+a]))
		}
		stuck = stuck || r.stuck[j]
	}
	for a := range d {
		w.to[a] = max(w.floor[a], w.least[a])
	}
	if stuck {
		return bound{below: w.to, to: w.to}
	}
	return bound{below: w.least, to: w.to}
}

// moved takes in how far a component's mean moved from its centre: by lost, one plus the
// squared distance in units of its new covariance (see centre.go).
func (r *rules) moved(lost float64) {
	r.cancelled = r.cancelled || !(lost <= maxMomentRatio)
}

// finish ends an M-step of m: errCancelled if its moments cancelled and its pass may
// run again, else the floor's record, then the splits of every component of m left
// without weight, the widest split into it. If no component keeps any weight there is
// nothing to split from: that is ErrUnfittable.
func (r *rules) finish(m *Model, split func(from, to int)) error {
	if r.centring && r.cancelled {
		return errCancelled
	}
	for _, k := range r.floored {
		r.stuck[k] = true
		r.record(k)
	}
	for k, w := range m.Weights {
		if w == 0 {
			from := widest(m)
			if from < 0 {
				return ErrUnfittable
			}
			split(from, k)
			r.res.Reseeded = append(r.res.Reseeded, Reseed{Iter: r.it, Component: k, From: from})
		}
	}
	return nil
}

// record records in res that the floor acted on component k in this iteration.
func (r *rules) record(k int) {
	for i := range r.res.Floored {
		if f := &r.res.Floored[i]; f.Component == k {
			f.Count++
			return
		}
	}
	r.res.Floored = append(r.res.Floored, Floor{Component: k, First: r.it, Count: 1})
}

// leastVariance is the least variance, or conditional variance, whose 1/(2 sigma^2) and
// whose Cholesky factor the kernels take in float64 or, with single, in float32 (whose
// lanes also take the factor's off-diagonal entries, up to 2^60 times larger); and the
// resolution of the samples relative to their magnitude: a 64th of the spacing of their
// numbers (2^-52 or 2^-23 of it), where the samples nearest a mean but not on it have
// densities below e^-2000 of its own.
func leastVariance(single bool) (least, resolution float64) {
	if single {
		return 0x1p-120, 0x1p-29
	}
	return minStdev * minStdev, 0x1p-58
}

// varianceFloor is the variance the floor gives, for data of the given variance and mean
// (see Fit).
func varianceFloor(variance, mean float64) float64 {
	if variance > 0 {
		return 1e-6 * variance
	}
	return 1e-18 * max(mean*mean, 1)
}

// widest returns the component of m with the largest weight times variance (its total
// variance, over several features), among those with weight.
func widest(m *Model) int {
	best, spread := -1, 0.0
	for k, w := range m.Weights {
		if v := m.spread(k); w > 0 && (best < 0 || v > spread) {
			best, spread = k, v
		}
	}
	return best
}

// split shares component from of m with component to: half its weight each, means half a
// standard deviation either side, and the variance that keeps the pair's mean and
// variance those of the component split (or minVar, if larger). Tied components keep
// the variance they share.
func split(m *Model, from, to int, minVar float64) {
	mu, v := m.Means[from], m.variance(from)
	sd := math.Sqrt(v)
	m.Weights[from] /= 2
	m.Weights[to] = m.Weights[from]
	m.Means[from], m.Means[to] = mu-sd/2, mu+sd/2
	if m.Covariance != Tied {
		m.Covariances[from] = max(v*3/4, minVar)
		m.Covariances[to] = m.Covariances[from]
	}
}
