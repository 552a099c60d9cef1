package gmm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/gmm"
)

// Fit two classes of pixel-like values with the reference program's evenly spaced start.
func ExampleFit() {
	x, err := gen.Mixture(1, 100000, []float64{0.4, 0.6}, []float64{0.2, 0.7}, []float64{0.05, 0.1})
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: 2, MaxIter: 100, Tol: 1e-8})
	if err != nil {
		log.Fatal(err)
	}
	m := res.Model
	fmt.Printf("converged: %v\n", res.Converged)
	for k := range m.K() {
		fmt.Printf("weight %.2f  mean %.2f  stdev %.2f\n", m.Weights[k], m.Means[k], m.Stdevs[k])
	}
	// Output:
	// converged: true
	// weight 0.40  mean 0.20  stdev 0.05
	// weight 0.60  mean 0.70  stdev 0.10
}

// Assign values to the components of a known mixture.
func ExampleModel_Predict() {
	m := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0, 1}, Stdevs: []float64{0.2, 0.2}}
	labels, err := m.Predict([]float64{-0.3, 0.2, 0.49, 0.51, 1.4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(labels)
	// Output: [0 0 0 1 1]
}

// Choose the number of components by BIC: fit K = 1..4 to samples of a 2-component
// mixture and keep the lowest.
func ExampleModel_BIC() {
	truth := gmm.Model{Weights: []float64{0.5, 0.5}, Means: []float64{0.3, 0.7}, Stdevs: []float64{0.05, 0.05}}
	x, _, err := truth.Sample(rand.New(rand.NewPCG(1, 1)), 20000)
	if err != nil {
		log.Fatal(err)
	}
	best, bestK := math.Inf(1), 0
	for k := 1; k <= 4; k++ {
		res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: k, MaxIter: 300, Tol: 1e-9, MinVariance: 1e-9})
		if err != nil {
			log.Fatal(err)
		}
		bic, err := res.Model.BIC(x)
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
	m := gmm.Model{Weights: []float64{0.25, 0.75}, Means: []float64{0.1, 0.6}, Stdevs: []float64{0.02, 0.1}}
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
	// {"weights":[0.25,0.75],"means":[0.1,0.6],"stdevs":[0.02,0.1]}
	// invalid model: stdev 0 is -1, want positive, finite and above 1e-154
}
