package gmm_test

import (
	"fmt"
	"log"

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
