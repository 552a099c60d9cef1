package gmm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
)

// checkValid fails unless every step of res holds a valid mixture of k components whose
// weights sum to one, with a finite log-likelihood.
func checkValid(t *testing.T, what string, res fitted, k int) {
	t.Helper()
	for _, s := range res.Steps {
		if s.Model.K() != k {
			t.Fatalf("%s: iteration %d has %d components, want %d", what, s.Iter, s.Model.K(), k)
		}
		if err := s.Model.Validate(); err != nil {
			t.Fatalf("%s: iteration %d: %v (%v)", what, s.Iter, err, s.Model)
		}
		sum := 0.0
		for _, w := range s.Model.Weights {
			sum += w
		}
		if math.Abs(sum-1) > 1e-12 || math.IsNaN(s.LogLikelihood) || math.IsInf(s.LogLikelihood, 0) {
			t.Fatalf("%s: iteration %d: weights sum to %v, log-likelihood %v", what, s.Iter, sum, s.LogLikelihood)
		}
	}
}

func TestDegenerateDataGiveValidModels(t *testing.T) {
	cases := []struct {
		name string
		x    []float64
		k    int
	}{
		{"constant", []float64{0.5, 0.5, 0.5, 0.5, 0.5}, 3},
		{"constant zero", []float64{0, 0, 0}, 2},
		{"constant far from zero", []float64{1e9, 1e9, 1e9, 1e9}, 3},
		{"two values", []float64{0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7}, 2},
		{"two values, five components", []float64{0.2, 0.2, 0.2, 0.7, 0.7, 0.7, 0.7}, 5},
		{"three values, eight components", slices.Repeat([]float64{-4, 1, 30}, 5), 8},
		{"one outlier", append(slices.Repeat([]float64{0.25}, 99), 0.75), 2},
	}
	for _, c := range cases {
		for _, init := range []Init{InitEvenlySpaced, InitQuantiles, InitKMeansPP, InitRandomFromData} {
			opt := Options{Components: c.k, MaxIter: 30, Init: init, Seed: 5, Tol: Off, AddedVariance: Off}
			r64, err := fitKeep(t.Context(), c.x, opt)
			if err != nil {
				t.Fatalf("%s, %v: %v", c.name, init, err)
			}
			checkValid(t, c.name+", float64, "+init.String(), r64, c.k)
			r32, err := fitKeep(t.Context(), gen.Float32s(c.x), opt)
			if err != nil {
				t.Fatalf("%s, %v, float32: %v", c.name, init, err)
			}
			checkValid(t, c.name+", float32, "+init.String(), r32, c.k)
			// k-means++ seeds at distinct values, so every distinct value ends up with a
			// component on it. (Other starts may put two components on one value, and
			// identical components stay identical: a valid fixed point of EM.)
			for _, v := range c.x {
				if init != InitKMeansPP {
					break
				}
				near := false
				for k, mu := range r64.Model.Means {
					near = near || math.Abs(mu-v) <= 3*r64.Model.Stdevs()[k]
				}
				if !near {
					t.Errorf("%s, %v: no component near %v: %v", c.name, init, v, r64.Model)
				}
			}
		}
	}
}

func TestVarianceFloorHoldsPointMasses(t *testing.T) {
	// Two point masses: each component settles on one, and its variance, once it is 0
	// and the fit would fail, on the floor, a millionth of the data's variance. The
	// log-likelihood falls only where the floor first acted on a component, and the
	// Result says where that was.
	x := []float64{0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7}
	mean := (4*0.2 + 3*0.7) / 7
	variance := (4*(0.2-mean)*(0.2-mean) + 3*(0.7-mean)*(0.7-mean)) / 7
	res, err := fitKeep(t.Context(), x, Options{Components: 2, MaxIter: 40, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, "point masses", res, 2)
	m := res.Model
	if math.Abs(m.Means[0]-0.2) > 1e-12 || math.Abs(m.Means[1]-0.7) > 1e-12 {
		t.Fatalf("means %v, want 0.2 and 0.7", m.Means)
	}
	for k, sd := range m.Stdevs() {
		if e := relErr(sd*sd, 1e-6*variance); e > 1e-9 {
			t.Errorf("component %d: variance %v, want the floor %v", k, sd*sd, 1e-6*variance)
		}
	}
	if len(res.Floored) != 2 {
		t.Fatalf("floored %v, want both components", res.Floored)
	}
	for i := 1; i < len(res.History); i++ {
		first := slices.ContainsFunc(res.Floored, func(f Floor) bool { return f.First == i })
		if prev, ll := res.History[i-1], res.History[i]; ll < prev-1e-9*math.Abs(prev) && !first {
			t.Fatalf("iteration %d: log-likelihood fell from %v to %v, the floor not first acting there (%v)", i, prev, ll, res.Floored)
		}
	}
	if len(res.Reseeded) != 0 {
		t.Errorf("reseeded %v, want none", res.Reseeded)
	}
}

func TestFloorLeavesOrdinaryFitsExact(t *testing.T) {
	// AddedVariance is added on top of the exact M-step, the floor does not move it.
	x := sample(t, 40, 5000, truth)
	plain, err := fitKeep(t.Context(), x, Options{Components: 3, MaxIter: 5, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 1, AddedVariance: 1e-3, InitModel: &plain.Steps[3].Model, Init: InitEvenlySpaced, Tol: Off})
	if err != nil {
		t.Fatal(err)
	}
	for k, sd := range reg.Model.Stdevs() {
		want := plain.Steps[4].Model.Stdevs()[k]
		if e := relErr(sd*sd, want*want+1e-3); e > 1e-12 {
			t.Errorf("component %d: variance %v, want %v + 1e-3", k, sd*sd, want*want)
		}
	}
}

func TestComponentFarFromTheDataIsSplit(t *testing.T) {
	x := sample(t, 41, 20000, truth)
	start := fromStdevs([]float64{0.4, 0.4, 0.2}, []float64{0.3, 0.6, 1e6}, []float64{0.2, 0.05, 1e-3})
	for _, prec := range []string{"float64", "float32"} {
		opt := Options{Components: 3, MaxIter: 200, InitModel: &start, Tol: 1e-10, Init: InitEvenlySpaced, AddedVariance: Off}
		var res fitted
		var err error
		if prec == "float64" {
			res, err = fitKeep(t.Context(), x, opt)
		} else {
			res, err = fitKeep(t.Context(), gen.Float32s(x), opt)
		}
		if err != nil {
			t.Fatal(err)
		}
		checkValid(t, prec, res, 3)
		// After the first M-step, component 2 has no weight; component 0 is the widest
		// (0.4 * 0.2^2 at the start, and still after the M-step).
		if want := []Reseed{{Iter: 0, Component: 2, From: 0}}; !slices.Equal(res.Reseeded, want) {
			t.Fatalf("%s: reseeded %v, want %v", prec, res.Reseeded, want)
		}
		split := res.Steps[0].Model
		if split.Weights[0] != split.Weights[2] || split.Stdevs()[0] != split.Stdevs()[2] || !(split.Means[0] < split.Means[2]) {
			t.Errorf("%s: after the split %v", prec, split)
		}
		// From there EM finds the three components of the data.
		got := res.Model.Clone()
		order := []int{0, 1, 2}
		slices.SortFunc(order, func(a, b int) int { return int(math.Copysign(1, got.Means[a]-got.Means[b])) })
		for i, k := range order {
			if math.Abs(got.Means[k]-truth.Means[i]) > 0.01 || math.Abs(got.Weights[k]-truth.Weights[i]) > 0.02 {
				t.Errorf("%s: component %d = (w %v, mean %v), want near (%v, %v)", prec, k, got.Weights[k], got.Means[k], truth.Weights[i], truth.Means[i])
			}
		}
		// float32 lanes round every term of the log-likelihood to float32: it never
		// decreases by more than that rounding.
		tol := map[string]float64{"float64": 1e-12, "float32": 1e-6}[prec]
		for i := 2; i < len(res.History); i++ {
			if prev, ll := res.History[i-1], res.History[i]; ll < prev-tol*math.Abs(prev) {
				t.Fatalf("%s: iteration %d: log-likelihood fell from %v to %v", prec, i, prev, ll)
			}
		}
	}
}

func TestFloat32VarianceWithoutCancellation(t *testing.T) {
	// Samples 1000 + N(0, 0.01): in float32, sums of x and x^2 would lose the variance
	// entirely (its ratio to the mean squared is 1e-10). The shifted sums keep it.
	one := fromStdevs([]float64{1}, []float64{1000}, []float64{0.01})
	x32 := gen.Float32s(sample(t, 42, 100000, one))
	x := make([]float64, len(x32))
	for i, v := range x32 {
		x[i] = float64(v) // the same values, exactly
	}
	for _, kern := range kernels() {
		opt := Options{Components: 1, MaxIter: 3, Exec: Exec{Kernel: kern}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
		r64, r32 := fitBoth(t, x, x32, opt)
		if e := relErr(r32.Model.Stdevs()[0], r64.Model.Stdevs()[0]); e > 1e-4 {
			t.Errorf("%s: float32 stdev %v, float64 %v (rel err %.2g)", kern, r32.Model.Stdevs()[0], r64.Model.Stdevs()[0], e)
		}
		if e := relErr(r64.Model.Stdevs()[0], 0.01); e > 0.01 {
			t.Errorf("%s: stdev %v, want about 0.01", kern, r64.Model.Stdevs()[0])
		}
	}
}

// Finite samples of any magnitude give a valid model on every kernel, in either precision,
// and the same one up to the precision's rounding: the extreme ones fit in a frame scaled
// to their range.
func TestSamplesOfAnyMagnitudeFit(t *testing.T) {
	tiny := math.SmallestNonzeroFloat64
	tiny32 := float32(math.SmallestNonzeroFloat32)
	for _, x := range [][]float64{
		{0, .5, 1, 1e200},
		{-math.MaxFloat64, 0, 1, math.MaxFloat64, math.MaxFloat64},
		{math.MaxFloat64, math.MaxFloat64, math.MaxFloat64},
		{-math.MaxFloat64, -math.MaxFloat64 / 2, -1e300, -1e300},
		{0, tiny, 2 * tiny, 3 * tiny, 5 * tiny},
		{1e15, 1e15 + 64, 1e15 + 128, 1e15 + 320},
		{1, 1 + 1e-10, 1 + 2e-10, 1 + 5e-10},
	} {
		fitEverywhere(t, x, 1e-9)
	}
	for _, x := range [][]float32{
		{0, .5, 1, 1e19},
		{-math.MaxFloat32, 0, 1, math.MaxFloat32, math.MaxFloat32},
		{0, tiny32, 2 * tiny32, 3 * tiny32, 7 * tiny32},
		{3e38, 3e38, 3e38},
	} {
		fitEverywhere(t, x, 1e-4)
	}
}

// fitEverywhere fits x with 1 to 3 components on every kernel and fails unless each gives a
// valid model whose means agree with the first kernel's to tol of the data's range, and
// that scores x as the fit did (to tol relative). The
// fits run to convergence: on the way, from a start near a saddle, the float32 lanes'
// rounding grows as EM leaves it. float32 fits run all 1000 iterations: near a saddle
// their log-likelihood, summed from float32 terms, can repeat to the bit, which a
// tolerance would take for convergence.
func fitEverywhere[T float32 | float64](t *testing.T, x []T, tol float64) {
	t.Helper()
	lo, hi := float64(slices.Min(x)), float64(slices.Max(x))
	span := hi/2 - lo/2
	stop := 1e-12
	if !is64[T]() {
		stop = 0
	}
	for k := 1; k <= min(3, len(x)); k++ {
		var first *Result
		for _, kern := range kernels() {
			res, err := fitKeep(t.Context(), x, Options{Components: k, MaxIter: 1000, Tol: offIfZero(stop), Init: InitQuantiles, Exec: Exec{Kernel: kern}, AddedVariance: Off})
			if err != nil {
				t.Fatalf("%s: %d components for %v: %v", kern, k, x, err)
			}
			checkValid(t, fmt.Sprintf("%s: %d components for %v", kern, k, x), res, k)
			checkScores(t, fmt.Sprintf("%s: %d components for %v", kern, k, x), res.Result, x, tol)
			if first == nil {
				first = res.Result
				continue
			}
			for c := range k {
				if d := math.Abs(res.Model.Means[c]/2 - first.Model.Means[c]/2); d > tol*span {
					t.Errorf("%d components for %v: mean %d is %v on %s, %v on %s", k, x, c,
						res.Model.Means[c], kern, first.Model.Means[c], first.Kernel)
				}
			}
		}
	}
}

// checkScores fails unless the model that res fitted to x scores x as the fit did, with no
// NaN in any score, label or responsibility. The log-likelihoods agree to tol relative,
// and to what rounding the model to the data's units may move them: a mean moves by up to
// an ulp of the samples and a standard deviation by as much, which shift log p by up to
// twice that over the narrowest component's standard deviation. Where that one is an ulp
// or less (subnormal samples), or a variance leaves the float64 range (a spread beyond
// 1e154 or below 1e-154, clamped), the model in the data's units is not the one fitted
// and only its validity is checked.
func checkScores[T float32 | float64](t *testing.T, what string, res *Result, x []T, tol float64) {
	t.Helper()
	e := Exec{Kernel: res.Kernel}
	top := max(math.Abs(float64(slices.Min(x))), math.Abs(float64(slices.Max(x))))
	ulp := math.Nextafter(top, math.Inf(1)) - top
	slack := float64(len(x)) * 2 * ulp / slices.Min(res.Model.Stdevs())
	v := res.Model.Covariances
	if slices.Min(res.Model.Stdevs()) <= ulp || slices.Max(v) == math.MaxFloat64 || slices.Min(v) < 0x1p-1022 {
		slack = math.Inf(1)
	}
	ll, err := LogLikelihood(t.Context(), &res.Model, x, e)
	if err != nil || !(math.Abs(ll-res.LogLikelihood) <= tol*math.Max(1, math.Abs(ll))+slack) {
		t.Errorf("%s: LogLikelihood %v (%v), the fit's %v", what, ll, err, res.LogLikelihood)
	}
	scores, err := ScoreSamples(t.Context(), &res.Model, x, e)
	if err != nil || slices.ContainsFunc(scores, math.IsNaN) {
		t.Errorf("%s: ScoreSamples %v (%v)", what, scores, err)
	}
	proba, err := PredictProba(t.Context(), &res.Model, x, e)
	if err != nil || slices.ContainsFunc(proba, math.IsNaN) {
		t.Errorf("%s: PredictProba %v (%v)", what, proba, err)
	}
	labels := make([]uint16, len(x))
	if err := Predict(t.Context(), &res.Model, labels, x, e); err != nil || slices.Max(labels) >= uint16(res.Model.K()) {
		t.Errorf("%s: Predict %v (%v)", what, labels, err)
	}
}

// A model with components far narrower than float32 lanes can hold, or data far from it,
// score alike on every kernel and in either precision: -Inf, not NaN, where every
// density underflows.
func TestExtremeModelsScoreAlike(t *testing.T) {
	m := Model{Weights: []float64{0.5, 0.5}, Means: []float64{0, 1}, Covariances: []float64{1e-300, 0.25}}
	norm := math.Log(math.Sqrt(2 * math.Pi))
	narrow := math.Log(0.5) - 0.5*math.Log(1e-300) - norm // component 0's log-joint at its mean
	wide := func(x float64) float64 { return math.Log(0.5) - math.Log(0.5) - norm - 2*(x-1)*(x-1) }
	x := []float64{0, 1e-151, 0.5, 1e10, -1e200, 1e300}
	want := []float64{narrow, narrow - 0.005, wide(0.5), wide(1e10), math.Inf(-1), math.Inf(-1)}
	x32 := []float32{0, 0.5, 1e10, -1e30, 3e38}
	for _, kern := range kernels() {
		e := Exec{Kernel: kern}
		got, err := ScoreSamples(t.Context(), &m, x, e)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if d := math.Abs(got[i] - want[i]); !(d <= 1e-12*math.Abs(want[i])) && got[i] != want[i] {
				t.Errorf("%s: log p(%v) = %v, want %v", kern, x[i], got[i], want[i])
			}
		}
		got32, err := ScoreSamples(t.Context(), &m, x32, e)
		if err != nil {
			t.Fatal(err)
		}
		want32, err := ScoreSamples(t.Context(), &m, to64(x32), e)
		if err != nil || !slices.Equal(got32, want32) || slices.ContainsFunc(got32, math.IsNaN) {
			t.Errorf("%s: float32 samples %v score %v, as float64 %v (%v)", kern, x32, got32, want32, err)
		}
		proba, err := PredictProba(t.Context(), &m, x, e)
		if err != nil || !slices.Equal(proba[8:], []float64{1, 0, 1, 0}) {
			t.Errorf("%s: responsibilities of the samples beyond reach: %v (%v)", kern, proba, err)
		}
	}
}

// to64 widens float32 samples.
func to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// A fit is equivariant under an affine map of the data: the samples a z + b, of extreme
// a or b, fit to the model of z mapped the same way, whose log-likelihood is less by
// N log|a|.
func TestFitIsAffineEquivariant(t *testing.T) {
	z := sample(t, 21, 3000, truth)
	opt := Options{Components: 3, MaxIter: 40, Init: InitQuantiles, Tol: Off, AddedVariance: Off}
	ref, err := Fit(t.Context(), z, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, ab := range [][2]float64{{1e150, 0}, {1e-140, 0}, {1e9, 1e15}, {-1e-3, 1e3}, {1e140, -1e145}, {-1e-130, 1e-125}} {
		a, b := ab[0], ab[1]
		x := make([]float64, len(z))
		for i, v := range z {
			x[i] = a*v + b
		}
		res, err := Fit(t.Context(), x, opt)
		if err != nil {
			t.Fatalf("a=%g b=%g: %v", a, b, err)
		}
		m := res.Model
		for k := range m.Means {
			// A negative a reverses the components' order.
			r := k
			if a < 0 {
				r = len(m.Means) - 1 - k
			}
			mean, sd := ref.Model.Means[r], ref.Model.Stdevs()[r]
			if d := math.Abs((m.Means[k]-b)/a - mean); d > 1e-6*sd {
				t.Errorf("a=%g b=%g: mean %d is %v, want %v", a, b, k, (m.Means[k]-b)/a, mean)
			}
			if d := math.Abs(m.Stdevs()[k]/math.Abs(a) - sd); d > 1e-6*sd {
				t.Errorf("a=%g b=%g: stdev %d is %v, want %v", a, b, k, m.Stdevs()[k]/math.Abs(a), sd)
			}
			if d := math.Abs(m.Weights[k] - ref.Model.Weights[r]); d > 1e-6 {
				t.Errorf("a=%g b=%g: weight %d is %v, want %v", a, b, k, m.Weights[k], ref.Model.Weights[r])
			}
		}
		want := ref.LogLikelihood - float64(len(z))*math.Log(math.Abs(a))
		if d := math.Abs(res.LogLikelihood - want); d > 1e-6*math.Abs(want) {
			t.Errorf("a=%g b=%g: log-likelihood %v, want %v", a, b, res.LogLikelihood, want)
		}
	}
}

// FuzzFit: any samples, read as float64 and as float32, give a valid model on every
// kernel when they are finite (and at least as many as the components), an
// ErrInvalidData error when they are not, never a panic.
func FuzzFit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f}, uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0x1c, 0x5c, 0x65, 0x3e, 0x85, 0x7a, 0x69}, uint8(1)) // 0 and 1e200
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		x := make([]float64, len(data)/8)
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		x32 := make([]float32, len(data)/4)
		for i := range x32 {
			x32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		fitsOrRefuses(t, x, 1+int(k%4), 0, Full)
		fitsOrRefuses(t, x32, 1+int(k%4), 0, Full)
	})
}

// FuzzFitMulti: any samples of 2 or 3 features, in either precision and of every
// covariance type, give a valid model when they are finite, an error when they are not,
// never a panic.
func FuzzFitMulti(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(2))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		x := make([]float64, len(data)/8)
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		dims := 2 + int(k/4%2)
		x = x[:len(x)/dims*dims]
		cov := Covariance(k / 8 % 4)
		fitsOrRefuses(t, x, 1+int(k%4), dims, cov)
		readsAsHeld(t, x, 1+int(k%4), dims, cov)
	})
}

// readsAsHeld fails unless Fit of x, read through a Source, gives what Fit of x
// gives: the same result or the same error.
func readsAsHeld(t *testing.T, x []float64, k, dims int, cov Covariance) {
	t.Helper()
	opt := Options{Components: k, MaxIter: 3, Dims: dims, Covariance: cov, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	want, err := Fit(t.Context(), x, opt)
	got, err2 := Fit(t.Context(), heldSource{x, dims}, opt)
	if fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%d components of %v for %v: Fit gave %v (%v), Fit %v (%v)", k, cov, x, got, err2, want, err)
	}
}

// heldSource reads samples of d features from a slice it does not show.
type heldSource struct {
	x []float64
	d int
}

func (s heldSource) Len() int { return len(s.x) / s.d }

func (s heldSource) Read(dst []float64, lo int) { copy(dst, s.x[lo*s.d:]) }

// fitsOrRefuses fails unless x, samples of dims features, fits with k components of type
// cov on every kernel to a valid model, or is refused as invalid data everywhere when it
// holds NaN or Inf.
func fitsOrRefuses[T float32 | float64](t *testing.T, x []T, k, dims int, cov Covariance) {
	t.Helper()
	finite := !slices.ContainsFunc(x, func(v T) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) })
	n := len(x) / max(dims, 1)
	for _, kern := range kernels() {
		res, err := fitKeep(t.Context(), x, Options{Components: k, MaxIter: 3, Dims: dims, Covariance: cov, Exec: Exec{Kernel: kern}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
		switch {
		case len(x) == 0 || !finite:
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("%s: %v: %v, want ErrInvalidData", kern, x, err)
			}
		case k > n:
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("%s: %d components for %v: %v, want ErrInvalidOptions", kern, k, x, err)
			}
		case err != nil:
			t.Fatalf("%s: %d components for %v: %v", kern, k, x, err)
		default:
			checkValid(t, fmt.Sprintf("%s: %d components of %v for %v", kern, k, cov, x), res, k)
		}
	}
}
