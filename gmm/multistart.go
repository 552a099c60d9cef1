package gmm

import (
	"context"
	"fmt"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"math"
	"math/rand/v2"
	"slices"
)

// multiStart returns the start of run r for the samples s: K centres, as Init chooses
// them, then each component from the samples nearest its centre (its weight, mean and
// covariance), the covariances floored as an M-step floors them. The centres of
// InitEvenlySpaced and InitQuantiles lie on the data's principal axis: evenly from the
// lowest projection to the highest (the 1-D start spans [0, 1] instead), or at the
// (k + 1/2)/K weighted quantiles of the projections; those two read a bounded sample of
// the data (startSample).
func multiStart[T float32 | float64](ctx context.Context, o *Options, s *tiled[T], r int) (Model, error) {
	if o.Init == InitEvenlySpaced || o.Init == InitQuantiles {
		sampled := *o
		s, sampled.Weights = startSample(s, o.Weights)
		o = &sampled
	}
	d, k := s.d, o.Components
	mean, cov, err := moments(ctx, s, o.Weights)
	if err != nil {
		return Model{}, fmt.Errorf("gmm: the start stopped: %w", err)
	}
	var centres []float64
	switch o.Init {
	case InitEvenlySpaced, InitQuantiles:
		_, axis := principalAxis(cov, d)
		t, err := axisPoints(ctx, o, s, mean, axis)
		if err != nil {
			return Model{}, fmt.Errorf("gmm: the start stopped: %w", err)
		}
		for c := range k {
			for a := range d {
				centres = append(centres, mean[a]+t[c]*axis[a])
			}
		}
	case InitRandomFromData, InitKMeansPP, InitKMeans:
		rng := rand.New(rand.NewPCG(o.Seed, uint64(r)))
		if centres, err = seeds(ctx, s, o.Weights, k, o.Init != InitRandomFromData, rng); err != nil {
			return Model{}, fmt.Errorf("gmm: k-means++ seeding stopped: %w", err)
		}
		if o.Init == InitKMeans {
			if err := lloyd(ctx, s, o.Weights, centres, cov); err != nil {
				return Model{}, fmt.Errorf("gmm: k-means stopped: %w", err)
			}
		}
	default:
		return Model{}, fmt.Errorf("gmm: %w: unknown Init %v", ErrInvalidOptions, o.Init)
	}
	m, err := fromCentresMulti(ctx, s, o.Weights, centres, cov)
	if err != nil {
		return Model{}, fmt.Errorf("gmm: the start stopped: %w", err)
	}
	return m, nil
}

// axisPoints returns where the K centres of InitEvenlySpaced or InitQuantiles lie on the
// axis through mean, as distances along it: evenly from the lowest projection of a sample
// to the highest (their range, found tile by tile), or at the weighted quantiles of the
// projections (which are kept, one a sample).
func axisPoints[T float32 | float64](ctx context.Context, o *Options, s *tiled[T], mean, axis []float64) ([]float64, error) {
	d, k := s.d, o.Components
	project := func(x []T, i int) float64 {
		p := 0.0
		for a := range d {
			p += (float64(x[i*d+a]) - mean[a]) * axis[a]
		}
		return p
	}
	t := make([]float64, k)
	if o.Init == InitQuantiles {
		proj := make([]float64, s.n)
		err := s.eachTile(ctx, func(_, lo int, x []T) {
			for i := range len(x) / d {
				proj[lo+i] = project(x, i)
			}
		})
		quantiles(proj, o.Weights, summarise(proj, o.Weights), t)
		return t, err
	}
	lo, hi := make([]float64, s.count), make([]float64, s.count) // per tile
	err := s.eachTile(ctx, func(tile, _ int, x []T) {
		least, most := math.Inf(1), math.Inf(-1) // kept here, not in lo and hi, which tiles share cache lines of
		for i := range len(x) / d {
			p := project(x, i)
			least, most = min(least, p), max(most, p)
		}
		lo[tile], hi[tile] = least, most
	})
	least, most := slices.Min(lo), slices.Max(hi)
	for c := range t {
		t[c] = least + (most-least)*float64(c)/float64(max(k-1, 1))
	}
	return t, err
}

// moments returns the weighted mean and covariance (d x d) of the samples s, in two
// passes on the workers.
func moments[T float32 | float64](ctx context.Context, s *tiled[T], w []float64) (mean, cov []float64, err error) {
	d := s.d
	mean, cov = make([]float64, d), make([]float64, d*d)
	part := make([]float64, s.count*(d+1)) // per tile: the weighted sums, then the weight
	err = s.eachTile(ctx, func(t, lo int, x []T) {
		p := make([]float64, d+1) // summed here: neighbouring tiles' parts share cache lines
		for i := range len(x) / d {
			wi := weight(w, lo+i)
			p[d] += wi
			for a := range d {
				p[a] += wi * float64(x[i*d+a])
			}
		}
		copy(part[t*(d+1):], p)
	})
	if err != nil {
		return nil, nil, err
	}
	total := 0.0
	for t := range s.count {
		total += part[t*(d+1)+d]
		for a := range d {
			mean[a] += part[t*(d+1)+a]
		}
	}
	for a := range d {
		mean[a] /= total
	}
	part = make([]float64, s.count*d*d)
	err = s.eachTile(ctx, func(t, lo int, x []T) {
		p := make([]float64, d*d) // summed here: neighbouring tiles' parts share cache lines
		defer copy(part[t*d*d:], p)
		for i := range len(x) / d {
			wi := weight(w, lo+i)
			for a := range d {
				da := float64(x[i*d+a]) - mean[a]
				for b := a; b < d; b++ {
					p[a*d+b] += wi * da * (float64(x[i*d+b]) - mean[b])
				}
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	for t := range s.count {
		for i := range cov {
			cov[i] += part[t*d*d+i]
		}
	}
	for i := range cov {
		cov[i] /= total
	}
	symmetrise(cov, d)
	return mean, cov, nil
}

// seeds returns k centres drawn from the samples s: by weight (InitRandomFromData,
// redrawing a few times one already taken), or by k-means++'s rule, by weight times the
// squared distance to the nearest centre so far.
func seeds[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, k int, plusPlus bool, rng *rand.Rand) ([]float64, error) {
	n, d := s.n, s.d
	centres := make([]float64, 0, k*d)
	nearest := make([]float64, n) // squared distance to the nearest centre
	for i := range nearest {
		nearest[i] = math.Inf(1)
	}
	p := func(i int) float64 { return weight(w, i) }
	buf := make([]T, d)
	for c := range k {
		if c > 0 && plusPlus {
			err := s.eachTile(ctx, func(_, lo int, x []T) {
				for i := range len(x) / d {
					nearest[lo+i] = min(nearest[lo+i], dist2(x[i*d:(i+1)*d], centres[(c-1)*d:]))
				}
			})
			if err != nil {
				return nil, err
			}
		}
		total := 0.0
		for i := range n {
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
		for try := 0; !plusPlus && try < 32 && taken(centres, s.at(i, buf)); try++ {
			i = draw(n, p, total, rng)
		}
		for _, v := range s.at(i, buf) {
			centres = append(centres, float64(v))
		}
	}
	return centres, nil
}

// dist2 is the squared distance between the sample v and the first centre in c.
func dist2[T float32 | float64](v []T, c []float64) float64 {
	s := 0.0
	for a, x := range v {
		diff := float64(x) - c[a]
		s += float64(diff * diff)
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
func fromCentresMulti[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, centres, cov []float64) (Model, error) {
	d := s.d
	k := len(centres) / d
	m := Model{Dims: d, Weights: make([]float64, k), Means: make([]float64, k*d), Covariances: make([]float64, k*d*d)}
	// Per tile: each cluster's weight (N), shifted sums (S) and products (Q), and the
	// total weight (LogLik).
	parts := newPartials(s.count, k, d)
	err := s.eachTile(ctx, func(t, lo int, x []T) {
		p := &parts[t]
		total := 0.0 // summed here: neighbouring tiles' LogLik share cache lines
		defer func() { p.LogLik = total }()
		for i := range len(x) / d {
			best := nearest(x[i*d:(i+1)*d], centres)
			wi := weight(w, lo+i)
			total += wi
			p.N[best] += wi
			for a := range d {
				da := float64(x[i*d+a]) - centres[best*d+a]
				p.S[best*d+a] += wi * da
				for b := a; b < d; b++ {
					p.Q[(best*d+a)*d+b] += wi * da * (float64(x[i*d+b]) - centres[best*d+b])
				}
			}
		}
	})
	if err != nil {
		return Model{}, err
	}
	clustersToModel(&m, sumPartials(parts, k, d), centres, cov)
	return m, nil
}

// clustersToModel sets m from the clusters' statistics (N their weights, S and Q their
// sums shifted by the centres, LogLik the total weight), as fromCentresMulti says.
func clustersToModel(m *Model, all *kernel.MultiStats, centres, cov []float64) {
	d, k := m.Dims, m.K()
	copy(m.Weights, all.N)
	sum, sq, total := all.S, all.Q, all.LogLik
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
		floored(wk, 0, bound{floor, floor}, d)
		copy(m.Covariances[c*d*d:], wk.a)
	}
	for c := range m.Weights {
		m.Weights[c] /= total
	}
}

// lloyd runs Lloyd's k-means iterations on the centres (k x d, in place) over the samples
// s (weights w): each centre moves to the weighted mean of the samples nearest it, until
// the centres move by less, in squared distance summed, than 1e-4 of the mean of the
// data's variances cov's diagonal holds (scikit-learn's tolerance), or 300 iterations. A
// centre nearest no sample stays.
func lloyd[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, centres, cov []float64) error {
	d := s.d
	k := len(centres) / d
	tol := 0.0
	for a := range d {
		tol += cov[a*d+a]
	}
	tol *= 1e-4 / float64(d)
	parts := newPartials(s.count, k, d) // per tile: each cluster's weight (N) and sums (S)
	for range 300 {
		for t := range parts {
			parts[t].Reset()
		}
		err := s.eachTile(ctx, func(t, lo int, x []T) {
			p := &parts[t]
			for i := range len(x) / d {
				best := nearest(x[i*d:(i+1)*d], centres)
				wi := weight(w, lo+i)
				p.N[best] += wi
				for a := range d {
					p.S[best*d+a] += wi * float64(x[i*d+a])
				}
			}
		})
		if err != nil {
			return err
		}
		all := sumPartials(parts, k, d)
		sum, mass := all.S, all.N
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

// newPartials returns n zeroed statistics of k components over d features: one per tile
// of a pass, what checkStatsMemory bounds.
func newPartials(n, k, d int) []kernel.MultiStats {
	out := make([]kernel.MultiStats, n)
	for t := range out {
		out[t] = *kernel.NewMultiStats(k, d)
	}
	return out
}

// sumPartials returns the sum of the tiles' statistics, added up in tile order.
func sumPartials(parts []kernel.MultiStats, k, d int) *kernel.MultiStats {
	all := kernel.NewMultiStats(k, d)
	for t := range parts {
		all.Add(&parts[t])
	}
	return all
}
