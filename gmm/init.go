package gmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Init chooses the starting model of Fit when Options.InitModel is nil. Over several
// features (Options.Dims > 1) every start is K centres, then each component made of the
// samples nearest its centre (see each Init for its centres).
type Init int

const (
	// InitEvenlySpaced is the reference program's start: means evenly spaced over [0, 1]
	// (numpy's linspace(0, 1, K): 0 alone for K = 1), every variance 10/255, equal weights. It suits
	// data scaled to [0, 1], such as pixel values. Over several features the centres are
	// evenly spaced along the data's principal axis, from its lowest projection to its
	// highest.
	InitEvenlySpaced Init = iota
	// InitQuantiles puts the means at the (k + 1/2)/K quantiles of the data (weighted,
	// read off a histogram of 65536 bins between the smallest and largest sample), every
	// standard deviation at the data's divided by K, and equal weights. It is
	// deterministic and suits data of any scale. Over several features the centres lie
	// at those quantiles of the projections on the data's principal axis.
	InitQuantiles
	// InitKMeansPP is scikit-learn's "k-means++": K centres chosen by k-means++ seeding
	// (each sample drawn with probability proportional to its weight times its squared
	// distance to the nearest centre so far; Options.Seed), then every component from the
	// samples nearest its centre: their share of the weight, their mean and their
	// standard deviation.
	InitKMeansPP
	// InitRandomFromData takes K samples drawn by weight (Options.Seed), distinct values
	// when the data have them, as the means, every standard deviation at the data's
	// divided by K, and equal weights.
	InitRandomFromData
	// InitKMeans is scikit-learn's default start, "kmeans": k-means++ centres
	// (Options.Seed), then Lloyd's iterations until the centres move by less than 1e-4 of
	// the data's mean variance (squared) or 300 have run, then each component from the
	// samples nearest its centre: one M-step from the clusters.
	InitKMeans
)

var initNames = []string{"evenly-spaced", "quantiles", "kmeans++", "random-from-data", "kmeans"}

// String returns the initialisation's name, as ParseInit reads it.
func (i Init) String() string {
	if i >= 0 && int(i) < len(initNames) {
		return initNames[i]
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// ParseInit returns the initialisation called name: evenly-spaced, quantiles, kmeans++,
// random-from-data or kmeans.
func ParseInit(name string) (Init, error) {
	for i, n := range initNames {
		if n == name {
			return Init(i), nil
		}
	}
	return 0, fmt.Errorf("gmm: %w: unknown initialisation %q (want %s)", ErrInvalidOptions, name, strings.Join(initNames, ", "))
}

// Random reports whether the initialisation draws on Options.Seed, so that restarts
// (Options.NInit) differ.
func (i Init) Random() bool { return i == InitKMeansPP || i == InitRandomFromData || i == InitKMeans }

// summary is what the initialisations need to know of the data.
type summary struct {
	total, mean, stdev, min, max float64
}

// summarise returns the weighted mean and standard deviation (shifted by the first
// sample, so that an offset does not cancel the variance away), and the range of x. Its
// sums are compensated, so that the summary of a histogram and of the samples it counts
// agree to the last bits, and so do the starts made from them.
func summarise[T float32 | float64](x []T, w []float64) summary {
	s := summary{min: math.Inf(1), max: math.Inf(-1)}
	shift := float64(x[0])
	var total, sum, sq compensated
	for i, v := range x {
		f, c := float64(v), weight(w, i)
		s.min, s.max = math.Min(s.min, f), math.Max(s.max, f)
		if c == 0 {
			continue
		}
		d := f - shift
		total.add(c)
		sum.add(c * d)
		sq.add(c * d * d)
	}
	s.total = total.value()
	m := sum.value() / s.total
	s.mean = shift + m
	s.stdev = math.Sqrt(math.Max(sq.value()/s.total-m*m, 0))
	return s
}

// compensated is a sum that carries its rounding errors along (Neumaier's variant of
// Kahan summation).
type compensated struct{ sum, err float64 }

func (a *compensated) add(v float64) {
	t := a.sum + v
	if math.Abs(a.sum) >= math.Abs(v) {
		a.err += (a.sum - t) + v
	} else {
		a.err += (v - t) + a.sum
	}
	a.sum = t
}

func (a *compensated) value() float64 { return a.sum + a.err }

// weight is sample i's weight: w[i], or 1 without weights.
func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// spread is the starting standard deviation of the inits that set one for every
// component: the data's over K, or, for constant data, a small positive one so that the
// model is valid (EM then finds the variance collapsing: see Options.MinVariance).
func (s summary) spread(k int) float64 {
	if sd := s.stdev / float64(k); sd > 0 && !math.IsInf(0.5/(sd*sd), 0) {
		return sd
	}
	return 1e-3 * math.Max(1, math.Abs(s.mean))
}

// startModel returns the starting model of run r (restarts 0, 1, ...) for the samples s in
// the frame f (InitModel is in the data's units); the starts of several features pass
// over the samples on their driver's workers. Every start stops on ctx.
func startModel[T float32 | float64](ctx context.Context, o *Options, s *tiled[T], f frame, r int) (Model, error) {
	if m, ok, err := givenStart(o, f); ok || err != nil {
		return m, err
	}
	var m Model
	var err error
	if o.Dims > 1 || o.Init == InitKMeans {
		m, err = multiStart(ctx, o, s, r)
	} else {
		m, err = dataStart(ctx, o, s.held(), r)
	}
	if err != nil {
		return Model{}, err
	}
	return m.as(o.Covariance), nil
}

// givenStart returns o.InitModel, its weights normalised, as the start in the frame f,
// and whether there is one.
func givenStart(o *Options, f frame) (Model, bool, error) {
	if o.InitModel == nil {
		return Model{}, false, nil
	}
	if err := o.InitModel.Validate(); err != nil {
		return Model{}, false, fmt.Errorf("%w (InitModel)", err)
	}
	if max(o.InitModel.Dims, 1) != max(o.Dims, 1) {
		return Model{}, false, fmt.Errorf("gmm: %w: InitModel has %d dimensions, the samples %d", ErrInvalidOptions, max(o.InitModel.Dims, 1), max(o.Dims, 1))
	}
	in := f.modelIn(o.InitModel.normalised())
	return in.as(o.Covariance), true, nil
}

// dataStart returns the start of run r that Init makes of the samples x, with a variance
// per component.
func dataStart[T float32 | float64](ctx context.Context, o *Options, x []T, r int) (Model, error) {
	k := o.Components
	if o.Init == InitEvenlySpaced {
		return evenlySpaced(k), nil
	}
	s := summarise(x, o.Weights)
	rng := rand.New(rand.NewPCG(o.Seed, uint64(r)))
	m := Model{Weights: make([]float64, k), Means: make([]float64, k), Covariances: make([]float64, k)}
	for i := range k {
		m.Weights[i], m.Covariances[i] = 1/float64(k), s.spread(k)*s.spread(k)
	}
	switch o.Init {
	case InitQuantiles:
		quantiles(x, o.Weights, s, m.Means)
	case InitRandomFromData:
		randomFromData(x, o.Weights, s, rng, m.Means)
	case InitKMeansPP:
		if err := kmeansPP(ctx, x, o.Weights, s, rng, &m); err != nil {
			return Model{}, fmt.Errorf("gmm: k-means++ seeding stopped: %w", err)
		}
	default:
		return Model{}, fmt.Errorf("gmm: %w: unknown Init %v", ErrInvalidOptions, o.Init)
	}
	return m, nil
}

// quantileBins is how finely InitQuantiles reads the data's distribution.
const quantileBins = 1 << 16

// quantiles sets means[k] to the (k + 1/2)/K weighted quantile of x, interpolated within
// the histogram bin it falls in.
func quantiles[T float32 | float64](x []T, w []float64, s summary, means []float64) {
	width := (s.max - s.min) / quantileBins
	if !(width > 0) {
		for k := range means {
			means[k] = s.min
		}
		return
	}
	hist := make([]float64, quantileBins)
	for i, v := range x {
		b := min(int((float64(v)-s.min)/width), quantileBins-1)
		hist[b] += weight(w, i)
	}
	k, below := 0, 0.0
	for b, h := range hist {
		for k < len(means) {
			target := (float64(k) + 0.5) / float64(len(means)) * s.total
			if below+h < target {
				break
			}
			means[k] = s.min + float64(width*(float64(b)+(target-below)/h))
			k++
		}
		below += h
	}
	for ; k < len(means); k++ { // rounding left the last targets past the end
		means[k] = s.max
	}
}

// draw returns the index of a sample drawn with probability proportional to p(i), which
// sums to total over x.
func draw(n int, p func(i int) float64, total float64, rng *rand.Rand) int {
	u := rng.Float64() * total
	last := -1
	for i := range n {
		pi := p(i)
		if pi <= 0 {
			continue
		}
		last = i
		if u < pi {
			return i
		}
		u -= pi
	}
	return max(last, 0) // rounding ran past the end
}

// randomFromData sets the means to samples drawn by weight, redrawing (a few times) one
// that repeats a value already taken.
func randomFromData[T float32 | float64](x []T, w []float64, s summary, rng *rand.Rand, means []float64) {
	for k := range means {
		for try := 0; ; try++ {
			v := float64(x[draw(len(x), func(i int) float64 { return weight(w, i) }, s.total, rng)])
			if try == 32 || !contains(means[:k], v) {
				means[k] = v
				break
			}
		}
	}
}

func contains(v []float64, x float64) bool {
	for _, e := range v {
		if e == x {
			return true
		}
	}
	return false
}

// kmeansPP chooses K centres by k-means++ seeding, then sets every component of m from the
// samples nearest its centre. A centre that no sample is nearest to (the data have fewer
// distinct values than K) gets the weight 1e-3/K, its centre as mean and m's spread.
func kmeansPP[T float32 | float64](ctx context.Context, x []T, w []float64, s summary, rng *rand.Rand, m *Model) error {
	k := m.K()
	centres := make([]float64, 0, k)
	centres = append(centres, float64(x[draw(len(x), func(i int) float64 { return weight(w, i) }, s.total, rng)]))
	// Each centre passes over the samples twice (sum, then draw), at K distances a sample:
	// the context is looked at every 1<<16 samples, and a cancelled one stops the seeding
	// there.
	stopped := false
	d2 := func(i int) float64 {
		if i&(1<<16-1) == 0 && ctx.Err() != nil {
			stopped = true
		}
		if stopped {
			return math.Inf(1) // ends a draw at once; nothing drawn after it is used
		}
		v, best := float64(x[i]), math.Inf(1)
		for _, c := range centres {
			best = math.Min(best, (v-c)*(v-c))
		}
		return weight(w, i) * best
	}
	for len(centres) < k {
		total := 0.0
		for i := 0; i < len(x) && !stopped; i++ {
			total += d2(i)
		}
		if stopped {
			return ctx.Err()
		}
		if !(total > 0) { // fewer distinct values than K: repeat one
			centres = append(centres, centres[len(centres)-1])
			continue
		}
		centres = append(centres, float64(x[draw(len(x), d2, total, rng)]))
		if stopped {
			return ctx.Err()
		}
	}
	fromCentres(x, w, s.total, centres, m)
	return nil
}

// fromCentres sets every component of m from the samples nearest its centre: their share
// of the weight total, their mean and their standard deviation (a centre with no sample
// keeps itself as the mean, a small weight and m's standard deviation).
func fromCentres[T float32 | float64](x []T, w []float64, total float64, centres []float64, m *Model) {
	k := len(centres)
	n, sum, sq := make([]float64, k), make([]float64, k), make([]float64, k)
	for i, v := range x {
		f, best := float64(v), 0
		for j := 1; j < k; j++ {
			if math.Abs(f-centres[j]) < math.Abs(f-centres[best]) {
				best = j
			}
		}
		c, d := weight(w, i), f-centres[best]
		n[best] += c
		sum[best] += float64(c * d)
		sq[best] += float64(c * d * d)
	}
	for j := range k {
		m.Means[j] = centres[j]
		if !(n[j] > 0) {
			m.Weights[j] = 1e-3 / float64(k)
			continue
		}
		shift := sum[j] / n[j]
		m.Weights[j] = n[j] / total
		m.Means[j] = centres[j] + shift
		if v := sq[j]/n[j] - shift*shift; v > 0 && !math.IsInf(0.5/v, 0) {
			m.Covariances[j] = v
		}
	}
}
