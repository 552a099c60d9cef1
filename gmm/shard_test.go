package gmm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// shardsOf cuts x (samples of d features) and w (nil or one weight each) into shards of
// random sizes, empty ones among them.
func shardsOf[T float32 | float64](rng *rand.Rand, x []T, w []float64, d, count int) (xs [][]T, ws [][]float64) {
	n := len(x) / d
	cuts := []int{0, n}
	for range count - 1 {
		cuts = append(cuts, rng.IntN(n+1))
	}
	slices.Sort(cuts)
	for i := 1; i < len(cuts); i++ {
		lo, hi := cuts[i-1], cuts[i]
		xs = append(xs, x[lo*d:hi*d])
		if w != nil {
			ws = append(ws, w[lo:hi])
		} else {
			ws = append(ws, nil)
		}
	}
	return xs, ws
}

// fitShards runs EM over the shards as an engine would: a summary merged from theirs,
// then every pass their statistics, merged in an order that rng shuffles.
func fitShards[T float32 | float64](t *testing.T, rng *rand.Rand, opt Options, xs [][]T, ws [][]float64) fitted {
	t.Helper()
	return fitShardsMerged(t, rng, opt, xs, ws, mergeInOrder)
}

// mergeInOrder merges the statistics of every shard into the first, in their order.
func mergeInOrder(t *testing.T, _ *rand.Rand, all []*Stats) *Stats {
	t.Helper()
	for _, s := range all[1:] {
		if err := all[0].Merge(s); err != nil {
			t.Fatal(err)
		}
	}
	return all[0]
}

// mergeAsTree merges the statistics of every shard along a random binary tree: two of
// them at random into one, until one is left.
func mergeAsTree(t *testing.T, rng *rand.Rand, all []*Stats) *Stats {
	t.Helper()
	for len(all) > 1 {
		i, j := rng.IntN(len(all)), rng.IntN(len(all)-1)
		if j >= i {
			j++
		}
		if err := all[i].Merge(all[j]); err != nil {
			t.Fatal(err)
		}
		all[j] = all[len(all)-1] // the merged one itself where i is the last
		all = all[:len(all)-1]
	}
	return all[0]
}

// fitShardsMerged is fitShards with the statistics of each pass, in an order that rng
// shuffles, merged by merge.
func fitShardsMerged[T float32 | float64](t *testing.T, rng *rand.Rand, opt Options, xs [][]T, ws [][]float64,
	merge func(*testing.T, *rand.Rand, []*Stats) *Stats) fitted {
	t.Helper()
	var rec Record
	opt.Progress = rec.Add
	var sum Summary
	for i, x := range xs {
		s, err := Summarize(Weighted{x, ws[i]}, opt.Dims)
		if err != nil {
			t.Fatal(err)
		}
		if sum, err = sum.Merge(s); err != nil {
			t.Fatal(err)
		}
	}
	em, err := NewEM(opt, sum)
	if err != nil {
		t.Fatal(err)
	}
	for !em.Done() {
		p := shipped(t, em.Params())
		var all []*Stats
		for _, i := range rng.Perm(len(xs)) {
			s, err := EStep(t.Context(), p, Weighted{xs[i], ws[i]}, opt.Exec)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, shippedStats(t, s))
		}
		if err := em.Update(merge(t, rng, all)); err != nil {
			t.Fatal(err)
		}
	}
	return fitted{em.Result(), rec.Run(0)}
}

// shipped returns p after a round trip through its binary form.
func shipped(t *testing.T, p *Params) *Params {
	t.Helper()
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Params
	if err := q.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &q
}

// shippedStats returns s after a round trip through its binary form.
func shippedStats(t *testing.T, s *Stats) *Stats {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var u Stats
	if err := u.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &u
}

// agree fails unless the steps of a and b agree to tol relative in every parameter and
// log-likelihood (tol 0: bit for bit), and so do their starts.
func agree(t *testing.T, what string, a, b fitted, tol float64) {
	t.Helper()
	if len(a.Steps) != len(b.Steps) || len(a.History) != len(a.Steps) || a.Converged != b.Converged {
		t.Fatalf("%s: %d steps (converged %v) and %d (converged %v)", what, len(a.Steps), a.Converged, len(b.Steps), b.Converged)
	}
	steps := append([]Step{{Model: a.Initial, LogLikelihood: a.LogLikelihood}}, a.Steps...)
	other := append([]Step{{Model: b.Initial, LogLikelihood: b.LogLikelihood}}, b.Steps...)
	for i := range steps {
		p, q := steps[i], other[i]
		for j, pair := range [][2][]float64{
			{p.Model.Weights, q.Model.Weights}, {p.Model.Means, q.Model.Means},
			{p.Model.Covariances, q.Model.Covariances}, {{p.LogLikelihood}, {q.LogLikelihood}},
		} {
			if len(pair[0]) != len(pair[1]) {
				t.Fatalf("%s: step %d: %d and %d numbers", what, i-1, len(pair[0]), len(pair[1]))
			}
			// Relative to the part's largest number: a covariance off the diagonal may be
			// near 0, and is as exact as the matrix's scale.
			scale := 0.0
			for _, v := range pair[1] {
				scale = max(scale, math.Abs(v))
			}
			for k := range pair[0] {
				if e := math.Abs(pair[0][k]-pair[1][k]) / scale; !(e <= tol) && pair[0][k] != pair[1][k] {
					t.Fatalf("%s: step %d, part %d, number %d: %.17g vs %.17g (rel err %.2g > %.2g)",
						what, i-1, j, k, pair[0][k], pair[1][k], e, tol)
				}
			}
		}
	}
}

// shardCases are fits that EM over shards must reproduce: one and three features, every
// covariance type, with and without weights.
func shardCases(t *testing.T) []struct {
	name string
	x    []float64
	w    []float64
	opt  Options
} {
	one := sample(t, 3, 20_000, truth)
	three := colours(5, 6_000, 3, 4)
	rng := rand.New(rand.NewPCG(9, 9))
	w := make([]float64, 6_000)
	for i := range w {
		w[i] = float64(rng.IntN(4))
	}
	type c = struct {
		name string
		x    []float64
		w    []float64
		opt  Options
	}
	start1 := fromStdevs([]float64{0.2, 0.3, 0.5}, []float64{0.1, 0.4, 0.9}, []float64{0.1, 0.1, 0.1})
	cases := []c{
		{"1-D evenly spaced", one, nil, Options{Components: 3, MaxIter: 8, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}},
		{"1-D tied", one, nil, Options{Components: 3, MaxIter: 8, Covariance: Tied, InitModel: &start1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}},
		{"1-D tol", one, nil, Options{Components: 3, MaxIter: 200, Tol: 1e-6, Init: InitEvenlySpaced, AddedVariance: Off}},
	}
	res, err := Fit(t.Context(), three, Options{Components: 4, Dims: 3, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	for _, cov := range allTypes {
		start := res.Initial.asMulti(cov)
		cases = append(cases, c{fmt.Sprintf("3-D %v", cov), three, nil, Options{Components: 4, Dims: 3, MaxIter: 8, Covariance: cov, InitModel: &start, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}})
		cases = append(cases, c{fmt.Sprintf("3-D %v weighted", cov), three, w, Options{Components: 4, Dims: 3, MaxIter: 8, Covariance: cov, InitModel: &start, AddedVariance: 1e-6, Init: InitEvenlySpaced, Tol: Off}})
	}
	return cases
}

// EM over one shard is Fit, bit for bit: Fit is that EM with its passes made locally.
// Over many shards merged in any order, it is Fit to 1e-12 relative.
func TestEMOverShardsIsFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range shardCases(t) {
		opt := c.opt
		want, err := fitKeep(t.Context(), Weighted{c.x, c.w}, opt)
		if err != nil {
			t.Fatal(err)
		}
		d := max(opt.Dims, 1)
		agree(t, c.name+", one shard", fitShards(t, rng, opt, [][]float64{c.x}, [][]float64{c.w}), want, 0)
		xs, ws := shardsOf(rng, c.x, c.w, d, 7)
		agree(t, c.name+", 7 shards", fitShards(t, rng, opt, xs, ws), want, 1e-12)
		x32 := make([]float32, len(c.x))
		for i, v := range c.x {
			x32[i] = float32(v)
		}
		want32, err := fitKeep(t.Context(), Weighted{x32, c.w}, opt)
		if err != nil {
			t.Fatal(err)
		}
		// The SIMD kernels' float32 lanes sum their log-likelihoods in float32 before
		// float64 takes them: where shards begin moves those sums' rounding (6e-8 of a
		// lane's sum). The generic kernel's float32 fit computes in float64 throughout.
		tol32 := 1e-12
		if want32.Kernel != "generic" {
			tol32 = 1e-6
		}
		xs32, ws32 := shardsOf(rng, x32, c.w, d, 5)
		agree(t, c.name+", float32, 5 shards", fitShards(t, rng, opt, xs32, ws32), want32, tol32)
	}
}

// The statistics of a collection with every shard twice are those of the collection
// twice over: the same model, bit for bit, and twice the log-likelihood.
func TestDuplicatedShardsLeaveTheModel(t *testing.T) {
	x := colours(4, 3_000, 3, 3)
	fit, err := Fit(t.Context(), x, Options{Components: 3, Dims: 3, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := sum.Merge(sum)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Components: 3, Dims: 3, MaxIter: 5, InitModel: &fit.Initial, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
	onceOpt, doubleOpt := opt, opt
	var onceSteps, doubleSteps Record
	onceOpt.Progress, doubleOpt.Progress = onceSteps.Add, doubleSteps.Add
	once, err := NewEM(onceOpt, sum)
	if err != nil {
		t.Fatal(err)
	}
	double, err := NewEM(doubleOpt, twice)
	if err != nil {
		t.Fatal(err)
	}
	for !once.Done() {
		s, err := EStep(t.Context(), once.Params(), x, Exec{})
		if err != nil {
			t.Fatal(err)
		}
		s2 := shippedStats(t, s)
		if err := s2.Merge(s); err != nil {
			t.Fatal(err)
		}
		if err := once.Update(s); err != nil {
			t.Fatal(err)
		}
		if err := double.Update(s2); err != nil {
			t.Fatal(err)
		}
	}
	a, b := fitted{once.Result(), onceSteps.Run(0)}, fitted{double.Result(), doubleSteps.Run(0)}
	for i := range a.Steps {
		a.Steps[i].LogLikelihood *= 2
	}
	a.LogLikelihood *= 2
	agree(t, "every shard twice", a, b, 0)
}

// Update refuses statistics of another pass, of another number of samples or of another
// shape, and Merge refuses to mix them; neither changes the run.
func TestEMRefusesMismatchedStats(t *testing.T) {
	x := sample(t, 2, 1000, truth)
	sum, err := Summarize(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	em, err := NewEM(Options{Components: 3, MaxIter: 2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, sum)
	if err != nil {
		t.Fatal(err)
	}
	p := em.Params()
	half, err := EStep(t.Context(), p, x[:500], Exec{})
	if err != nil {
		t.Fatal(err)
	}
	if err := em.Update(half); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("statistics of half the samples: %v", err)
	}
	full, err := EStep(t.Context(), p, x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	if err := em.Update(full); err != nil {
		t.Fatal(err)
	}
	if err := em.Update(full); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("the same pass twice: %v", err)
	}
	other, err := NewEM(Options{Components: 2, MaxIter: 2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, sum)
	if err != nil {
		t.Fatal(err)
	}
	two, err := EStep(t.Context(), other.Params(), x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	if err := full.Merge(two); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("merging 3 and 2 components: %v", err)
	}
	if err := other.Update(full); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("3 components' statistics for 2: %v", err)
	}
	bad, err := EStep(t.Context(), em.Params(), x, Exec{})
	if err != nil {
		t.Fatal(err)
	}
	bad.first[1] = math.NaN()
	if err := em.Update(bad); !errors.Is(err, ErrInvalidData) {
		t.Fatalf("a NaN first moment: %v", err)
	}
	if len(em.Result().History) != 0 || em.Done() {
		t.Fatalf("refused statistics changed the run: %d steps", len(em.Result().History))
	}
}

func TestNewEMRefusesWhatItCannotStart(t *testing.T) {
	x := colours(1, 100, 2, 2)
	sum, err := Summarize(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for name, opt := range map[string]Options{
		"no start":   {Components: 2, Dims: 2, MaxIter: 3, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		"dims":       {Components: 2, Dims: 3, MaxIter: 3, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		"no iter":    {Components: 2, Dims: 2, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
		"components": {Components: 101, Dims: 2, MaxIter: 3, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off},
	} {
		if _, err := NewEM(opt, sum); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]Summary{
		"empty": {}, "NaN range": {Dims: 1, Samples: 3, Weight: 3, Min: math.NaN()},
		"no weight": {Dims: 1, Samples: 3}, "inverted": {Dims: 1, Samples: 3, Weight: 3, Min: 1},
	} {
		if _, err := NewEM(Options{Components: 1, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}, s); !errors.Is(err, ErrInvalidData) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := sum.Merge(Summary{Dims: 3, Samples: 1, Weight: 1}); !errors.Is(err, ErrInvalidData) {
		t.Errorf("merging 2 and 3 features: %v", err)
	}
	if _, err := Summarize(x[:3], 2); !errors.Is(err, ErrInvalidData) {
		t.Errorf("3 values of 2 features: %v", err)
	}
	if _, err := Summarize([]float64{1, math.Inf(1)}, 1); !errors.Is(err, ErrInvalidData) {
		t.Errorf("an infinite sample: %v", err)
	}
}

// validForms returns the binary forms of a pass's Params and Stats, of one feature and
// of three.
func validForms(t testing.TB) (params, stats [][]byte) {
	for _, d := range []int{1, 3} {
		x := colours(2, 200, d, 2)
		sum, err := Summarize(x, d)
		if err != nil {
			t.Fatal(err)
		}
		opt := Options{Components: 2, Dims: d, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off}
		if d > 1 {
			res, err := Fit(context.Background(), x, Options{Components: 2, Dims: d, MaxIter: 1, Init: InitEvenlySpaced, Tol: Off, AddedVariance: Off})
			if err != nil {
				t.Fatal(err)
			}
			opt.InitModel = &res.Initial
		}
		em, err := NewEM(opt, sum)
		if err != nil {
			t.Fatal(err)
		}
		s, err := EStep(context.Background(), em.Params(), x, Exec{})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := em.Params().MarshalBinary()
		b, _ := s.MarshalBinary()
		params, stats = append(params, p), append(stats, b)
	}
	return params, stats
}

// Binary forms cut short, lengthened, mislabelled or of impossible shapes are errors.
func TestBinaryFormsRefuseBadData(t *testing.T) {
	params, stats := validForms(t)
	for _, forms := range []struct {
		all [][]byte
		new func() interface{ UnmarshalBinary([]byte) error }
	}{
		{params, func() interface{ UnmarshalBinary([]byte) error } { return new(Params) }},
		{stats, func() interface{ UnmarshalBinary([]byte) error } { return new(Stats) }},
	} {
		for _, b := range forms.all {
			if err := forms.new().UnmarshalBinary(b); err != nil {
				t.Fatalf("a valid form: %v", err)
			}
			bad := [][]byte{nil, b[:4], b[:len(b)-1], append(slices.Clone(b), 0), append([]byte("XXXX"), b[4:]...)}
			huge := slices.Clone(b)
			binary.LittleEndian.PutUint64(huge[4:], 1<<40) // components
			bad = append(bad, huge)
			nan := slices.Clone(b)
			binary.LittleEndian.PutUint64(nan[len(nan)-8:], math.Float64bits(math.NaN()))
			if string(b[:4]) == paramsTag {
				bad = append(bad, nan) // a NaN variance; a NaN second moment is a sum like any
			}
			for i, c := range bad {
				if err := forms.new().UnmarshalBinary(c); !errors.Is(err, ErrInvalidData) && !errors.Is(err, ErrInvalidModel) {
					t.Errorf("%.4s: bad form %d: %v", b, i, err)
				}
			}
		}
	}
}

// No byte string makes Params or Stats panic or allocate beyond its length's worth.
func FuzzUnmarshalParams(f *testing.F) {
	params, _ := validForms(f)
	for _, p := range params {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Params
		if p.UnmarshalBinary(b) == nil {
			again, _ := p.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatalf("the form does not round-trip")
			}
		}
	})
}

func FuzzUnmarshalStats(f *testing.F) {
	_, stats := validForms(f)
	for _, s := range stats {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Stats
		if s.UnmarshalBinary(b) == nil {
			again, _ := s.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatalf("the form does not round-trip")
			}
		}
	})
}
