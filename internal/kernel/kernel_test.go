package kernel

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// mixture is a test mixture with its weights, means and stdevs.
type mixture struct{ w, mu, sd []float64 }

func (m mixture) coeffs() *Coeffs { return byStdev(m.w, m.mu, m.sd) }

// refLogJoint is log(w_k) + the log-density of N(mu_k, sd_k) at x, from gonum.
func (m mixture) refLogJoint(k int, x float64) float64 {
	return math.Log(m.w[k]) + distuv.Normal{Mu: m.mu[k], Sigma: m.sd[k]}.LogProb(x)
}

// refStats computes the E-step statistics, moments about centre (nil: the means), the
// slow, obvious way: explicit
// responsibilities from gonum's LogSumExp, then weighted sums.
func (m mixture) refStats(x []float64, w []float64, centre []float64) *Stats {
	k := len(m.mu)
	if centre == nil {
		centre = m.mu
	}
	s := NewStats(k)
	p := make([]float64, k)
	for i, xv := range x {
		for j := range k {
			p[j] = m.refLogJoint(j, xv)
		}
		lse := floats.LogSumExp(p)
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s.LogLik += wi * lse
		for j := range k {
			r := wi * math.Exp(p[j]-lse)
			d := xv - centre[j]
			s.N[j] += r
			s.D[j] += r * d
			s.B[j] += r * d * d
		}
	}
	return s
}

// relErr is |a-b| / max(|b|, tiny).
func relErr(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300)
}

// checkStats compares s with want, component by component, to tol relative. N, D and B
// near zero are compared absolutely against the scale of the data.
func checkStats(t *testing.T, got, want *Stats, tol, abs float64) {
	t.Helper()
	cmp := func(name string, k int, g, w float64) {
		if math.IsNaN(g) || (relErr(g, w) > tol && math.Abs(g-w) > abs) {
			t.Errorf("%s[%d] = %.17g, want %.17g (rel err %.2g)", name, k, g, w, relErr(g, w))
		}
	}
	for k := range want.N {
		cmp("N", k, got.N[k], want.N[k])
		cmp("D", k, got.D[k], want.D[k])
		cmp("B", k, got.B[k], want.B[k])
	}
	cmp("LogLik", 0, got.LogLik, want.LogLik)
}

var threeClasses = mixture{
	w:  []float64{0.3, 0.45, 0.25},
	mu: []float64{0.1, 0.6, 0.8},
	sd: []float64{0.05, 0.12, 0.03},
}

// uniform returns n samples in [lo, hi).
func uniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

func to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func TestNewCoeffsIsTheLogDensity(t *testing.T) {
	c := threeClasses.coeffs()
	dst := make([]float64, 1)
	for _, x := range []float64{-3, 0, 0.1, 0.33, 0.6, 0.8, 1, 7} {
		for k := range c.K() {
			LogNormPDF(Generic, dst, []float64{x}, c.Const[k], c.Mean[k], c.HalfPrec[k])
			if want := threeClasses.refLogJoint(k, x); relErr(dst[0], want) > 1e-14 {
				t.Errorf("P_%d(%v) = %.17g, want %.17g", k, x, dst[0], want)
			}
		}
	}
}

func TestLogNormPDFNeverUnderflows(t *testing.T) {
	// Far in the tail the density underflows to 0, so log(pdf) would be -Inf; the
	// quadratic stays finite and exact.
	c := byStdev([]float64{1}, []float64{0}, []float64{1e-3})
	dst := make([]float64, 1)
	LogNormPDF(Generic, dst, []float64{1}, c.Const[0], c.Mean[0], c.HalfPrec[0])
	want := -math.Log(1e-3) - 0.5*math.Log(2*math.Pi) - 0.5e6
	if math.IsInf(dst[0], 0) || relErr(dst[0], want) > 1e-15 {
		t.Fatalf("P(1) = %v, want %v", dst[0], want)
	}
	if pdf := (distuv.Normal{Mu: 0, Sigma: 1e-3}).Prob(1); pdf != 0 {
		t.Fatalf("the density was meant to underflow, got %v", pdf)
	}
}

func TestExpSumStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100} {
		x := uniform(rng, n, -0.5, 1.5)
		c := threeClasses.coeffs()
		k := c.K()
		p, pmax, expsum := make([]float64, k*n), make([]float64, n), make([]float64, n)
		ExpSumStable(Generic, p, pmax, expsum, x, c)
		p32, pmax32, expsum32 := make([]float32, k*n), make([]float32, n), make([]float32, n)
		ExpSumStable(Generic, p32, pmax32, expsum32, gen.Float32s(x), c)
		for i, xv := range x {
			row := make([]float64, k)
			for j := range k {
				row[j] = threeClasses.refLogJoint(j, xv)
				if math.Abs(p[j*n+i]-row[j]) > 1e-13*math.Max(1, math.Abs(row[j])) {
					t.Fatalf("n=%d: P[%d][%d] = %v, want %v", n, j, i, p[j*n+i], row[j])
				}
				if relErr(float64(p32[j*n+i]), row[j]) > 1e-5 {
					t.Fatalf("n=%d: float32 P[%d][%d] = %v, want %v", n, j, i, p32[j*n+i], row[j])
				}
			}
			own := math.Inf(-1)
			for j := range k {
				own = math.Max(own, p[j*n+i])
			}
			if pmax[i] != own {
				t.Fatalf("pmax[%d] = %v, want the largest P, %v", i, pmax[i], own)
			}
			if expsum[i] < 1 || expsum[i] > float64(k) {
				t.Fatalf("expsum[%d] = %v, outside [1, K]", i, expsum[i])
			}
			if got, want := pmax[i]+math.Log(expsum[i]), floats.LogSumExp(row); relErr(got, want) > 1e-13 {
				t.Fatalf("pmax+log(expsum) at %d = %v, want logsumexp %v", i, got, want)
			}
		}
	}
}

func TestExpSumStableMaxStartsAtMinusInfinity(t *testing.T) {
	// Every P is far below the smallest positive double: a running max started there (the
	// reference's C++ bug) would report 2.2e-308 instead of the true maximum.
	c := byStdev([]float64{1, 1}, []float64{0, 1}, []float64{0.01, 0.01})
	x := []float64{10}
	p, pmax, expsum := make([]float64, 2), make([]float64, 1), make([]float64, 1)
	ExpSumStable(Generic, p, pmax, expsum, x, c)
	if want := math.Max(p[0], p[1]); pmax[0] != want || pmax[0] >= 0 {
		t.Fatalf("pmax = %v, want %v", pmax[0], want)
	}
}

func TestEStepMatchesExplicitResponsibilities(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 17, 1000} {
		x := uniform(rng, n, 0, 1)
		w := uniform(rng, n, 0, 3)
		for _, weights := range [][]float64{nil, w} {
			for _, centre := range [][]float64{nil, {0.5, -2, 0.25}} {
				c := threeClasses.coeffs()
				c.Centre = centre
				want := threeClasses.refStats(x, weights, centre)
				got := NewStats(3)
				Generic.F64.EStep(x, weights, c, got, nil)
				checkStats(t, got, want, 1e-12, 1e-14)
				got32 := NewStats(3)
				x32 := gen.Float32s(x)
				Generic.F32.EStep(x32, weights, c, got32, nil)
				checkStats(t, got32, threeClasses.refStats(to64(x32), weights, centre), 1e-12, 1e-14)
			}
		}
	}
}

func TestEStepAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := uniform(rng, 300, 0, 1)
	c := threeClasses.coeffs()
	whole, parts := NewStats(3), NewStats(3)
	Generic.F64.EStep(x, nil, c, whole, nil)
	Generic.F64.EStep(x[:100], nil, c, parts, nil)
	Generic.F64.EStep(x[100:], nil, c, parts, nil)
	checkStats(t, parts, whole, 1e-13, 1e-14)
}

func TestIntegerWeightsEqualRepetition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := uniform(rng, 200, 0, 1)
	w := make([]float64, len(x))
	var repeated []float64
	for i := range x {
		w[i] = float64(rng.IntN(4))
		for range int(w[i]) {
			repeated = append(repeated, x[i])
		}
	}
	c := threeClasses.coeffs()
	weighted, plain := NewStats(3), NewStats(3)
	Generic.F64.EStep(x, w, c, weighted, nil)
	Generic.F64.EStep(repeated, nil, c, plain, nil)
	checkStats(t, weighted, plain, 1e-12, 1e-14)
}

func TestEStepSpecialComponents(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := uniform(rng, 500, 0, 1)
	cases := map[string]mixture{
		"far away": {
			w: []float64{0.5, 0.5}, mu: []float64{0.5, 1e6}, sd: []float64{0.2, 0.1},
		},
		"tiny sigma": {
			w: []float64{0.5, 0.5}, mu: []float64{0.5, 0.3}, sd: []float64{0.2, 1e-12},
		},
		"unnormalised weights": {
			w: []float64{1, 1, 1}, mu: []float64{0, 0.5, 1}, sd: []float64{0.2, 0.2, 0.2},
		},
	}
	wide := mixture{}
	for k := range 64 {
		wide.w = append(wide.w, 1+float64(k%5))
		wide.mu = append(wide.mu, float64(k)/63)
		wide.sd = append(wide.sd, 0.01+0.001*float64(k))
	}
	cases["K=64"] = wide
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			got := NewStats(len(m.mu))
			Generic.F64.EStep(x, nil, m.coeffs(), got, nil)
			for k := range got.N {
				for _, v := range []float64{got.N[k], got.D[k], got.B[k]} {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("component %d: statistic %v", k, v)
					}
				}
			}
			total := floats.Sum(got.N)
			if relErr(total, float64(len(x))) > 1e-12 {
				t.Errorf("responsibilities sum to %v over %d samples", total, len(x))
			}
			if name != "tiny sigma" {
				// gonum's LogProb is log(pdf), which is exact only while pdf does not
				// underflow: fine for every case but the tiny sigma.
				checkStats(t, got, m.refStats(x, nil, nil), 1e-11, 1e-12)
			}
		})
	}
}

// The Go twins' stable exp-sum gives each sample's log-density (its maximum plus the log
// of its sum), and their labels its most likely component.
func TestScoresAndClassify(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := uniform(rng, 257, -0.2, 1.2)
	c := threeClasses.coeffs()
	p, pmax, expsum := make([]float64, c.K()*len(x)), make([]float64, len(x)), make([]float64, len(x))
	Generic.F64.ExpSumStable(p, pmax, expsum, x, c, nil)
	score := make([]float64, len(x))
	for i := range x {
		score[i] = pmax[i] + vmath.Log64(expsum[i])
	}
	labels := make([]uint16, len(x))
	Generic.F64.Classify(labels, x, c, nil)
	labels32 := make([]uint16, len(x))
	Generic.F32.Classify(labels32, gen.Float32s(x), c, nil)
	for i, xv := range x {
		row := make([]float64, 3)
		for k := range row {
			row[k] = threeClasses.refLogJoint(k, xv)
		}
		if want := floats.LogSumExp(row); relErr(score[i], want) > 1e-13 {
			t.Fatalf("score[%d] = %v, want %v", i, score[i], want)
		}
		if want := floats.MaxIdx(row); int(labels[i]) != want {
			t.Fatalf("label[%d] = %d, want %d (P = %v)", i, labels[i], want, row)
		}
		if labels32[i] != labels[i] && math.Abs(row[labels32[i]]-row[labels[i]]) > 1e-6 {
			t.Fatalf("float32 label[%d] = %d, want %d", i, labels32[i], labels[i])
		}
	}
}

// The Go labelling, four samples at a time, gives logJoint's label of each sample on its
// own: every length (whole groups of four and each tail), NaN and infinite samples
// (every P_k -Inf or NaN: label 0) included.
func TestGenericClassifyIsLogJointsArgmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	c := threeClasses.coeffs()
	p := make([]float64, c.K())
	for n := range 14 {
		x := uniform(rng, n, -0.2, 1.2)
		if n > 3 {
			x[1], x[3] = math.NaN(), math.Inf(-1)
		}
		got := make([]uint16, n)
		Generic.F64.Classify(got, x, c, nil)
		for i, v := range x {
			if _, top := logJoint(p, v, c); int(got[i]) != max(top, 0) {
				t.Fatalf("n=%d: x[%d] = %v labelled %d, logJoint's top %d", n, i, v, got[i], top)
			}
		}
	}
}

func TestClassifyTiesGoToTheLowestIndex(t *testing.T) {
	c := byStdev([]float64{1, 1, 1}, []float64{0.5, 0.5, 0.5}, []float64{0.1, 0.1, 0.1})
	x := []float64{0.3, 0.5, 0.9, 0.1, 0.7, 0.2, 0.6, 0.4, 0.8} // whole registers and a tail
	for _, k := range available() {
		labels := make([]uint16, len(x))
		for i := range labels {
			labels[i] = 9
		}
		k.F64.Classify(labels, x, c, nil)
		labels32 := slices.Clone(labels)
		k.F32.Classify(labels32, gen.Float32s(x), c, nil)
		for i := range x {
			if labels[i] != 0 || labels32[i] != 0 {
				t.Fatalf("%s: x=%v labelled %d (float64) and %d (float32), want 0", k.Name, x[i], labels[i], labels32[i])
			}
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"", "auto"} {
		if k, err := Lookup(name); err != nil || k != available()[0] {
			t.Errorf("Lookup(%q) = %v, %v; want the best kernels", name, k, err)
		}
	}
	if got := Available(); got[len(got)-1] != "generic" || got[0] != available()[0].Name {
		t.Errorf("Available() = %v", got)
	}
	if k, err := Lookup("generic"); err != nil || k != Generic {
		t.Errorf("Lookup(generic) = %v, %v", k, err)
	}
	if _, err := Lookup("sse9"); !errors.Is(err, ErrUnknownKernel) {
		t.Errorf("Lookup(sse9) error = %v, want ErrUnknownKernel", err)
	}
	for _, name := range known {
		k, err := Lookup(name)
		if (err == nil) != (k != nil) {
			t.Errorf("Lookup(%q) = %v, %v", name, k, err)
		}
		if err != nil && errors.Is(err, ErrUnknownKernel) {
			t.Errorf("Lookup(%q): a known kernel reported as unknown: %v", name, err)
		}
	}
}

// auto (or "") is the fastest kernels this binary holds and this CPU runs, whatever the
// environment: only the commands read it.
func TestAutoIsTheFastest(t *testing.T) {
	t.Setenv("GMMSIMD_KERNEL", "generic")
	for _, name := range []string{"", "auto"} {
		if k, err := Lookup(name); err != nil || k != available()[0] {
			t.Errorf("Lookup(%q) = %v, %v; want %s", name, k, err, available()[0].Name)
		}
	}
}
