package gmm

import (
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// The zero value of every option is scikit-learn's default: the same fit, bit for bit, as
// those defaults written out.
func TestZeroOptionsAreScikitLearnsDefaults(t *testing.T) {
	sklearn := Options{Components: 1, Covariance: Full, MaxIter: 100, Tol: 1e-3, AddedVariance: 1e-6, Init: InitKMeans, NInit: 1}
	for _, d := range []int{1, 3} {
		x := colours(uint64(d), 5000, d, 3)
		for _, k := range []int{0, 3} {
			zero, given := Options{Dims: d, Components: k}, sklearn
			given.Dims, given.Components = d, max(k, 1)
			want, err := Fit(t.Context(), x, given)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Fit(t.Context(), x, zero)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("d=%d K=%d: the zero options fit otherwise than scikit-learn's defaults", d, k)
			}
		}
	}
}

// gmm.Fit(ctx, x, gmm.Options{}) fits one component, as GaussianMixture().fit(X) does: the
// samples' mean, their covariance (over n) plus 1e-6, converged at the second iteration,
// whose lower bound is the first's.
func TestEmptyOptionsFit(t *testing.T) {
	const n, d = 4000, 3
	x := colours(7, n, d, 2)
	res, err := Fit(t.Context(), mat.NewDense(n, d, x), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.K() != 1 || m.Dims != d || !res.Converged || len(res.History) != 2 || relErr(res.LowerBound, res.History[0]/n) > 1e-12 {
		t.Fatalf("K=%d Dims=%d converged %v after %d iterations, lower bound %v (first %v)", m.K(), m.Dims, res.Converged, len(res.History), res.LowerBound, res.History[0]/n)
	}
	data := mat.NewDense(n, d, x)
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, data, nil)
	for i := range d {
		if mean := stat.Mean(mat.Col(nil, i, data), nil); relErr(m.Means[i], mean) > 1e-12 {
			t.Errorf("mean %d: %v, want %v", i, m.Means[i], mean)
		}
		for j := range d {
			want := cov.At(i, j) * (n - 1) / n
			if i == j {
				want += 1e-6
			}
			if got := m.Covariances[i*d+j]; relErr(got, want) > 1e-10 {
				t.Errorf("covariance %d,%d: %v, want %v", i, j, got, want)
			}
		}
	}
}

// Reference is the reference program's fit: its evenly spaced start, every iteration run
// and nothing added.
func TestReferenceOptions(t *testing.T) {
	x := sample(t, 3, 20000, truth)
	got, err := Fit(t.Context(), x, Reference(3, 8))
	if err != nil {
		t.Fatal(err)
	}
	if got.Initial.Means[0] != 0 || got.Initial.Means[2] != 1 || len(got.History) != 8 || got.Converged {
		t.Errorf("start %v, %d iterations, converged %v", got.Initial.Means, len(got.History), got.Converged)
	}
	for name, opt := range map[string]Options{"tol 1e-3": {Tol: 1e-3}, "added 1e-6": {AddedVariance: 1e-6}} {
		opt.Components, opt.MaxIter, opt.Init = 3, 8, InitEvenlySpaced
		other, err := Fit(t.Context(), x, opt)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(other.Model, got.Model) {
			t.Errorf("%s: the same model as Reference's: Off did not turn the setting off", name)
		}
	}
}

// Components 0 with a starting model takes the model's number of components.
func TestComponentsFromInitModel(t *testing.T) {
	x := sample(t, 4, 3000, truth)
	start := truth.Clone()
	got, err := Fit(t.Context(), x, Options{InitModel: &start})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Fit(t.Context(), x, Options{Components: truth.K(), InitModel: &start})
	if err != nil || !reflect.DeepEqual(got, want) || got.Model.K() != 3 {
		t.Errorf("K %d from a start of 3 (%v)", got.Model.K(), err)
	}
}
