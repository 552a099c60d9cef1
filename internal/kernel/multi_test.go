package kernel

import (
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
	if m, top := logJointOne(p, make([]float64, goLanes*2), x, c); !math.IsInf(m, -1) || !math.IsInf(p[0], -1) || top != -1 {
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
// slice or are read tile by tile from planes into the workers' buffers, at any number of
// workers; every sample is read once a pass, in tiles of at most the tile size.
func TestReadTilesPassAsRows(t *testing.T) {
	const d, k = 3, 4
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
		want := multiPassesOf(t, Rows[float64]{X: x, D: d}, n, c, 1)
		for _, threads := range []int{1, 2, 3} {
			reads := make([]int32, n)
			var mu sync.Mutex
			read := func(dst []float64, lo int) {
				if len(dst)%d != 0 || len(dst)/d > MinTileSize || lo < 0 || lo+len(dst)/d > n {
					t.Errorf("read of %d values from %d", len(dst), lo)
					return
				}
				for i := range len(dst) / d {
					for j := range d {
						dst[i*d+j] = planes[j][lo+i]
					}
				}
				mu.Lock()
				for i := lo; i < lo+len(dst)/d; i++ {
					reads[i]++
				}
				mu.Unlock()
			}
			got := multiPassesOf(t, read, n, c, threads)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("diag %v, %d workers: the passes over tiles read from planes differ from those over rows", diag, threads)
			}
			for i, r := range reads {
				if r != 3 {
					t.Fatalf("diag %v, %d workers: sample %d read %d times in 3 passes", diag, threads, i, r)
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

// multiPassesOf runs the three passes over n samples on a driver of the given workers
// and tiles of MinTileSize: over x if it is Tiles, else over ReadTiles of the read
// function x.
func multiPassesOf(t *testing.T, x any, n int, c *MultiCoeffs, threads int) multiPasses {
	t.Helper()
	dr := newDriver(t, Generic, Config{Threads: threads, TileSize: MinTileSize})
	tiles, ok := x.(Tiles[float64])
	if !ok {
		tiles = ReadTiles(dr, n, c.D, x.(func([]float64, int)), nil)
	}
	r := multiPasses{stats: NewMultiStats(c.K(), c.D), labels: make([]uint16, n), scores: make([]float64, n)}
	DriveMultiEStep(dr, tiles, n, nil, c, r.stats)
	DriveMultiClassify(dr, r.labels, tiles, c)
	DriveMultiScores(dr, r.scores, nil, tiles, c)
	return r
}

// logJointOne is multiLogJoints of one sample x, in every lane: its log-joints in p, its
// maximum and top.
func logJointOne(p, diff, x []float64, c *MultiCoeffs) (float64, int) {
	m, top := multiLogJoints(&[goLanes][]float64{p, p, p, p}, 1, diff, &[goLanes][]float64{x, x, x, x}, c)
	return m[0], top[0]
}
