package gmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// multiStart returns the start of run r for samples x of o.Dims features: K centres, as
// Init chooses them, then each component from the samples nearest its centre (its
// weight, mean and covariance), the covariances floored as an M-step floors them. The
// centres of InitEvenlySpaced and InitQuantiles lie on the data's principal axis: evenly
// from the lowest projection to the highest (the 1-D start spans [0, 1] instead), or at
// the (k + 1/2)/K weighted quantiles of the projections.
func multiStart[T float32 | float64](ctx context.Context, o *Options, x []T, r int) (Model, error) {
	d, k := max(o.Dims, 1), o.Components
	n := len(x) / d
	mean, cov := moments(x, o.Weights, d)
	var centres []float64
	switch o.Init {
	case InitEvenlySpaced, InitQuantiles:
		_, axis := principalAxis(cov, d)
		proj := make([]float64, n)
		for i := range n {
			for a := range d {
				proj[i] += (float64(x[i*d+a]) - mean[a]) * axis[a]
			}
		}
		s := summarise(proj, o.Weights)
		t := make([]float64, k)
		if o.Init == InitQuantiles {
			quantiles(proj, o.Weights, s, t)
		} else {
			for c := range t {
				t[c] = s.min + (s.max-s.min)*float64(c)/float64(max(k-1, 1))
			}
		}
		for c := range k {
			for a := range d {
				centres = append(centres, mean[a]+t[c]*axis[a])
			}
		}
	case InitRandomFromData, InitKMeansPP, InitKMeans:
		rng := rand.New(rand.NewPCG(o.Seed, uint64(r)))
		var err error
		if centres, err = seeds(ctx, x, o.Weights, d, k, o.Init != InitRandomFromData, rng); err != nil {
			return Model{}, fmt.Errorf("gmm: k-means++ seeding stopped: %w", err)
		}
		if o.Init == InitKMeans {
			if err := lloyd(ctx, x, o.Weights, d, centres, cov); err != nil {
				return Model{}, fmt.Errorf("gmm: k-means stopped: %w", err)
			}
		}
	default:
		return Model{}, fmt.Errorf("gmm: %w: unknown Init %v", ErrInvalidOptions, o.Init)
	}
	return fromCentresMulti(x, o.Weights, d, centres, cov), nil
}

// moments returns the weighted mean and covariance (d x d) of the samples x.
func moments[T float32 | float64](x []T, w []float64, d int) (mean, cov []float64) {
	n := len(x) / d
	mean, cov = make([]float64, d), make([]float64, d*d)
	total := 0.0
	for i := range n {
		wi := weight(w, i)
		total += wi
		for a := range d {
			mean[a] += wi * float64(x[i*d+a])
		}
	}
	for a := range d {
		mean[a] /= total
	}
	for i := range n {
		wi := weight(w, i)
		for a := range d {
			da := float64(x[i*d+a]) - mean[a]
			for b := a; b < d; b++ {
				cov[a*d+b] += wi * da * (float64(x[i*d+b]) - mean[b])
			}
		}
	}
	for i := range cov {
		cov[i] /= total
	}
	symmetrise(cov, d)
	return mean, cov
}

// seeds returns k centres drawn from the samples: by weight (InitRandomFromData, redrawing
// a few times one already taken), or by k-means++'s rule, by weight times the squared
// distance to the nearest centre so far. The context is looked at every 1<<16 samples.
func seeds[T float32 | float64](ctx context.Context, x []T, w []float64, d, k int, plusPlus bool, rng *rand.Rand) ([]float64, error) {
	n := len(x) / d
	centres := make([]float64, 0, k*d)
	nearest := make([]float64, n) // squared distance to the nearest centre
	for i := range nearest {
		nearest[i] = math.Inf(1)
	}
	p := func(i int) float64 { return weight(w, i) }
	for c := range k {
		total := 0.0
		for i := range n {
			if i&(1<<16-1) == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if c > 0 && plusPlus {
				nearest[i] = min(nearest[i], dist2(x[i*d:(i+1)*d], centres[(c-1)*d:]))
			}
			total += p(i)
		}
		if c > 0 && plusPlus && total > 0 {
			p = func(i int) float64 { return weight(w, i) * nearest[i] }
			total = 0
			for i := range n {
				total += p(i)
			}
		}
		i := draw(n, p, total, rng)
		for try := 0; !plusPlus && try < 32 && taken(centres, x[i*d:(i+1)*d]); try++ {
			i = draw(n, p, total, rng)
		}
		for a := range d {
			centres = append(centres, float64(x[i*d+a]))
		}
	}
	return centres, nil
}

// dist2 is the squared distance between the sample v and the first centre in c.
func dist2[T float32 | float64](v []T, c []float64) float64 {
	s := 0.0
	for a, x := range v {
		diff := float64(x) - c[a]
		s += diff * diff
	}
	return s
}

// nearest returns the centre nearest the sample v (the first on a tie).
func nearest[T float32 | float64](v []T, centres []float64) int {
	d := len(v)
	best, bestD := 0, math.Inf(1)
	for c := 0; c*d < len(centres); c++ {
		if dd := dist2(v, centres[c*d:]); dd < bestD {
			best, bestD = c, dd
		}
	}
	return best
}

// taken reports whether the sample v is one of the centres.
func taken[T float32 | float64](centres []float64, v []T) bool {
	d := len(v)
	for c := 0; c+d <= len(centres); c += d {
		if dist2(v, centres[c:]) == 0 {
			return true
		}
	}
	return false
}

// fromCentresMulti returns the full-covariance model whose component c is made of the
// samples nearest centre c: their share of the weight, their mean and their covariance,
// floored. A centre no sample is nearest to gets the weight 1e-3/K, its centre as mean
// and the data's covariance cov over K^2.
func fromCentresMulti[T float32 | float64](x []T, w []float64, d int, centres, cov []float64) Model {
	k := len(centres) / d
	n := len(x) / d
	m := Model{Dims: d, Weights: make([]float64, k), Means: make([]float64, k*d), Covariances: make([]float64, k*d*d)}
	sum, sq := make([]float64, k*d), make([]float64, k*d*d)
	total := 0.0
	for i := range n {
		best := nearest(x[i*d:(i+1)*d], centres)
		wi := weight(w, i)
		total += wi
		m.Weights[best] += wi
		for a := range d {
			da := float64(x[i*d+a]) - centres[best*d+a]
			sum[best*d+a] += wi * da
			for b := a; b < d; b++ {
				sq[(best*d+a)*d+b] += wi * da * (float64(x[i*d+b]) - centres[best*d+b])
			}
		}
	}
	floor := make([]float64, d)
	for a := range d {
		floor[a] = varianceFloor(cov[a*d+a], 0)
	}
	wk := newMultiWork(d)
	for c := range k {
		nc := m.Weights[c]
		if !(nc > 0) {
			m.Weights[c] = 1e-3 / float64(k) * total
			copy(m.Means[c*d:], centres[c*d:(c+1)*d])
			for i, v := range cov {
				wk.a[i] = v / float64(k*k)
			}
		} else {
			for a := range d {
				shift := sum[c*d+a] / nc
				m.Means[c*d+a] = centres[c*d+a] + shift
				for b := a; b < d; b++ {
					wk.a[a*d+b] = sq[(c*d+a)*d+b]/nc - shift*sum[c*d+b]/nc
				}
			}
		}
		floored(wk, 0, floor, d)
		copy(m.Covariances[c*d*d:], wk.a)
	}
	for c := range m.Weights {
		m.Weights[c] /= total
	}
	return m
}

// lloyd runs Lloyd's k-means iterations on the centres (k x d, in place) over the samples
// x (weights w): each centre moves to the weighted mean of the samples nearest it, until
// the centres move by less, in squared distance summed, than 1e-4 of the mean of the
// data's variances cov's diagonal holds (scikit-learn's tolerance), or 300 iterations. A
// centre nearest no sample stays. The context is looked at every 1<<16 samples.
func lloyd[T float32 | float64](ctx context.Context, x []T, w []float64, d int, centres, cov []float64) error {
	k, n := len(centres)/d, len(x)/d
	tol := 0.0
	for a := range d {
		tol += cov[a*d+a]
	}
	tol *= 1e-4 / float64(d)
	sum, mass := make([]float64, k*d), make([]float64, k)
	for range 300 {
		clear(sum)
		clear(mass)
		for i := range n {
			if i&(1<<16-1) == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			best := nearest(x[i*d:(i+1)*d], centres)
			wi := weight(w, i)
			mass[best] += wi
			for a := range d {
				sum[best*d+a] += wi * float64(x[i*d+a])
			}
		}
		shift := 0.0
		for c := range k {
			if !(mass[c] > 0) {
				continue
			}
			for a := range d {
				next := sum[c*d+a] / mass[c]
				shift += (next - centres[c*d+a]) * (next - centres[c*d+a])
				centres[c*d+a] = next
			}
		}
		if shift <= tol {
			break
		}
	}
	return nil
}
