package gmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// scikit-learn's starts (init_params) are responsibilities followed by one M-step, the
// M-step of every iteration: InitKMeans the clusters of k-means (each sample wholly its
// nearest final centre's), InitKMeansPP and InitRandomFromData one sample a component (its
// seed), InitRandom random responsibilities. Every pass over the samples runs on the
// driver's workers, tile by tile, each tile's sums added in tile order: the same start
// for any number of threads.

// fromResponsibilities reports whether the start is responsibilities and an M-step.
func (i Init) fromResponsibilities() bool {
	return i == InitKMeans || i == InitKMeansPP || i == InitRandomFromData || i == InitRandom
}

// startRecord is what the safety rules did in a start's M-step (iteration -1), for the
// fit's Result.
type startRecord struct {
	floored  []Floor
	reseeded []Reseed
}

// respStart returns the start of run r that Init, one of scikit-learn's, makes of the
// samples s (in the frame of data), and what the rules did in its M-step.
func respStart[T float32 | float64](ctx context.Context, o *Options, s *tiled[T], data dataset, r int) (Model, startRecord, error) {
	d, k := s.d, o.Components
	mean, cov, err := moments(ctx, s, o.weights)
	if err != nil {
		return Model{}, startRecord{}, fmt.Errorf("gmm: the start stopped: %w", err)
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(r)))
	var stats *kernel.MultiStats
	var centre, dataVar []float64
	switch o.Init {
	case InitRandom:
		centre = make([]float64, 0, k*d)
		for range k {
			centre = append(centre, mean...)
		}
		stats, err = randomStats(ctx, s, o.weights, centre, rng.Uint64())
	case InitKMeans:
		// The seeds and Lloyd's iterations on a bounded sample, then every sample's
		// cluster: their passes run in Go, and over every pixel of a 20-megapixel photo
		// they took 15 times the fit that followed.
		sampled, sw := startSample(s, o.weights)
		if centre, err = seeds(ctx, sampled, sw, k, true, rng); err != nil {
			break
		}
		if _, err = lloyd(ctx, sampled, sw, centre, cov); err != nil {
			break
		}
		stats, err = clusterStats(ctx, s, o.weights, centre)
	default: // a seed a component, its sample alone: no spread, and no data's variance
		seeded, sw := s, o.weights
		if o.Init == InitKMeansPP { // k passes of distances: on a bounded sample, as above
			seeded, sw = startSample(s, o.weights)
		}
		if centre, err = seeds(ctx, seeded, sw, k, o.Init == InitKMeansPP, rng); err != nil {
			break
		}
		stats = kernel.NewMultiStats(k, d)
		for c := range k {
			stats.N[c] = 1
		}
		dataVar = make([]float64, d)
		for a := range d {
			dataVar[a] = cov[a*d+a]
		}
	}
	if err != nil {
		return Model{}, startRecord{}, fmt.Errorf("gmm: the %v start stopped: %w", o.Init, err)
	}
	return startMStep(o, data, stats, centre, dataVar)
}

// startMStep returns the model of the M-step from the statistics s, moments about centre
// (K x Dims), with AddedVariance and the floor (of dataVar, the data's variance of each
// feature, where s do not cover the data; else of their own), and what the floor and the
// split did, as iteration -1.
func startMStep(o *Options, data dataset, s *kernel.MultiStats, centre, dataVar []float64) (Model, startRecord, error) {
	d, k := max(o.Dims, 1), o.Components
	m := Model{Dims: o.Dims, Covariance: o.Covariance, Weights: make([]float64, k), Means: make([]float64, k*d),
		Covariances: make([]float64, covarianceLen(o.Covariance, k, d))}
	least, resolution := leastVariance(data.single)
	var rec Result
	r := rules{minVar: data.frame.varianceIn(o.AddedVariance), least: least, resolution: resolution, frame: data.frame,
		it: -1, res: &rec, stuck: make([]bool, k), dataVar: dataVar}
	var err error
	if d == 1 {
		err = mStep(&m, centre, &kernel.Stats{N: s.N, D: s.S, B: s.Q}, &r)
	} else {
		err = mStepMulti(&m, centre, s, &r, newMultiWork(d))
	}
	if err != nil {
		return Model{}, startRecord{}, fmt.Errorf("gmm: the %v start: %w", o.Init, err)
	}
	return m, startRecord{floored: rec.Floored, reseeded: rec.Reseeded}, nil
}

// seeds returns k centres drawn from the samples s (weights w) with rng. With plusPlus,
// k-means++ as scikit-learn seeds it (greedily): the first drawn by weight, each next the
// best of 2 + floor(ln k) candidates drawn by weight times the squared distance to the
// nearest centre so far, the one that leaves the least total of those; where every
// sample is on a centre, candidates are drawn by weight. Without, every centre is drawn
// by weight (scikit-learn's random_from_data), a sample whose value is taken already
// drawn again, up to 32 times.
func seeds[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, k int, plusPlus bool, rng *rand.Rand) ([]float64, error) {
	n, d := s.n, s.d
	centres := make([]float64, 0, k*d)
	buf := make([]T, d)
	add := func(i int) {
		for _, v := range s.at(i, buf) {
			centres = append(centres, float64(v))
		}
	}
	byWeight := func(i int) float64 { return weight(w, i) }
	total := 0.0
	for i := range n {
		total += weight(w, i)
	}
	if !plusPlus {
		for range k {
			i := draw(n, byWeight, total, rng)
			for try := 0; try < 32 && taken(centres, s.at(i, buf)); try++ {
				i = draw(n, byWeight, total, rng)
			}
			add(i)
		}
		return centres, nil
	}
	trials := 2 + int(math.Log(float64(k)))
	nearest := make([]float64, n) // squared distance to the nearest centre
	for i := range nearest {
		nearest[i] = math.Inf(1)
	}
	add(draw(n, byWeight, total, rng))
	potential, err := closer(ctx, s, w, nearest, centres)
	cand, pots := make([]int, trials), make([]float64, trials)
	for err == nil && len(centres) < k*d {
		p, t := byWeight, total
		if potential > 0 {
			p, t = func(i int) float64 { return weight(w, i) * nearest[i] }, potential
		}
		candidates := make([]float64, 0, trials*d)
		for j := range cand {
			cand[j] = draw(n, p, t, rng)
			for _, v := range s.at(cand[j], buf) {
				candidates = append(candidates, float64(v))
			}
		}
		if err = potentials(ctx, s, w, nearest, candidates, pots); err != nil {
			break
		}
		best := 0
		for j, v := range pots {
			if v < pots[best] {
				best = j
			}
		}
		add(cand[best])
		potential, err = closer(ctx, s, w, nearest, centres[len(centres)-d:])
	}
	return centres, err
}

// closer lowers nearest[i] to sample i's squared distance to the centre c where that is
// nearer, and returns the total of nearest weighted, added up in tile order.
func closer[T float32 | float64](ctx context.Context, s *tiled[T], w, nearest, c []float64) (float64, error) {
	d := s.d
	part := make([]float64, s.count)
	err := s.eachTile(ctx, func(t, lo int, x []T) {
		sum := 0.0 // here, not in part, whose neighbours share cache lines
		for i := range len(x) / d {
			nearest[lo+i] = min(nearest[lo+i], dist2(x[i*d:(i+1)*d], c))
			sum += weight(w, lo+i) * nearest[lo+i]
		}
		part[t] = sum
	})
	total := 0.0
	for _, v := range part {
		total += v
	}
	return total, err
}

// potentials sets pots[j] to the total of nearest weighted, were candidate j (of the
// candidates, j x d) a centre too.
func potentials[T float32 | float64](ctx context.Context, s *tiled[T], w, nearest, candidates, pots []float64) error {
	d, m := s.d, len(pots)
	part := make([]float64, s.count*m)
	err := s.eachTile(ctx, func(t, lo int, x []T) {
		sum := make([]float64, m)
		for i := range len(x) / d {
			for j := range m {
				sum[j] += weight(w, lo+i) * min(nearest[lo+i], dist2(x[i*d:(i+1)*d], candidates[j*d:]))
			}
		}
		copy(part[t*m:], sum)
	})
	clear(pots)
	for t := range s.count {
		for j := range m {
			pots[j] += part[t*m+j]
		}
	}
	return err
}

// lloydIterations is scikit-learn's KMeans max_iter.
const lloydIterations = 300

// lloyd runs k-means as scikit-learn's KMeans (Lloyd's algorithm, n_init=1) does from the
// centres (k x d, moved in place) over the samples s (weights w): each iteration labels
// every sample with its nearest centre (the first on a tie) and moves each centre to the
// weighted mean of its samples, a centre left without weight onto the sample farthest
// from its own centre (scikit-learn's relocation). It stops once an iteration changes no
// label, or the centres move by at most 1e-4 of the mean of the data's variances (cov's
// diagonal) in squared distance summed, or after 300 iterations. The clusters are then
// the samples nearest each centre. It returns the iterations run (KMeans's n_iter_). The
// labels take 2 bytes a sample.
func lloyd[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, centres, cov []float64) (int, error) {
	d := s.d
	k := len(centres) / d
	tol := 0.0
	for a := range d {
		tol += cov[a*d+a]
	}
	tol *= 1e-4 / float64(d)
	labels := make([]uint16, s.n) // k <= kernel.MaxComponents = 1 << 16
	changed := make([]int, s.count)
	parts := newPartials(s.count, k, d) // per tile: each cluster's weight (N) and sums (S)
	it := 0
	for ; it < lloydIterations; it++ {
		for t := range parts {
			parts[t].Reset()
		}
		err := s.eachTile(ctx, func(t, lo int, x []T) {
			p, moved := &parts[t], 0
			for i := range len(x) / d {
				best := nearest(x[i*d:(i+1)*d], centres)
				if it == 0 || int(labels[lo+i]) != best {
					moved++
				}
				labels[lo+i] = uint16(best)
				wi := weight(w, lo+i)
				p.N[best] += wi
				for a := range d {
					p.S[best*d+a] += wi * float64(x[i*d+a])
				}
			}
			changed[t] = moved
		})
		if err != nil {
			return it, err
		}
		all := sumPartials(parts, k, d)
		if err := relocate(ctx, s, w, labels, centres, all); err != nil {
			return it, err
		}
		shift, moved := 0.0, 0
		for c := range k {
			if !(all.N[c] > 0) {
				continue
			}
			for a := range d {
				next := all.S[c*d+a] / all.N[c]
				shift += (next - centres[c*d+a]) * (next - centres[c*d+a])
				centres[c*d+a] = next
			}
		}
		for _, m := range changed {
			moved += m
		}
		if moved == 0 || shift <= tol {
			return it + 1, nil
		}
	}
	return it, nil
}

// relocate gives each cluster of all (an iteration of lloyd's sums) left without weight
// the sample farthest from its own centre, the farthest for the first such cluster, the
// next for the next, taking it out of its own cluster's sums (its label stays).
func relocate[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, labels []uint16, centres []float64, all *kernel.MultiStats) error {
	var empty []int
	for c, n := range all.N {
		if !(n > 0) {
			empty = append(empty, c)
		}
	}
	if len(empty) == 0 {
		return nil
	}
	far, err := farthest(ctx, s, w, labels, centres, len(empty))
	d := s.d
	buf := make([]T, d)
	for e, i := range far {
		c, from, wi := empty[e], int(labels[i]), weight(w, i)
		for a, v := range s.at(i, buf) {
			all.S[from*d+a] -= wi * float64(v)
			all.S[c*d+a] = wi * float64(v)
		}
		all.N[from] -= wi
		all.N[c] = wi
	}
	return err
}

// farthest returns up to m samples of positive weight farthest from their labels'
// centres, the farthest first (the lowest index on a tie).
func farthest[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, labels []uint16, centres []float64, m int) ([]int, error) {
	d := s.d
	type far struct {
		dist float64
		i    int
	}
	// before orders the farthest first.
	before := func(a, b far) bool { return a.dist > b.dist || (a.dist == b.dist && a.i < b.i) }
	keep := func(top []far, f far) []far { // top, sorted, with f in its place, at most m
		j := len(top)
		for j > 0 && before(f, top[j-1]) {
			j--
		}
		if j >= m {
			return top
		}
		if len(top) < m {
			top = append(top, far{})
		}
		copy(top[j+1:], top[j:])
		top[j] = f
		return top
	}
	parts := make([][]far, s.count)
	err := s.eachTile(ctx, func(t, lo int, x []T) {
		var top []far
		for i := range len(x) / d {
			if weight(w, lo+i) > 0 {
				c := int(labels[lo+i])
				top = keep(top, far{dist2(x[i*d:(i+1)*d], centres[c*d:]), lo + i})
			}
		}
		parts[t] = top
	})
	var top []far
	for _, p := range parts {
		for _, f := range p {
			top = keep(top, f)
		}
	}
	out := make([]int, len(top))
	for j, f := range top {
		out[j] = f.i
	}
	return out, err
}

// clusterStats returns the statistics of the clusters of the centres (k x d): each
// sample wholly its nearest centre's (the first on a tie), their weights (N) and their
// sums about the centre (S, and Q's upper triangle).
func clusterStats[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, centres []float64) (*kernel.MultiStats, error) {
	d := s.d
	k := len(centres) / d
	parts := newPartials(s.count, k, d)
	err := s.eachTile(ctx, func(t, lo int, x []T) {
		p := &parts[t]
		total := 0.0 // summed here: neighbouring tiles' LogLik share cache lines
		defer func() { p.LogLik = total }()
		for i := range len(x) / d {
			v := x[i*d : (i+1)*d]
			wi := weight(w, lo+i)
			total += wi
			addSample(p, nearest(v, centres), wi, v, centres)
		}
	})
	return sumPartials(parts, k, d), err
}

// addSample adds the sample v, of responsibility times weight r for component c, to p:
// to its weight (N) and its sums about its centre in centres (S, and Q's upper triangle).
func addSample[T float32 | float64](p *kernel.MultiStats, c int, r float64, v []T, centres []float64) {
	d := len(v)
	p.N[c] += r
	for a := range d {
		da := float64(v[a]) - centres[c*d+a]
		p.S[c*d+a] += r * da
		for b := a; b < d; b++ {
			p.Q[(c*d+a)*d+b] += r * da * (float64(v[b]) - centres[c*d+b])
		}
	}
}

// randomStats returns the statistics of random responsibilities (scikit-learn's
// init_params='random'): sample i's K numbers drawn uniformly from [0, 1) by key and i
// alone, whatever the tiling, then divided by their sum; their weights (N) and sums about
// the centres (K x d: S, and Q's upper triangle).
func randomStats[T float32 | float64](ctx context.Context, s *tiled[T], w []float64, centres []float64, key uint64) (*kernel.MultiStats, error) {
	d := s.d
	k := len(centres) / d
	parts := newPartials(s.count, k, d)
	err := s.eachTile(ctx, func(t, lo int, x []T) {
		p, r := &parts[t], make([]float64, k)
		for i := range len(x) / d {
			sum := 0.0
			for c := range k {
				r[c] = unitFloat(key, uint64(lo+i)*uint64(k)+uint64(c))
				sum += r[c]
			}
			wi := weight(w, lo+i)
			for c := range k {
				addSample(p, c, wi*(r[c]/sum), x[i*d:(i+1)*d], centres)
			}
		}
	})
	return sumPartials(parts, k, d), err
}

// unitFloat returns the i-th number of the stream key, uniform on [0, 1): SplitMix64's
// output function of the i-th step, its top 53 bits. Any i is reached at once, so that
// every tile draws its samples' numbers by itself.
func unitFloat(key, i uint64) float64 {
	z := key + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) * 0x1p-53
}
