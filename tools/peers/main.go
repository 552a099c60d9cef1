// Command peers times gmmsimd's fit per iteration on the many-feature shapes that
// scikit-learn and Armadillo are measured on (sklearn_peer.py and run.sh beside it), from the
// same data and the same fixed start:
//
//	go run ./tools/peers -write DIR          # each shape's samples and start means, raw float64
//	go run ./tools/peers -shape NAME         # one shape's time an iteration
//
// A time an iteration is (fit of 11 iterations - fit of 1) / 10, each fit the median of
// three, on every core: the start and the checks of the data fall out of it.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// shape is one measured mixture: K components of d features over n samples.
type shape struct {
	cov     gmm.Covariance
	k, d, n int
}

// name is the shape's name in the files and on the command line.
func (s shape) name() string { return fmt.Sprintf("%v_k%d_d%d_n%d", s.cov, s.k, s.d, s.n) }

// shapes are the shapes of the many-features goals.
var shapes = []shape{{gmm.Full, 5, 5, 250000}, {gmm.Full, 5, 8, 250000}, {gmm.Full, 5, 16, 250000},
	{gmm.Full, 5, 32, 100000}, {gmm.Full, 5, 64, 50000}, {gmm.Full, 5, 128, 25000}, {gmm.Diag, 512, 39, 50000}}

func main() {
	dir := flag.String("write", "", "write every shape's samples (NAME.x) and start means (NAME.means) into `dir`")
	only := flag.String("shape", "", "time the shape `name` (as -write names its files)")
	flag.Parse()
	if err := run(*dir, *only); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// run writes the shapes into dir, or times the shape named only.
func run(dir, only string) error {
	if (dir == "") == (only == "") {
		return errors.New("give -write DIR or -shape NAME")
	}
	for _, s := range shapes {
		x, start := data(s)
		switch {
		case dir != "":
			if err := write(filepath.Join(dir, s.name()+".x"), x); err != nil {
				return err
			}
			if err := write(filepath.Join(dir, s.name()+".means"), start.Means); err != nil {
				return err
			}
		case s.name() == only:
			return timeShape(s, x, start)
		}
	}
	if only != "" {
		return fmt.Errorf("no shape %q", only)
	}
	return nil
}

// data returns the shape's samples, K clusters apart with noise of 0.4, and its start:
// weights 1/K, the first K samples as means, unit covariances.
func data(s shape) ([]float64, *gmm.Model) {
	rng := rand.New(rand.NewPCG(uint64(s.d), uint64(s.k)))
	x := make([]float64, s.n*s.d)
	for i := range s.n {
		c := i % s.k
		for a := range s.d {
			x[i*s.d+a] = float64(c%7)*0.5 + float64((c*a)%5)*0.3 + rng.NormFloat64()*0.4
		}
	}
	start := &gmm.Model{Dims: s.d, Covariance: s.cov, Weights: make([]float64, s.k), Means: slices.Clone(x[:s.k*s.d])}
	for j := range start.Weights {
		start.Weights[j] = 1 / float64(s.k)
	}
	if s.cov == gmm.Full {
		start.Covariances = make([]float64, s.k*s.d*s.d)
		for j := range s.k {
			for a := range s.d {
				start.Covariances[(j*s.d+a)*s.d+a] = 1
			}
		}
	} else {
		start.Covariances = make([]float64, s.k*s.d)
		for i := range start.Covariances {
			start.Covariances[i] = 1
		}
	}
	return x, start
}

// timeShape prints the shape's time an iteration and what the fits ran on.
func timeShape(s shape, x []float64, start *gmm.Model) error {
	fit := func(iters int) (float64, *gmm.Result, error) {
		var ts []float64
		var res *gmm.Result
		for range 3 {
			t0 := time.Now()
			r, err := gmm.Fit(context.Background(), x, gmm.Options{Components: s.k, Dims: s.d, Covariance: s.cov,
				MaxIter: iters, AddedVariance: 1e-6, InitModel: start, Init: gmm.InitEvenlySpaced, Tol: gmm.Off})
			if err != nil {
				return 0, nil, err
			}
			ts, res = append(ts, time.Since(t0).Seconds()), r
		}
		slices.Sort(ts)
		return ts[1], res, nil
	}
	one, _, err := fit(1)
	if err != nil {
		return err
	}
	eleven, res, err := fit(11)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %.4f s an iteration (fit of 1: %.4f s, of 11: %.4f s; %s, %d threads, %d passes)\n",
		s.name(), (eleven-one)/10, one, eleven, res.Kernel, res.Threads, res.Passes)
	return nil
}

// write writes v to path as raw little-endian float64.
func write(path string, v []float64) error {
	b := make([]byte, 0, 8*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}
