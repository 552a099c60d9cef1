package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
)

// A sample whose difference from the mean overflows (1e308 from -1e308) meets the zeros
// of an uncorrelated factor as Inf x 0: beyond the component's reach, log-joint -Inf, not
// NaN, so that the scores are -Inf and the labels component 0.
func TestMultiLogJointOverflowIsMinusInf(t *testing.T) {
	c := NewMultiCoeffs(1, 2, false)
	copy(c.Prec, []float64{1, 0, 0, 1})
	copy(c.Mean, []float64{-1e308, 0})
	x := []float64{1e308, 0}
	p := make([]float64, 1)
	if m, top := logJointOne(p, goScratch(nil, c), x, c); !math.IsInf(m, -1) || !math.IsInf(p[0], -1) || top != -1 {
		t.Errorf("log-joint %v (max %v, top %d), want -Inf", p[0], m, top)
	}
	score := make([]float64, 1)
	MultiScores(score, nil, x, c)
	s := NewMultiStats(1, 2)
	MultiEStep(x, nil, c, s)
	if !math.IsInf(score[0], -1) || !math.IsInf(s.LogLik, -1) {
		t.Errorf("score %v, log-likelihood %v, want -Inf", score[0], s.LogLik)
	}
}

// The multichannel passes give the same bits whether their samples come as one row-major
// slice or are read tile by tile from planes into the workers' buffers, row-major or as
// planes, on every kernel, at any number of workers; every sample is read once a pass, in
// tiles of at most the tile size.
func TestReadTilesPassAsRows(t *testing.T) {
	for _, d := range []int{3, 9} { // the sweeps, and the blocked kernels
		readTilesPassAsRows(t, d)
	}
}

// readTilesPassAsRows is TestReadTilesPassAsRows for samples of d features.
func readTilesPassAsRows(t *testing.T, d int) {
	const k = 4
	n := 3*MinTileSize + 17
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*d)
	planes := make([][]float64, d)
	for j := range planes {
		planes[j] = make([]float64, n)
	}
	for i := range n {
		for j := range d {
			x[i*d+j] = rng.NormFloat64() + float64(i%k)
			planes[j][i] = x[i*d+j]
		}
	}
	for _, kern := range available() {
		for _, diag := range []bool{false, true} {
			c := NewMultiCoeffs(k, d, diag)
			for q := range k {
				c.Const[q] = -float64(q) / 3
				for j := range d {
					c.Mean[q*d+j] = float64(q) + rng.Float64()/4
					for l := j; l < d; l++ {
						c.Prec[(q*d+j)*d+l] = rng.Float64() / 4
					}
					c.Prec[(q*d+j)*d+j] = 1 + rng.Float64()
				}
			}
			want := multiPassesOf(t, kern, func(*Driver) Tiles[float64] { return Rows[float64]{X: x, D: d} }, n, c, 1)
			for _, threads := range []int{1, 2, 3} {
				reads := make([]int32, n)
				var mu sync.Mutex
				// reader returns a read of the samples from lo on into dst, feature j of
				// sample lo+i at dst[at(i, j, m)] for m samples, counted.
				reader := func(at func(i, j, m int) int) func(dst []float64, lo int) {
					return func(dst []float64, lo int) {
						m := len(dst) / d
						if len(dst)%d != 0 || m > MinTileSize || lo < 0 || lo+m > n {
							t.Errorf("read of %d values from %d", len(dst), lo)
							return
						}
						for i := range m {
							for j := range d {
								dst[at(i, j, m)] = planes[j][lo+i]
							}
						}
						mu.Lock()
						for i := lo; i < lo+m; i++ {
							reads[i]++
						}
						mu.Unlock()
					}
				}
				rows := reader(func(i, j, _ int) int { return i*d + j })
				for _, pl := range []func([]float64, int){nil, reader(func(i, j, m int) int { return j*m + i })} {
					clear(reads)
					what := fmt.Sprintf("d=%d %s diag %v, %d workers, planes %v", d, kern.Name, diag, threads, pl != nil)
					tiles := func(dr *Driver) Tiles[float64] { return ReadTiles(dr, n, d, rows, pl) }
					got := multiPassesOf(t, kern, tiles, n, c, threads)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s: the passes over tiles read from planes differ from those over rows", what)
					}
					for i, r := range reads {
						if r != 3 {
							t.Fatalf("%s: sample %d read %d times in 3 passes", what, i, r)
						}
					}
				}
			}
		}
	}
}

// multiPasses are the results of the three multichannel passes.
type multiPasses struct {
	stats  *MultiStats
	labels []uint16
	scores []float64
}

// multiPassesOf runs the three passes of kern over the n samples that tiles gives on a
// driver of the given workers and tiles of MinTileSize.
func multiPassesOf(t *testing.T, kern *Kernels, tiles func(*Driver) Tiles[float64], n int, c *MultiCoeffs, threads int) multiPasses {
	t.Helper()
	dr := newDriver(t, kern, Config{Threads: threads, TileSize: MinTileSize})
	x := tiles(dr)
	r := multiPasses{stats: NewMultiStats(c.K(), c.D), labels: make([]uint16, n), scores: make([]float64, n)}
	DriveMultiEStep(dr, x, n, nil, c, r.stats)
	DriveMultiClassify(dr, r.labels, x, c)
	DriveMultiScores(dr, r.scores, nil, x, c)
	return r
}

// logJointOne is multiLogJoints of one sample x, in every lane: its log-joints in p, its
// maximum and top.
func logJointOne(p []float64, sc *multiScratch, x []float64, c *MultiCoeffs) (float64, int) {
	m, top := multiLogJoints(&[goLanes][]float64{p, p, p, p}, 1, sc, &[goLanes][]float64{x, x, x, x}, c)
	return m[0], top[0]
}

// The multichannel moments are about the coefficients' centres when they are set: the
// Go twin's sums are the plain sums of r (x - c) and r (x - c)(x - c)^T over the
// responsibilities that MultiScores gives.
func TestMultiEStepMomentsAboutCentres(t *testing.T) {
	const n, d, k = 500, 3, 3
	rng := rand.New(rand.NewPCG(7, 8))
	x := uniform(rng, n*d, -1, 2)
	for _, diag := range []bool{false, true} {
		c := randomMultiCoeffs(rng, k, d, diag)
		c.Centre = uniform(rng, k*d, -5, 5)
		resp, score := make([]float64, n*k), make([]float64, n)
		MultiScores(score, resp, x, c)
		want := NewMultiStats(k, d)
		for i := range n {
			want.LogLik += score[i]
			for q := range k {
				r := resp[i*k+q]
				want.N[q] += r
				for a := range d {
					da := x[i*d+a] - c.Centre[q*d+a]
					want.S[q*d+a] += r * da
					for b := a; b < d; b++ {
						if !diag || a == b {
							want.Q[(q*d+a)*d+b] += r * da * (x[i*d+b] - c.Centre[q*d+b])
						}
					}
				}
			}
		}
		got := NewMultiStats(k, d)
		MultiEStep(x, nil, c, got)
		for i, g := range multiStatsBits(got) {
			gv, wv := math.Float64frombits(g), math.Float64frombits(multiStatsBits(want)[i])
			if math.Abs(gv-wv) > 1e-11*(math.Abs(wv)+1) {
				t.Fatalf("diag=%v: statistic %d = %.17g, want %.17g", diag, i, gv, wv)
			}
		}
	}
}
