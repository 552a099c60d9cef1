// Package gen makes deterministic synthetic workloads for tests, benchmarks and gmmbench:
// samples of Gaussian mixtures whose true parameters are known, and their float32 copies.
// It uses only the standard library, so that every tool of the project can share it.
package gen

import (
	"fmt"
	"math/rand/v2"
)

// Mixture returns n samples of the mixture with the given weights (need not sum to one),
// means and standard deviations, the same for the same seed on every platform.
func Mixture(seed uint64, n int, weights, means, stdevs []float64) ([]float64, error) {
	k := len(weights)
	if k == 0 || len(means) != k || len(stdevs) != k {
		return nil, fmt.Errorf("gen: %d weights, %d means, %d stdevs", k, len(means), len(stdevs))
	}
	cum := make([]float64, k)
	total := 0.0
	for i, w := range weights {
		if !(w >= 0) {
			return nil, fmt.Errorf("gen: weight %d is %v", i, w)
		}
		total += w
		cum[i] = total
	}
	if !(total > 0) {
		return nil, fmt.Errorf("gen: the weights sum to %v", total)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	x := make([]float64, n)
	for i := range x {
		u := rng.Float64() * total
		c := 0
		for c < k-1 && u >= cum[c] {
			c++
		}
		x[i] = means[c] + stdevs[c]*rng.NormFloat64()
	}
	return x, nil
}

// Params are the weights, means and standard deviations of a mixture.
type Params struct {
	Weights, Means, Stdevs []float64
}

// Variances returns the squares of p's standard deviations.
func (p Params) Variances() []float64 {
	v := make([]float64, len(p.Stdevs))
	for k, sd := range p.Stdevs {
		v[k] = sd * sd
	}
	return v
}

// Spread returns a k-component mixture spread over [0, 1]: equal weights, means at the
// centres of k equal bins and standard deviations of half a bin, so that neighbours
// overlap as the classes of a photo do.
func Spread(k int) Params {
	var p Params
	for j := range k {
		p.Weights = append(p.Weights, 1/float64(k))
		p.Means = append(p.Means, (float64(j)+0.5)/float64(k))
		p.Stdevs = append(p.Stdevs, 0.5/float64(k))
	}
	return p
}

// Float32s returns x rounded to float32, element by element.
func Float32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
