package gmm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/race"
)

// float32Tol is how closely a fit of float32 samples follows the float64 fit of the same
// values, on every kernel: the float32 lanes compute each log-joint with about four
// float32 roundings of its magnitude (below 20 for any sample with weight worth the
// name), so each responsibility carries up to about 4 x 20 x 2^-24 = 5e-6 of relative
// error, and the moments add up in float32 over at most 32 terms a lane before they are
// widened (2^-24 x 32 = 2e-6). So every parameter moves by a few 1e-6 of its scale a
// step, and EM, a contraction near its fixed point, keeps that from growing: 1e-5 of the
// scale (weights relative, means in standard deviations, covariances relative to the
// geometric mean of their two variances).
const float32Tol = 1e-5

// float32Case is samples of k clusters of d features about offset, each scale wide and 6
// scales from the last, as float32, and a start near them.
type float32Case struct {
	x32   []float32
	x     []float64 // the same values
	d     int
	start Model
}

// newFloat32Case draws a float32Case of covariance type cov.
func newFloat32Case(seed uint64, offset, scale float64, k, d int, cov Covariance) float32Case {
	rng := rand.New(rand.NewPCG(seed, 34))
	ctr, sp, means, vars := make([][]float64, k), make([][]float64, k), make([][]float64, k), make([][]float64, k)
	counts := make([]int, k)
	weights := make([]float64, k)
	for c := range k {
		counts[c], weights[c] = 200+rng.IntN(400), 1/float64(k)
		for a := range d {
			s := scale * (0.5 + rng.Float64())
			ctr[c] = append(ctr[c], offset+scale*(6*float64(c)+float64(a)))
			sp[c] = append(sp[c], s)
			means[c] = append(means[c], ctr[c][a]+s*(rng.Float64()-0.5))
			vars[c] = append(vars[c], 1.5*s*s)
		}
	}
	x := clusters(rng, counts, ctr, sp)
	fc := float32Case{x32: make([]float32, len(x)), x: x, d: d}
	for i, v := range x {
		fc.x32[i] = float32(v)
		fc.x[i] = float64(fc.x32[i])
	}
	hc := hostileCase{d: d, start: startOf(weights, means, vars)}
	fc.start = hc.as(cov)
	return fc
}

// checkFloat32Fits fits the case's float32 samples on every kernel and holds each fit to
// the float64 Go fit of the same values, step by step, to float32Tol.
func checkFloat32Fits(t *testing.T, what string, fc *float32Case, iters int) {
	t.Helper()
	opt := Options{Components: fc.start.K(), Dims: fc.d, Covariance: fc.start.Covariance, MaxIter: iters, InitModel: &fc.start,
		Exec: Exec{Kernel: "generic"}, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	want, err := fitKeep(t.Context(), fc.x, opt)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, name := range kernels() {
		opt.Kernel = name
		got, err := fitKeep(t.Context(), fc.x32, opt)
		if err != nil {
			t.Fatalf("%s %s: %v", what, name, err)
		}
		if len(got.History) != len(want.History) {
			t.Fatalf("%s %s: %d iterations, float64 %d", what, name, len(got.History), len(want.History))
		}
		for i := range want.Steps {
			g, w := got.Steps[i].Model, want.Steps[i].Model
			g.Dims, w.Dims = fc.d, fc.d
			closeModelsBy(t, fmt.Sprintf("%s %s: step %d", what, name, i), &g, &w, float32Tol, func(_, sd float64) float64 { return sd })
		}
	}
}

// resolves reports whether float32 tells samples scale apart at offset: by at least 2^4
// of its ulps.
func resolves(offset, scale float64) bool { return scale >= offset*0x1p-19 }

// float32 samples far from zero fit as their float64 values do, on every kernel: offsets
// from 0 to 1e7 wherever float32 resolves the clusters (spreads from 1e-3 to 1e3), K = 2
// to 5, d = 1 to 4, every covariance type in turn, ten seeds each (two under the race
// detector, whose runs find nothing here that two do not), 15 iterations.
func TestFloat32FitsAreFloat64Fits(t *testing.T) {
	seeds := 10
	if race.Enabled || testing.Short() {
		seeds = 2
	}
	types := []Covariance{Full, Diag, Spherical, Tied}
	for _, offset := range []float64{0, 1e2, 1e4, 1e5, 1e6, 1e7} {
		for _, scale := range []float64{1e-3, 1, 1e3} {
			if !resolves(offset, scale) {
				continue
			}
			for k := 2; k <= 5; k++ {
				for d := 1; d <= 4; d++ {
					for seed := range seeds {
						cov := types[seed%len(types)]
						fc := newFloat32Case(uint64(seed), offset, scale, k, d, cov)
						checkFloat32Fits(t, fmt.Sprintf("offset %g scale %g K=%d d=%d %v seed %d", offset, scale, k, d, cov, seed), &fc, 15)
					}
				}
			}
		}
	}
}

// FuzzFloat32Fits draws float32 samples at offsets up to 1e8 and spreads from 1e-4 to
// 1e4, where float32 resolves them, and holds every kernel's fit to the float64 fit of
// the same values.
func FuzzFloat32Fits(f *testing.F) {
	f.Add(uint64(1), uint8(6), int8(0), uint8(2), uint8(1), uint8(0))
	f.Add(uint64(2), uint8(8), int8(3), uint8(4), uint8(3), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, offset uint8, scale int8, k, d, cov uint8) {
		o, s := math.Pow(10, float64(offset%9)), math.Pow(10, float64(min(max(scale, -4), 4)))
		if offset%10 == 9 {
			o = 0
		}
		if !resolves(o, s) {
			return
		}
		fc := newFloat32Case(seed, o, s, 1+int(k%5), 1+int(d%4), Covariance(cov%4))
		checkFloat32Fits(t, fmt.Sprintf("offset %g scale %g", o, s), &fc, 8)
	})
}
