package gmm_test

import (
	"context"
	"fmt"
	"log"

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
