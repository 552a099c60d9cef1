package gmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Init chooses the starting model of Fit when Options.InitModel is nil. InitKMeans,
// InitKMeansPP, InitRandomFromData and InitRandom are scikit-learn's init_params, as
// GaussianMixture makes them: responsibilities, then one M-step from them, the M-step of
// every iteration (each covariance type's, AddedVariance added, the floor and the split
// rules of Fit where they act, recorded at iteration -1). Their draws come from
// Options.Seed and the restart, not numpy's generator: the same kind of start, not the
// same one. The others are this package's own.
type Init int

const (
	// InitKMeans is scikit-learn's default start, "kmeans": k-means as scikit-learn's
	// KMeans with n_init=1 runs it (InitKMeansPP's seeds, then Lloyd's iterations until no
	// sample changes cluster, or the centres move by at most 1e-4 of the mean of the data's
	// variances, squared distances summed, or 300 have run; a cluster left empty takes the
	// sample farthest from its centre), then the M-step of the clusters: each sample
	// wholly its nearest centre's. Over more than 2^16 samples the seeds and Lloyd's
	// iterations run on 2^16 of them evenly spread over the data, as the starts along the
	// principal axis read them (scikit-learn's run on every sample), and the clusters of
	// the M-step are made of every sample.
	InitKMeans Init = iota
	// InitKMeansPP is scikit-learn's "k-means++": K samples chosen by k-means++ seeding
	// as scikit-learn's kmeans_plusplus chooses them (the first drawn by weight, each next
	// the best of 2 + floor(ln K) candidates drawn by weight times the squared distance to
	// the nearest seed so far, the one that leaves the least total of those), then the
	// M-step of responsibility 1 on each seed alone: equal weights, the seeds as means,
	// and covariances of AddedVariance alone (scikit-learn's reg_covar times the identity);
	// over more than 2^16 samples the seeds are drawn from 2^16 of them, as InitKMeans's.
	// With AddedVariance Off the variances are the floor, 1e-6 of the data's variance of each
	// feature (scikit-learn refuses the start). The first iteration then takes each
	// sample to its nearest seed.
	InitKMeansPP
	// InitRandomFromData is scikit-learn's "random_from_data": K samples drawn by weight
	// (a sample whose value is taken already drawn again, up to 32 times, so that the
	// means differ where the data allow), then the M-step of responsibility 1 on each
	// alone, as InitKMeansPP.
	InitRandomFromData
	// InitRandom is scikit-learn's "random": each sample's responsibilities drawn
	// uniformly from [0, 1) and divided by their sum, then the M-step of them: every
	// component near the data's mean and covariance. Sample i's draws depend on the seed,
	// the restart and i alone, so the start is the same at any thread count.
	InitRandom
	// InitEvenlySpaced is the reference program's start: means evenly spaced over [0, 1]
	// (numpy's linspace(0, 1, K): 0 alone for K = 1), every variance 10/255, equal weights. It suits
	// data scaled to [0, 1], such as pixel values. Over several features the centres are
	// evenly spaced along the data's principal axis, from its lowest projection to its
	// highest, then each component made of the samples nearest its centre.
	InitEvenlySpaced
	// InitQuantiles puts the means at the (k + 1/2)/K quantiles of the data (weighted,
	// read off a histogram of 65536 bins between the smallest and largest sample), every
	// standard deviation at the data's divided by K, and equal weights. It is
	// deterministic and suits data of any scale. Over several features the centres lie
	// at those quantiles of the projections on the data's principal axis, then each
	// component is made of the samples nearest its centre.
	InitQuantiles
)

var initNames = []string{"kmeans", "kmeans++", "random-from-data", "random", "evenly-spaced", "quantiles"}

// String returns the initialisation's name, as ParseInit reads it.
func (i Init) String() string {
	if i >= 0 && int(i) < len(initNames) {
		return initNames[i]
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// ParseInit returns the initialisation called name: kmeans, kmeans++, random-from-data,
// random, evenly-spaced or quantiles.
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
func (i Init) Random() bool { return i.fromResponsibilities() }

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
// model is valid (EM then finds the variance collapsing: see Options.AddedVariance).
func (s summary) spread(k int) float64 {
	if sd := s.stdev / float64(k); sd > 0 && !math.IsInf(0.5/(sd*sd), 0) {
		return sd
	}
	return 1e-3 * math.Max(1, math.Abs(s.mean))
}

// startModel returns the starting model of run r (restarts 0, 1, ...) for the samples s in
// the frame of data (InitModel is in the data's units), and what the rules did in its
// M-step; the starts of several features and scikit-learn's pass over the samples on
// their driver's workers. Every start stops on ctx.
func startModel[T float32 | float64](ctx context.Context, o *Options, s *tiled[T], data dataset, r int) (Model, startRecord, error) {
	if m, ok, err := givenStart(o, data.frame); ok || err != nil {
		return m, startRecord{}, err
	}
	var m Model
	var rec startRecord
	var err error
	switch {
	case o.Init.fromResponsibilities():
		m, rec, err = respStart(ctx, o, s, data, r)
	case o.Dims > 1:
		m, err = multiStart(ctx, o, s)
	default:
		m, err = dataStart(o, s.held())
	}
	if err != nil {
		return Model{}, startRecord{}, err
	}
	m = m.as(o.Covariance)
	least, _ := leastVariance(data.single)
	m.raiseVariances(least)
	if o.parts() {
		m, err = withParts(o, data.frame, m)
	}
	return m, rec, err
}

// raiseVariances raises the variances of m, a start in the frame, and over several
// features its conditional variances, to least where they are below it: what the kernels
// take. A start's component of one sample has none, and the floor of a feature whose
// spread in the frame is near the smallest float64 (1e-6 of its variance) underflows.
func (m *Model) raiseVariances(least float64) {
	if m.Dims <= 1 || m.Covariance == Diag || m.Covariance == Spherical {
		for i, v := range m.Covariances {
			m.Covariances[i] = max(v, least)
		}
		return
	}
	d := m.Dims
	w := newMultiWork(d)
	for a := range d {
		w.least[a] = least
	}
	for c := 0; c < len(m.Covariances); c += d * d {
		copy(w.a, m.Covariances[c:c+d*d])
		floored(w, 0, bound{w.least, w.least}, d)
		copy(m.Covariances[c:c+d*d], w.a)
	}
}

// givenStart returns the start that Options give whole, o.InitModel or InitWeights,
// InitMeans and InitPrecisions together, its weights normalised, in the frame f, and
// whether there is one.
func givenStart(o *Options, f frame) (Model, bool, error) {
	switch {
	case o.InitModel != nil:
		m, err := inFrame(o, f, o.InitModel, "InitModel")
		return m, err == nil, err
	case o.givenWhole():
		m, err := withParts(o, f, Model{})
		return m, err == nil, err
	}
	return Model{}, false, nil
}

// inFrame returns m, a start of what's name in the data's units, once valid, with its
// weights normalised and covariances of the type o asks for, in the frame f.
func inFrame(o *Options, f frame, m *Model, what string) (Model, error) {
	if err := m.Validate(); err != nil {
		return Model{}, fmt.Errorf("%w (%s)", err, what)
	}
	if max(m.Dims, 1) != max(o.Dims, 1) {
		return Model{}, fmt.Errorf("gmm: %w: %s has %d dimensions, the samples %d", ErrInvalidOptions, what, max(m.Dims, 1), max(o.Dims, 1))
	}
	in := f.modelIn(m.normalised())
	return in.as(o.Covariance), nil
}

// dataStart returns the one-dimensional start of InitEvenlySpaced or InitQuantiles for
// the samples x, with a variance per component.
func dataStart[T float32 | float64](o *Options, x []T) (Model, error) {
	k := o.Components
	switch o.Init {
	case InitEvenlySpaced:
		return evenlySpaced(k), nil
	case InitQuantiles:
		s := summarise(x, o.weights)
		m := Model{Weights: make([]float64, k), Means: make([]float64, k), Covariances: make([]float64, k)}
		for i := range k {
			m.Weights[i], m.Covariances[i] = 1/float64(k), s.spread(k)*s.spread(k)
		}
		quantiles(x, o.weights, s, m.Means)
		return m, nil
	}
	return Model{}, fmt.Errorf("gmm: %w: unknown Init %v", ErrInvalidOptions, o.Init)
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
