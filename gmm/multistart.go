package gmm

import (
	"context"
	"fmt"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"math"
	"slices"
)

// multiStart returns the start of InitEvenlySpaced or InitQuantiles for the samples s:
// K centres on the data's principal axis, evenly from the lowest projection to the
// highest (the 1-D start spans [0, 1] instead), or at the (k + 1/2)/K weighted quantiles
// of the projections, then each component from the samples nearest its centre (its
// weight, mean and covariance), the covariances floored as an M-step floors them. It
// reads a bounded sample of the data (startSample).
func multiStart[T float32 | float64](ctx context.Context, o *Options, s *tiled[T]) (Model, error) {
	sampled := *o
	s, sampled.weights = startSample(s, o.weights)
	o = &sampled
	d, k := s.d, o.Components
	mean, cov, err := moments(ctx, s, o.weights)
	if err != nil {
		return Model{}, fmt.Errorf("gmm: the start stopped: %w", err)
	}
	_, axis := principalAxis(cov, d)
	t, err := axisPoints(ctx, o, s, mean, axis)
	if err != nil {
		return Model{}, fmt.Errorf("gmm: the start stopped: %w", err)
	}
	centres := make([]float64, 0, k*d)
	for c := range k {
		for a := range d {
			centres = append(centres, mean[a]+t[c]*axis[a])
		}
	}
	m, err := fromCentresMulti(ctx, s, o.weights, centres, cov)
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
		quantiles(proj, o.weights, summarise(proj, o.weights), t)
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
	all, err := clusterStats(ctx, s, w, centres)
	if err != nil {
		return Model{}, err
	}
	clustersToModel(&m, all, centres, cov)
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
