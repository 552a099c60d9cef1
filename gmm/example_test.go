package gmm_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/gmm"
	"gonum.org/v1/gonum/mat"
)

// Fit a mixture of two components to samples of two features, with scikit-learn's
// defaults, then label the samples and score the fit. The samples are n rows of Dims
// values in one slice (gonum's layout: mat.NewDense(n, 2, x) reads the same slice).
func Example() {
	ctx := context.Background()
	truth := gmm.Model{Dims: 2, Weights: []float64{0.3, 0.7}, Means: []float64{0, 0, 4, 1},
		Covariances: []float64{1, 0.5, 0.5, 1, 0.5, 0, 0, 0.5}}
	x, _, err := truth.Sample(rand.New(rand.NewPCG(1, 2)), 10000)
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(ctx, x, gmm.Options{Dims: 2, Components: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	m := res.Model
	fmt.Printf("converged %v after %d iterations\n", res.Converged, len(res.History))
	labels := make([]uint16, len(x)/m.Dims)
	if err := gmm.Predict(ctx, &m, labels, x, gmm.Exec{}); err != nil {
		log.Fatal(err)
	}
	bic, err := gmm.BIC(ctx, &m, x, gmm.Exec{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("BIC %.0f\n", bic)
	for k := range m.K() {
		n := 0
		for _, l := range labels {
			if int(l) == k {
				n++
			}
		}
		fmt.Printf("weight %.2f, mean %.2f, %d samples\n", m.Weights[k], m.Means[2*k:2*k+2], n)
	}
	// Unordered output:
	// converged true after 3 iterations
	// BIC 58243
	// weight 0.30, mean [-0.01 -0.01], 2974 samples
	// weight 0.70, mean [3.99 1.01], 7026 samples
}

// Fit, label and score samples held in a gonum matrix, a sample a row: a dense matrix is
// read where it is, and a view of some of its columns (a strided matrix) row by row.
func ExampleFit_matrix() {
	ctx := context.Background()
	truth := gmm.Model{Dims: 2, Weights: []float64{0.5, 0.5}, Means: []float64{0, 0, 5, 5},
		Covariances: []float64{1, 0, 0, 1, 1, 0, 0, 1}}
	x, _, err := truth.Sample(rand.New(rand.NewPCG(5, 6)), 2000)
	if err != nil {
		log.Fatal(err)
	}
	samples := mat.NewDense(2000, 2, x)
	res, err := gmm.Fit(ctx, samples, gmm.Options{Components: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	score, err := gmm.Score(ctx, &res.Model, samples, gmm.Exec{})
	if err != nil {
		log.Fatal(err)
	}
	// The first feature alone: a view of column 0, fitted in one dimension.
	first, err := gmm.Fit(ctx, samples.Slice(0, 2000, 0, 1), gmm.Options{Components: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d features, mean log-likelihood %.2f\n", res.Model.Dims, score)
	fmt.Printf("first feature's means %.2f\n", slices.Sorted(slices.Values(first.Model.Means)))
	// Output:
	// 2 features, mean log-likelihood -3.51
	// first feature's means [-0.03 4.92]
}

// Fit two classes of pixel-like values with the reference program's evenly spaced start.
func ExampleFit() {
	x, err := gen.Mixture(1, 100000, []float64{0.4, 0.6}, []float64{0.2, 0.7}, []float64{0.05, 0.1})
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: 2, MaxIter: 100, Tol: 1e-8, Init: gmm.InitEvenlySpaced, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	m := res.Model
	fmt.Printf("converged: %v\n", res.Converged)
	for k := range m.K() {
		fmt.Printf("weight %.2f  mean %.2f  stdev %.2f\n", m.Weights[k], m.Means[k], m.Stdevs()[k])
	}
	// Output:
	// converged: true
	// weight 0.40  mean 0.20  stdev 0.05
	// weight 0.60  mean 0.70  stdev 0.10
}

// Keep every iteration's model: a Result keeps the last and each iteration's
// log-likelihood, and a Record, as Progress, a copy of every model.
func ExampleRecord() {
	x, err := gen.Mixture(1, 10000, []float64{0.4, 0.6}, []float64{0.2, 0.7}, []float64{0.05, 0.1})
	if err != nil {
		log.Fatal(err)
	}
	var rec gmm.Record
	res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: 2, MaxIter: 3, Progress: rec.Add, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	for i, s := range rec.Run(res.Run) {
		fmt.Printf("iteration %d: means %.3f, log-likelihood %.0f (History: %.0f)\n", s.Iter, s.Model.Means, s.LogLikelihood, res.History[i])
	}
	// Output:
	// iteration 0: means [0.226 0.709], log-likelihood 3359 (History: 3359)
	// iteration 1: means [0.207 0.704], log-likelihood 4443 (History: 4443)
	// iteration 2: means [0.201 0.700], log-likelihood 4708 (History: 4708)
}

// Assign values to the components of a known mixture.
func ExamplePredict() {
	m := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0, 1}, Covariances: []float64{0.04, 0.04}}
	x := []float64{-0.3, 0.2, 0.49, 0.51, 1.4}
	labels := make([]uint16, len(x))
	if err := gmm.Predict(context.Background(), &m, labels, x, gmm.Exec{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(labels)
	// Output: [0 0 0 1 1]
}

// Fit 8-bit data through their histogram: CountLevels gives the distinct values weighted
// by their counts, which Fit takes as they are. The fit is the one over every
// sample, over at most 256 points.
func ExampleCountLevels() {
	levels := []uint16{10, 10, 12, 11, 200, 201, 199, 200, 10, 11}
	values := make([]float64, 256) // level l stands for l/255
	for l := range values {
		values[l] = float64(l) / 255
	}
	counted, err := gmm.CountLevels(context.Background(), levels, values, gmm.Exec{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(counted.Weights), "distinct levels, counts", counted.Weights)
	opt := gmm.Options{Components: 2, MaxIter: 20, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}
	res, err := gmm.Fit(context.Background(), counted, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("means %.3f, weights %.1f\n", res.Model.Means, res.Model.Weights)
	// Output:
	// 6 distinct levels, counts [3 2 1 1 2 1]
	// means [0.042 0.784], weights [0.6 0.4]
}

// Keep the workers alive across calls, as a service labelling one frame after another
// would: every call that names the pool runs on its workers.
func ExamplePool() {
	pool, err := gmm.NewPool(gmm.Exec{Threads: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	exec := gmm.Exec{Pool: pool}
	m := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.2, 0.8}, Covariances: []float64{0.01, 0.01}}
	labels := make([]uint16, 4)
	for _, frame := range [][]float32{{0.1, 0.9, 0.3, 0.7}, {0.8, 0.85, 0.15, 0.45}} {
		if err := gmm.Predict(context.Background(), &m, labels, frame, exec); err != nil {
			log.Fatal(err)
		}
		fmt.Println(labels)
	}
	// Output:
	// [0 1 0 1]
	// [1 1 0 0]
}

// Choose the number of components by BIC: fit K = 1..4 to samples of a 2-component
// mixture and keep the lowest.
func ExampleBIC() {
	truth := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.3, 0.7}, Covariances: []float64{0.0025, 0.0025}}
	x, _, err := truth.Sample(rand.New(rand.NewPCG(1, 1)), 20000)
	if err != nil {
		log.Fatal(err)
	}
	best, bestK := math.Inf(1), 0
	for k := 1; k <= 4; k++ {
		res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: k, MaxIter: 300, Tol: 1e-9, AddedVariance: 1e-9, Init: gmm.InitEvenlySpaced})
		if err != nil {
			log.Fatal(err)
		}
		bic, err := gmm.BIC(context.Background(), &res.Model, x, gmm.Exec{})
		if err != nil {
			log.Fatal(err)
		}
		if bic < best {
			best, bestK = bic, k
		}
	}
	fmt.Println("components:", bestK)
	// Output: components: 2
}

// Save a model as JSON and read it back, validated.
func ExampleModel_MarshalJSON() {
	m := gmm.Model{Weights: []float64{0.25, 0.75}, Means: []float64{0.1, 0.6}, Covariances: []float64{0.0004, 0.01}}
	data, err := json.Marshal(m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))
	var back gmm.Model
	if err := json.Unmarshal(data, &back); err != nil {
		log.Fatal(err)
	}
	err = json.Unmarshal([]byte(`{"weights": [1], "means": [0], "stdevs": [-1]}`), &back)
	fmt.Println(err)
	// Output:
	// {"dims":1,"covariance":"full","weights":[0.25,0.75],"means":[0.1,0.6],"covariances":[0.0004,0.01]}
	// gmm: invalid model: stdev 0 is -1, want positive and finite
}

// Start from k-means++ seeding, four times from different seeds, on data far from [0, 1]
// (where the reference's evenly spaced start would not suit them).
func ExampleFit_kMeansPP() {
	x, err := gen.Mixture(2, 50000, []float64{0.5, 0.3, 0.2}, []float64{-40, 10, 55}, []float64{4, 3, 6})
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(context.Background(), x, gmm.Options{
		Components: 3, MaxIter: 300, Tol: 1e-9, Init: gmm.InitKMeansPP, Seed: 1, NInit: 4, AddedVariance: gmm.Off,
	})
	if err != nil {
		log.Fatal(err)
	}
	m := res.Model
	for _, k := range sortedByMean(m) {
		fmt.Printf("weight %.2f  mean %.0f  stdev %.0f\n", m.Weights[k], m.Means[k], m.Stdevs()[k])
	}
	// Output:
	// weight 0.50  mean -40  stdev 4
	// weight 0.30  mean 10  stdev 3
	// weight 0.20  mean 55  stdev 6
}

// Degenerate data give a valid mixture, not an error: here three components for two
// distinct values. Each value gets components of its own, whose variance is the floor: a
// millionth of the data's (2.16 here).
func ExampleFit_degenerate() {
	x := []float64{2, 2, 2, 2, 2, 2, 5, 5, 5, 5}
	res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: 3, MaxIter: 50, Init: gmm.InitQuantiles, Tol: gmm.Off, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	m := res.Model
	for _, k := range sortedByMean(m) {
		fmt.Printf("weight %.2f  mean %.2f  stdev %.4f\n", m.Weights[k], m.Means[k], m.Stdevs()[k])
	}
	fmt.Println("valid:", m.Validate() == nil)
	// Output:
	// weight 0.30  mean 2.00  stdev 0.0015
	// weight 0.30  mean 2.00  stdev 0.0015
	// weight 0.40  mean 5.00  stdev 0.0015
	// valid: true
}

// sortedByMean returns m's component indices in increasing order of their means.
func sortedByMean(m gmm.Model) []int {
	order := make([]int, m.K())
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(m.Means[a], m.Means[b]) })
	return order
}

// Let the data choose the number of components: the lowest BIC among K = 1..5.
func ExampleSelectComponents() {
	x, err := gen.Mixture(4, 20000, []float64{0.3, 0.4, 0.3}, []float64{0.15, 0.5, 0.85}, []float64{0.05, 0.05, 0.05})
	if err != nil {
		log.Fatal(err)
	}
	sel, err := gmm.SelectComponents(context.Background(), x, 1, 5, gmm.Options{MaxIter: 200, Tol: 1e-8, Init: gmm.InitKMeansPP, Seed: 1, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("components:", sel.Candidates[sel.Best].K)
	// Output: components: 3
}

// Fit colour samples, n rows of 3 features in one row-major slice: gonum's layout, so a
// mat.Dense made over the slice shares it, and the fitted means read as a K x 3 matrix.
func ExampleFit_colour() {
	m := gmm.Model{Dims: 3, Weights: []float64{0.5, 0.5}, Means: []float64{0.2, 0.3, 0.8, 0.9, 0.5, 0.1},
		Covariances: []float64{0.01, 0.002, 0, 0.002, 0.01, 0, 0, 0, 0.01, 0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01}}
	x, _, err := m.Sample(rand.New(rand.NewPCG(1, 2)), 20000)
	if err != nil {
		log.Fatal(err)
	}
	samples := mat.NewDense(len(x)/3, 3, x) // shares x
	res, err := gmm.Fit(context.Background(), samples.RawMatrix().Data, gmm.Options{
		Dims: 3, Covariance: gmm.Full, Components: 2, MaxIter: 100, Tol: 1e-8, Init: gmm.InitKMeansPP, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	means := mat.NewDense(2, 3, res.Model.Means)
	for k := range 2 {
		r := means.RawRowView(k)
		fmt.Printf("weight %.2f  mean %.2f %.2f %.2f\n", res.Model.Weights[k], r[0], r[1], r[2])
	}
	// Unordered output:
	// weight 0.50  mean 0.20 0.30 0.80
	// weight 0.50  mean 0.90 0.50 0.10
}

// planes are samples of 3 features held as three planes of bytes, as an image's
// channels are: a gmm.PlaneSource that converts a block at a time, row-major (Read) or
// feature by feature (ReadPlanes, which the SIMD kernels take without a transpose).
type planes struct{ r, g, b []uint8 }

func (p planes) Len() int { return len(p.r) }

func (p planes) Read(dst []float32, lo int) {
	for i := range len(dst) / 3 {
		dst[3*i], dst[3*i+1], dst[3*i+2] = p.at(lo + i)
	}
}

func (p planes) ReadPlanes(dst []float32, lo int) {
	n := len(dst) / 3
	for i := range n {
		dst[i], dst[n+i], dst[2*n+i] = p.at(lo + i)
	}
}

// at returns sample i.
func (p planes) at(i int) (r, g, b float32) {
	return float32(p.r[i]) / 255, float32(p.g[i]) / 255, float32(p.b[i]) / 255
}

// Fit and label samples held in planes, read tile by tile: no copy of them all is made.
func ExampleFit_source() {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 100000
	p := planes{make([]uint8, n), make([]uint8, n), make([]uint8, n)}
	for i := range n { // a red half and a blue half, with noise
		v := func(mean float64) uint8 { return uint8(math.Round(mean + 10*rng.NormFloat64())) }
		if i < n/2 {
			p.r[i], p.g[i], p.b[i] = v(200), v(40), v(40)
		} else {
			p.r[i], p.g[i], p.b[i] = v(30), v(60), v(190)
		}
	}
	ctx := context.Background()
	res, err := gmm.Fit(ctx, p, gmm.Options{Dims: 3, Components: 2, MaxIter: 50, Tol: 1e-6, Init: gmm.InitEvenlySpaced, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	labels := make([]uint16, n)
	if err := gmm.Predict(ctx, &res.Model, labels, p, gmm.Exec{}); err != nil {
		log.Fatal(err)
	}
	for k := range 2 {
		mu := res.Model.Means[3*k : 3*k+3]
		fmt.Printf("weight %.2f  mean %.0f %.0f %.0f\n", res.Model.Weights[k], 255*mu[0], 255*mu[1], 255*mu[2])
	}
	fmt.Println("first and last samples apart:", labels[0] != labels[n-1])
	// Unordered output:
	// weight 0.50  mean 200 40 40
	// weight 0.50  mean 30 60 190
	// first and last samples apart: true
}

// Fit one mixture to samples held in shards, as an engine that runs the E-steps where the
// shards are would: summaries first, then each pass's statistics, merged.
func ExampleNewEM() {
	var shards [][]float64
	for seed := range uint64(4) {
		x, err := gen.Mixture(seed, 25000, []float64{0.4, 0.6}, []float64{0.2, 0.7}, []float64{0.05, 0.1})
		if err != nil {
			log.Fatal(err)
		}
		shards = append(shards, x)
	}
	var summary gmm.Summary
	for _, x := range shards {
		s, err := gmm.Summarize(x, 1)
		if err != nil {
			log.Fatal(err)
		}
		if summary, err = summary.Merge(s); err != nil {
			log.Fatal(err)
		}
	}
	em, err := gmm.NewEM(gmm.Options{Components: 2, MaxIter: 100, Tol: 1e-8, Init: gmm.InitEvenlySpaced, AddedVariance: gmm.Off}, summary)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for !em.Done() {
		p := em.Params() // shipped to the shards with p.MarshalBinary
		var all *gmm.Stats
		for _, x := range shards {
			s, err := gmm.EStep(ctx, p, x, gmm.Exec{}) // shipped back with s.MarshalBinary
			if err != nil {
				log.Fatal(err)
			}
			if all == nil {
				all = s
			} else if err := all.Merge(s); err != nil {
				log.Fatal(err)
			}
		}
		if err := em.Update(all); err != nil {
			log.Fatal(err)
		}
	}
	res := em.Result()
	fmt.Printf("converged: %v\n", res.Converged)
	for k := range res.Model.K() {
		fmt.Printf("weight %.2f  mean %.2f  stdev %.2f\n", res.Model.Weights[k], res.Model.Means[k], res.Model.Stdevs()[k])
	}
	// Output:
	// converged: true
	// weight 0.40  mean 0.20  stdev 0.05
	// weight 0.60  mean 0.70  stdev 0.10
}
