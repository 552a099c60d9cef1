package gmm_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/gmm"
)

// A model's precisions and their Cholesky factors, as scikit-learn's precisions_ and
// precisions_cholesky_ hold them: here one tied covariance of two features.
func ExampleModel_Precisions() {
	m := gmm.Model{Dims: 2, Covariance: gmm.Tied, Weights: []float64{0.5, 0.5},
		Means: []float64{0, 0, 3, 3}, Covariances: []float64{4, 2, 2, 2}}
	p, err := m.Precisions()
	if err != nil {
		log.Fatal(err)
	}
	u, err := m.PrecisionsCholesky()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("precision %.3g\n", p)
	fmt.Printf("its factor U (U U^T = precision) %.3g\n", u)
	// Output:
	// precision [0.5 -0.5 -0.5 1]
	// its factor U (U U^T = precision) [0.5 -0.5 0 1]
}

// The zero Options are scikit-learn's defaults: k-means, then EM until the mean
// log-likelihood gains less than 1e-3 a sample, 1e-6 added to every variance;
// LowerBound, len(History) and Converged are its lower_bound_, n_iter_ and converged_.
func ExampleFit_sklearnDefaults() {
	x, err := gen.Mixture(2, 20000, []float64{0.5, 0.5}, []float64{0.25, 0.75}, []float64{0.05, 0.05})
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	means := slices.Sorted(slices.Values(res.Model.Means))
	fmt.Printf("means %.2f, converged %v\n", means, res.Converged)
	fmt.Printf("n_iter %d, lower bound %.2f\n", len(res.History), res.LowerBound)
	// Output:
	// means [0.25 0.75], converged true
	// n_iter 2, lower bound 0.89
}

// A start given in part, as scikit-learn's means_init: the k-means start's weights and
// covariances with these means. NoIterations returns the start itself (max_iter=0).
func ExampleOptions_initMeans() {
	x, err := gen.Mixture(3, 20000, []float64{0.5, 0.5}, []float64{0.25, 0.75}, []float64{0.05, 0.05})
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(context.Background(), x, gmm.Options{Components: 2, Init: gmm.InitKMeans,
		InitMeans: []float64{0.2, 0.8}, MaxIter: gmm.NoIterations, Tol: gmm.Off, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("start: means %.2f, weights %.2f, no iterations: %d\n", res.Model.Means, res.Model.Weights, len(res.History))
	// Output:
	// start: means [0.20 0.80], weights [0.50 0.50], no iterations: 0
}
