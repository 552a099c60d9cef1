package gmm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// A hostile case is data built to make second moments cancel, with a start that moves
// far in its first M-steps: the exact tests (TestEStepsAreExact) run EM from the start on
// it and hold every step to exactStep.
type hostileCase struct {
	name  string
	x, w  []float64
	d     int
	start Model // full covariances (a variance each in one dimension)
	reg   float64
}

// clusters returns the samples of clusters: n[c] samples of cluster c, feature a of
// which is centre[c][a] + spread[c][a] z with z standard normal, in cluster order.
func clusters(rng *rand.Rand, n []int, centre, spread [][]float64) []float64 {
	var x []float64
	for c, nc := range n {
		for range nc {
			for a, mu := range centre[c] {
				x = append(x, mu+spread[c][a]*rng.NormFloat64())
			}
		}
	}
	return x
}

// startOf returns a full-covariance start (variances in one dimension) with the given
// weights and means, each component's covariance diagonal with the given variances.
func startOf(weights []float64, means [][]float64, variances [][]float64) Model {
	d := len(means[0])
	m := Model{Dims: d, Weights: weights}
	for j, mu := range means {
		m.Means = append(m.Means, mu...)
		for a := range d {
			for b := range d {
				v := 0.0
				if a == b {
					v = variances[j][a]
				}
				m.Covariances = append(m.Covariances, v)
			}
		}
	}
	if d == 1 {
		m.Dims = 0
	}
	return m
}

// hostileCases are the data of the exact tests: features at scales from 1e-4 to 1e6 in
// one sample, offsets of 1e8, a cluster of d/5 samples in d = 30, components that jump
// across the data in their first step, and weights near 0, in one dimension and several.
func hostileCases() []hostileCase {
	rng := rand.New(rand.NewPCG(28, 1))
	scales := []float64{1e-4, 1e-1, 1e3, 1e6}
	var out []hostileCase
	{ // every scale in one sample, each cluster 1/10 of the scale wide
		ctr := [][]float64{make([]float64, 4), make([]float64, 4), make([]float64, 4)}
		sp := [][]float64{make([]float64, 4), make([]float64, 4), make([]float64, 4)}
		for c := range ctr {
			for a, s := range scales {
				ctr[c][a] = s * float64(c*c) * (1 + float64(a))
				sp[c][a] = s / 10
			}
		}
		x := clusters(rng, []int{700, 500, 300}, ctr, sp)
		start := startOf([]float64{0.2, 0.3, 0.5}, [][]float64{{0, 0, 0, 0}, {1.5e-4, 0.15, 1.5e3, 1.5e6}, {4e-4, 0.4, 4e3, 4e6}},
			[][]float64{{1e-8, 1e-2, 1e6, 1e12}, {1e-8, 1e-2, 1e6, 1e12}, {1e-8, 1e-2, 1e6, 1e12}})
		out = append(out, hostileCase{name: "scales 1e-4 to 1e6", x: x, d: 4, start: start})
	}
	{ // an offset of 1e8: spreads of 1 and 3, 10 apart
		x := clusters(rng, []int{600, 400}, [][]float64{{1e8, 1e8 - 5}, {1e8 + 10, 1e8 + 5}}, [][]float64{{1, 3}, {3, 1}})
		start := startOf([]float64{0.5, 0.5}, [][]float64{{1e8 + 3, 1e8}, {1e8 + 4, 1e8 + 1}}, [][]float64{{50, 50}, {50, 50}})
		out = append(out, hostileCase{name: "offset 1e8, d=2", x: x, d: 2, start: start})
		x1 := clusters(rng, []int{500, 300, 200}, [][]float64{{1e8}, {1e8 + 7}, {1e8 + 30}}, [][]float64{{1}, {0.5}, {2}})
		start1 := startOf([]float64{0.3, 0.3, 0.4}, [][]float64{{1e8 + 1}, {1e8 + 2}, {1e8 + 3}}, [][]float64{{100}, {100}, {100}})
		out = append(out, hostileCase{name: "offset 1e8, d=1", x: x1, d: 1, start: start1})
	}
	{ // d = 30: a cluster of 6 samples among 400, features from 1e-3 to 4e3
		const d = 30
		ctr, sp := [][]float64{make([]float64, d), make([]float64, d)}, [][]float64{make([]float64, d), make([]float64, d)}
		vars := [][]float64{make([]float64, d), make([]float64, d)}
		for a := range d {
			s := math.Pow(10, -3+float64(a)*6.6/(d-1))
			ctr[0][a], ctr[1][a] = s, 3*s
			sp[0][a], sp[1][a] = s/5, s/20
			vars[0][a], vars[1][a] = s*s/25, s*s/10
		}
		x := clusters(rng, []int{400, d / 5}, ctr, sp)
		start := startOf([]float64{0.9, 0.1}, [][]float64{ctr[0], ctr[0]}, vars)
		for a := range d { // component 1 takes the 6 alone, 0.3 of each scale away
			start.Means[d+a] = 2.7 * ctr[0][a]
		}
		out = append(out, hostileCase{name: "6 samples in d=30", x: x, d: d, start: start, reg: 1e-6})
	}
	{ // a wide component that takes a narrow cluster 40000 of its widths away
		x := clusters(rng, []int{500, 500}, [][]float64{{-1e3, 0, 0}, {100, -50, 1e4}}, [][]float64{{1, 1, 1}, {1e-3, 5e-4, 2e-3}})
		start := startOf([]float64{0.5, 0.5}, [][]float64{{-1e3, 0, 0}, {60, -30, 1e4 - 40}}, [][]float64{{1, 1, 1}, {400, 400, 400}})
		out = append(out, hostileCase{name: "jump, d=3", x: x, d: 3, start: start})
		x1 := clusters(rng, []int{500, 500}, [][]float64{{-1e3}, {100}}, [][]float64{{1}, {1e-3}})
		start1 := startOf([]float64{0.5, 0.5}, [][]float64{{-1e3}, {60}}, [][]float64{{1}, {400}})
		out = append(out, hostileCase{name: "jump, d=1", x: x1, d: 1, start: start1})
	}
	{ // weights near 0: a component of weight 1e-9, samples of weight 1e-12
		x := clusters(rng, []int{400, 300}, [][]float64{{0, 3}, {4, -2}}, [][]float64{{1, 0.5}, {0.7, 1.2}})
		w := make([]float64, len(x)/2)
		for i := range w {
			w[i] = 1 + rng.Float64()
			if i%7 == 0 {
				w[i] = 1e-12
			}
		}
		start := startOf([]float64{1 - 1e-9, 1e-9}, [][]float64{{1, 1}, {4, -1}}, [][]float64{{4, 4}, {1, 1}})
		out = append(out, hostileCase{name: "weights near 0, d=2", x: x, w: w, d: 2, start: start})
		x1 := clusters(rng, []int{400, 300}, [][]float64{{0}, {4}}, [][]float64{{1}, {0.7}})
		start1 := startOf([]float64{1 - 1e-9, 1e-9}, [][]float64{{1}, {4}}, [][]float64{{4}, {1}})
		out = append(out, hostileCase{name: "weights near 0, d=1", x: x1, w: w, d: 1, start: start1})
	}
	return out
}

// as returns the start of c as a model of covariance type cov.
func (c *hostileCase) as(cov Covariance) Model {
	if c.d == 1 {
		m := c.start.Clone()
		m.Covariance = cov
		if cov == Tied {
			m.Covariances = m.Covariances[:1]
		}
		return m
	}
	return c.start.asMulti(cov)
}

// exactTol is what the kernels are held to against the exact reference: 1e-9, relative
// to the log-likelihood, to each weight, to each mean's magnitude plus its standard
// deviation, and for each covariance to the geometric mean of its two variances.
const exactTol = 1e-9

// Every kernel's EM steps on hostile data agree with the exact reference to 1e-9: each
// step from the model the kernel gave at the step before, every covariance type, one
// and two threads.
func TestEStepsAreExact(t *testing.T) {
	for _, hc := range hostileCases() {
		for _, cov := range []Covariance{Full, Diag, Spherical, Tied} {
			for _, name := range kernel.Available() {
				for _, threads := range []int{1, 2} {
					what := fmt.Sprintf("%s %v %s threads=%d", hc.name, cov, name, threads)
					checkExactSteps(t, what, &hc, cov, Exec{Kernel: name, Threads: threads})
				}
			}
		}
	}
}

// checkExactSteps runs 3 iterations of EM on hc from its start as type cov on e, and
// holds every step and log-likelihood to exactStep's.
func checkExactSteps(t *testing.T, what string, hc *hostileCase, cov Covariance, e Exec) {
	t.Helper()
	start := hc.as(cov)
	res, err := Fit(t.Context(), hc.x, Options{Exec: e, Components: start.K(), Dims: hc.d, Covariance: cov, MaxIter: 3,
		InitModel: &start, MinVariance: hc.reg, Weights: hc.w})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(res.Floored) != 0 {
		t.Fatalf("%s: the floor acted (%v): no reference for that", what, res.Floored)
	}
	prev := start
	for i, step := range res.History {
		want, ll := exactStep(hc.x, hc.w, hc.d, &prev, hc.reg)
		if i > 0 {
			closeLogLik(t, fmt.Sprintf("%s: log-likelihood %d", what, i-1), res.History[i-1].LogLikelihood, ll)
		}
		closeModels(t, fmt.Sprintf("%s: step %d", what, i), &step.Model, &want, exactTol)
		prev = step.Model
	}
	_, ll := exactStep(hc.x, hc.w, hc.d, &prev, hc.reg)
	closeLogLik(t, what+": last log-likelihood", res.LogLikelihood, ll)
}

func closeLogLik(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !(math.Abs(got-want) <= exactTol*math.Abs(want)) {
		t.Errorf("%s = %.17g, exact %.17g (rel %.2g)", what, got, want, relErr(got, want))
	}
}

// closeModels fails unless got is want to tol: weights relative, means relative to their
// magnitude plus their standard deviation, covariances relative to the geometric mean of
// their two variances.
func closeModels(t *testing.T, what string, got, want *Model, tol float64) {
	t.Helper()
	d := want.dims()
	for j := range want.K() {
		if e := relErr(got.Weights[j], want.Weights[j]); !(e <= tol) {
			t.Errorf("%s: weight %d = %.17g, exact %.17g (rel %.2g)", what, j, got.Weights[j], want.Weights[j], e)
		}
		g, w := got.CovarianceOf(j), want.CovarianceOf(j)
		for a := range d {
			mu, sd := want.Means[j*d+a], math.Sqrt(w[a*d+a])
			if e := math.Abs(got.Means[j*d+a]-mu) / (math.Abs(mu) + sd); !(e <= tol) {
				t.Errorf("%s: mean %d,%d = %.17g, exact %.17g (rel %.2g)", what, j, a, got.Means[j*d+a], mu, e)
			}
			for b := range d {
				scale := math.Sqrt(w[a*d+a] * w[b*d+b])
				if e := math.Abs(g[a*d+b]-w[a*d+b]) / scale; !(e <= tol) {
					t.Errorf("%s: covariance %d,%d,%d = %.17g, exact %.17g (rel %.2g)", what, j, a, b, g[a*d+b], w[a*d+b], e)
				}
			}
		}
	}
}
