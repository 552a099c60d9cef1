package gmm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
)

// Score returns the mean log-likelihood per sample of x (in any form Fit takes) under m,
// per unit of weight for a Weighted: scikit-learn's score.
func Score(ctx context.Context, m *Model, x any, e Exec) (float64, error) {
	ll, n, err := penalised(ctx, m, x, e)
	if err != nil {
		return math.NaN(), err
	}
	return ll / n, nil
}

// NumParameters is the number of free parameters of m, scikit-learn's count: K d means,
// K - 1 weights (the last is what the others leave) and the covariances' free entries:
// K d (d+1)/2 for Full, K d for Diag, K for Spherical, d (d+1)/2 for Tied; 0 for a nil
// model.
func (m *Model) NumParameters() int {
	if m == nil {
		return 0
	}
	k, d := m.K(), m.dims()
	cov := k * d * (d + 1) / 2
	switch m.Covariance {
	case Diag:
		cov = k * d
	case Spherical:
		cov = k
	case Tied:
		cov = d * (d + 1) / 2
	}
	return cov + k*d + k - 1
}

// BIC returns the Bayesian information criterion of m on x, -2 log L + NumParameters ln N,
// N the number of samples (their total weight for a Weighted): lower is better, and the
// penalty grows with the number of samples.
func BIC(ctx context.Context, m *Model, x any, e Exec) (float64, error) {
	ll, n, err := penalised(ctx, m, x, e)
	if err != nil {
		return math.NaN(), err
	}
	return bic(ll, m.NumParameters(), n), nil
}

// bic is the Bayesian information criterion of a model of params free parameters whose
// log-likelihood on n samples is ll.
func bic(ll float64, params int, n float64) float64 {
	return -2*ll + float64(params)*math.Log(n)
}

// AIC returns the Akaike information criterion of m on x, -2 log L + 2 NumParameters:
// lower is better.
func AIC(ctx context.Context, m *Model, x any, e Exec) (float64, error) {
	ll, _, err := penalised(ctx, m, x, e)
	if err != nil {
		return math.NaN(), err
	}
	return -2*ll + 2*float64(m.NumParameters()), nil
}

// penalised is the log-likelihood that Score, BIC and AIC use, of samples of some
// weight, and that weight.
func penalised(ctx context.Context, m *Model, x any, e Exec) (ll, weight float64, err error) {
	m, in, err := modelInput(m, x)
	if err != nil {
		return math.NaN(), 0, err
	}
	ll, weight, err = in.logLikelihood(ctx, m, e)
	if err == nil && !(weight > 0) {
		err = fmt.Errorf("gmm: %w: no samples to judge the model on", ErrInvalidData)
	}
	return ll, weight, err
}

// Sample draws n samples from m and returns them, row-major (n x Dims), with the component
// each came from: the component by its weight (weights normalised to sum to one), then
// the sample from its normal distribution, mu + L z for the Cholesky factor L of its
// covariance and z standard normal. The same rng state gives the same samples; a nil rng
// is an error. The samples' values, n Dims, are at most MaxSampleValues.
func (m *Model) Sample(rng *rand.Rand, n int) (x []float64, component []int, err error) {
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	d := m.dims()
	switch {
	case rng == nil:
		return nil, nil, fmt.Errorf("gmm: Sample: no random source (nil)")
	case n < 0 || n > MaxSampleValues/d:
		return nil, nil, fmt.Errorf("gmm: Sample: %d samples of %d features, want 0 to %d values", n, d, MaxSampleValues)
	}
	cum := make([]float64, m.K())
	total := 0.0
	for k, w := range m.Weights {
		total += w
		cum[k] = total
	}
	factors := make([]float64, m.K()*d*d) // each component's L
	a := make([]float64, d*d)
	for k := range m.K() {
		if d == 1 {
			factors[k] = math.Sqrt(m.variance(k))
			continue
		}
		m.covariance(a, k)
		cholesky(factors[k*d*d:(k+1)*d*d], a, d, bound{}) // positive definite: Validate
	}
	x, component = make([]float64, n*d), make([]int, n)
	z := make([]float64, d)
	for i := range n {
		u := rng.Float64() * total
		k := 0
		for k < len(cum)-1 && u >= cum[k] {
			k++
		}
		component[i] = k
		for a := range z {
			z[a] = rng.NormFloat64()
		}
		l := factors[k*d*d : (k+1)*d*d]
		for a := range d {
			v := m.Means[k*d+a]
			for b := 0; b <= a; b++ {
				v += l[a*d+b] * z[b]
			}
			x[i*d+a] = v
		}
	}
	return x, component, nil
}

// MaxSampleValues bounds what Model.Sample draws at once, n samples of Dims values: 2^31
// - 1 values, 16 GiB, and as many component indices (an int on every platform).
const MaxSampleValues = math.MaxInt32

// modelJSON is Model's JSON form; Stdevs is the form of earlier versions, read only.
type modelJSON struct {
	Dims        int       `json:"dims"`
	Covariance  string    `json:"covariance"`
	Weights     []float64 `json:"weights"`
	Means       []float64 `json:"means"`
	Covariances []float64 `json:"covariances,omitempty"`
	Stdevs      []float64 `json:"stdevs,omitempty"`
}

// MarshalJSON writes m as {"dims": d, "covariance": "full", "weights": [...],
// "means": [...], "covariances": [...]} (d at least 1), every number in the shortest form
// that reads back to the same bits. An invalid model is an error.
func (m Model) MarshalJSON() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(modelJSON{Dims: max(m.Dims, 1), Covariance: m.Covariance.String(),
		Weights: m.Weights, Means: m.Means, Covariances: m.Covariances})
}

// UnmarshalJSON reads what MarshalJSON writes, rejecting unknown fields, missing ones and
// any model that Validate rejects; on error m is left unchanged. It also reads the
// one-dimensional form of earlier versions, {"weights": [...], "means": [...],
// "stdevs": [...]}.
func (m *Model) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("gmm: %w: UnmarshalJSON into a nil model", ErrInvalidModel)
	}
	var j modelJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("gmm: %w: %w", ErrInvalidModel, err)
	}
	n := Model{Dims: j.Dims, Weights: j.Weights, Means: j.Means, Covariances: j.Covariances}
	switch {
	case j.Weights == nil || j.Means == nil:
		return fmt.Errorf("gmm: %w: want \"weights\" and \"means\"", ErrInvalidModel)
	case j.Stdevs != nil && (j.Covariances != nil || j.Dims > 1 || j.Covariance != ""):
		return fmt.Errorf("gmm: %w: \"stdevs\" are for one-dimensional models without \"covariances\"", ErrInvalidModel)
	case j.Stdevs != nil:
		for k, sd := range j.Stdevs {
			if !(sd > 0) || math.IsInf(sd, 0) {
				return fmt.Errorf("gmm: %w: stdev %d is %v, want positive and finite", ErrInvalidModel, k, sd)
			}
		}
		n = fromStdevs(j.Weights, j.Means, j.Stdevs)
	case j.Covariances == nil || j.Covariance == "":
		return fmt.Errorf("gmm: %w: want \"covariance\" and \"covariances\" (or \"stdevs\")", ErrInvalidModel)
	default:
		c, err := ParseCovariance(j.Covariance)
		if err != nil {
			return fmt.Errorf("gmm: %w: %w", ErrInvalidModel, err)
		}
		n.Covariance = c
	}
	if err := n.Validate(); err != nil {
		return err
	}
	*m = n
	return nil
}
