package gmm

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// checkValid fails unless every step of res holds a valid mixture of k components whose
// weights sum to one, with a finite log-likelihood.
func checkValid(t *testing.T, what string, res *Result, k int) {
	t.Helper()
	for _, s := range res.History {
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
			opt := Options{Components: c.k, MaxIter: 30, Init: init, Seed: 5}
			r64, err := Fit(t.Context(), c.x, opt)
			if err != nil {
				t.Fatalf("%s, %v: %v", c.name, init, err)
			}
			checkValid(t, c.name+", float64, "+init.String(), r64, c.k)
			r32, err := Fit(t.Context(), gen.Float32s(c.x), opt)
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
					near = near || math.Abs(mu-v) <= 3*r64.Model.Stdevs[k]
				}
				if !near {
					t.Errorf("%s, %v: no component near %v: %v", c.name, init, v, r64.Model)
				}
			}
		}
	}
}

func TestVarianceFloorHoldsPointMasses(t *testing.T) {
	// Two point masses: each component settles on one, and its variance on the floor,
	// a millionth of the data's variance; the log-likelihood still never decreases.
	x := []float64{0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7}
	mean := (4*0.2 + 3*0.7) / 7
	variance := (4*(0.2-mean)*(0.2-mean) + 3*(0.7-mean)*(0.7-mean)) / 7
	res, err := Fit(t.Context(), x, Options{Components: 2, MaxIter: 40})
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, "point masses", res, 2)
	m := res.Model
	if math.Abs(m.Means[0]-0.2) > 1e-12 || math.Abs(m.Means[1]-0.7) > 1e-12 {
		t.Fatalf("means %v, want 0.2 and 0.7", m.Means)
	}
	for k, sd := range m.Stdevs {
		if e := relErr(sd*sd, 1e-6*variance); e > 1e-9 {
			t.Errorf("component %d: variance %v, want the floor %v", k, sd*sd, 1e-6*variance)
		}
	}
	for i := 1; i < len(res.History); i++ {
		if prev, ll := res.History[i-1].LogLikelihood, res.History[i].LogLikelihood; ll < prev-1e-9*math.Abs(prev) {
			t.Fatalf("iteration %d: log-likelihood fell from %v to %v", i, prev, ll)
		}
	}
	if len(res.Reseeded) != 0 {
		t.Errorf("reseeded %v, want none", res.Reseeded)
	}
}

func TestFloorLeavesOrdinaryFitsExact(t *testing.T) {
	// MinVariance is added on top of the exact M-step, the floor does not move it.
	x := sample(t, 40, 5000, truth)
	plain, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 5})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Fit(t.Context(), x, Options{Components: 3, MaxIter: 1, MinVariance: 1e-3, InitModel: &plain.History[3].Model})
	if err != nil {
		t.Fatal(err)
	}
	for k, sd := range reg.Model.Stdevs {
		want := plain.History[4].Model.Stdevs[k]
		if e := relErr(sd*sd, want*want+1e-3); e > 1e-12 {
			t.Errorf("component %d: variance %v, want %v + 1e-3", k, sd*sd, want*want)
		}
	}
}

func TestComponentFarFromTheDataIsSplit(t *testing.T) {
	x := sample(t, 41, 20000, truth)
	start := Model{
		Weights: []float64{0.4, 0.4, 0.2},
		Means:   []float64{0.3, 0.6, 1e6},
		Stdevs:  []float64{0.2, 0.05, 1e-3},
	}
	for _, prec := range []string{"float64", "float32"} {
		opt := Options{Components: 3, MaxIter: 200, InitModel: &start, Tol: 1e-10}
		var res *Result
		var err error
		if prec == "float64" {
			res, err = Fit(t.Context(), x, opt)
		} else {
			res, err = Fit(t.Context(), gen.Float32s(x), opt)
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
		split := res.History[0].Model
		if split.Weights[0] != split.Weights[2] || split.Stdevs[0] != split.Stdevs[2] || !(split.Means[0] < split.Means[2]) {
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
			if prev, ll := res.History[i-1].LogLikelihood, res.History[i].LogLikelihood; ll < prev-tol*math.Abs(prev) {
				t.Fatalf("%s: iteration %d: log-likelihood fell from %v to %v", prec, i, prev, ll)
			}
		}
	}
}

func TestFloat32VarianceWithoutCancellation(t *testing.T) {
	// Samples 1000 + N(0, 0.01): in float32, sums of x and x^2 would lose the variance
	// entirely (its ratio to the mean squared is 1e-10). The shifted sums keep it.
	one := Model{Weights: []float64{1}, Means: []float64{1000}, Stdevs: []float64{0.01}}
	x32 := gen.Float32s(sample(t, 42, 100000, one))
	x := make([]float64, len(x32))
	for i, v := range x32 {
		x[i] = float64(v) // the same values, exactly
	}
	for _, kern := range kernel.Available() {
		opt := Options{Components: 1, MaxIter: 3, Exec: Exec{Kernel: kern}}
		r64, r32 := fitBoth(t, x, x32, opt)
		if e := relErr(r32.Model.Stdevs[0], r64.Model.Stdevs[0]); e > 1e-4 {
			t.Errorf("%s: float32 stdev %v, float64 %v (rel err %.2g)", kern, r32.Model.Stdevs[0], r64.Model.Stdevs[0], e)
		}
		if e := relErr(r64.Model.Stdevs[0], 0.01); e > 0.01 {
			t.Errorf("%s: stdev %v, want about 0.01", kern, r64.Model.Stdevs[0])
		}
	}
}

// Finite samples whose squares overflow leave no component any weight: an error on every
// kernel, never an index panic. (float32 lanes overflow from about 1e19, where the
// float64 arithmetic of the generic kernel does not: until the fit runs in a scaled
// frame, those give a model there and the error on the SIMD kernels.)
func TestHugeSamplesAreAnErrorNotAPanic(t *testing.T) {
	for _, kern := range kernel.Available() {
		e := Exec{Kernel: kern}
		res, err := Fit(t.Context(), []float64{0, .5, 1, 1e200}, Options{Components: 2, MaxIter: 2, Exec: e})
		if !errors.Is(err, ErrUnfittable) || res == nil || len(res.History) != 0 {
			t.Errorf("%s: Fit of 1e200: %v, %v", kern, res, err)
		}
		if _, err := SelectComponents(t.Context(), []float64{0, .5, 1, 1e200}, 1, 3, Options{MaxIter: 2, Exec: e}); !errors.Is(err, ErrUnfittable) {
			t.Errorf("%s: SelectComponents of 1e200: %v", kern, err)
		}
		res, err = Fit(t.Context(), []float32{0, .5, 1, 1e19}, Options{Components: 2, MaxIter: 2, Exec: e})
		if err == nil {
			if verr := res.Model.Validate(); verr != nil {
				t.Errorf("%s: Fit of 1e19 in float32: %v", kern, verr)
			}
		} else if !errors.Is(err, ErrUnfittable) {
			t.Errorf("%s: Fit of 1e19 in float32: %v", kern, err)
		}
	}
}

// FuzzFit: any float64 samples give a valid model or an error, never a panic, and the same
// outcome on every kernel.
func FuzzFit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f}, uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0x1c, 0x5c, 0x65, 0x3e, 0x85, 0x7a, 0x69}, uint8(1)) // 0 and 1e200
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		x := make([]float64, len(data)/8)
		for i := range x {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
		opt := Options{Components: 1 + int(k%4), MaxIter: 3}
		var first error
		for i, kern := range kernel.Available() {
			opt.Exec = Exec{Kernel: kern}
			res, err := Fit(t.Context(), x, opt)
			if err == nil {
				if verr := res.Model.Validate(); verr != nil {
					t.Fatalf("%s: %v gives an invalid model: %v", kern, x, verr)
				}
			}
			if i == 0 {
				first = err
			} else if (err == nil) != (first == nil) {
				t.Fatalf("%v: %s gives %v, %s gives %v", x, kernel.Available()[0], first, kern, err)
			}
		}
	})
}
