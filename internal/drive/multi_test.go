package drive

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

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
	for _, kern := range everyKernel(t) {
		for _, diag := range []bool{false, true} {
			c := spreadCoeffs(rng, k, d, diag)
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
	stats  *kernel.MultiStats
	labels []uint16
	scores []float64
}

// multiPassesOf runs the three passes of kern over the n samples that tiles gives on a
// driver of the given workers and tiles of MinTileSize.
func multiPassesOf(t *testing.T, kern *kernel.Kernels, tiles func(*Driver) Tiles[float64], n int, c *kernel.MultiCoeffs, threads int) multiPasses {
	t.Helper()
	dr := newDriver(t, kern, Config{Threads: threads, TileSize: MinTileSize})
	x := tiles(dr)
	r := multiPasses{stats: kernel.NewMultiStats(c.K(), c.D), labels: make([]uint16, n), scores: make([]float64, n)}
	MultiEStep(dr, x, n, nil, c, r.stats)
	MultiClassify(dr, r.labels, x, c)
	MultiScores(dr, r.scores, nil, x, c)
	return r
}
