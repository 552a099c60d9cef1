package drive

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/internal/race"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// newDriver returns a driver that the test closes when it ends.
func newDriver(t testing.TB, k *kernel.Kernels, cfg Config) *Driver {
	t.Helper()
	d, err := New(k, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// sameStats reports whether a and b hold the same bits.
func sameStats(a, b *kernel.Stats) bool {
	for k := range a.N {
		if a.N[k] != b.N[k] || a.D[k] != b.D[k] || a.B[k] != b.B[k] {
			return false
		}
	}
	return a.LogLik == b.LogLik
}

// threadCounts are 1 to twice the workers Threads = 0 stands for, and at least 1 to 4.
func threadCounts() []int {
	var n []int
	for i := 1; i <= max(4, 2*AutoThreads()); i++ {
		n = append(n, i)
	}
	return n
}

func TestDriverIsDeterministicAcrossThreadCounts(t *testing.T) {
	const tile = MinTileSize
	rng := rand.New(rand.NewPCG(13, 14))
	n := 37*tile + 1234 // tiles of every worker's share, and a partial last one
	x := uniform(rng, n, 0, 1)
	x32 := gen.Float32s(x)
	w := uniform(rng, n, 0, 2)
	c := threeClasses()
	for _, kern := range everyKernel(t) {
		for _, weights := range [][]float64{nil, w} {
			name := fmt.Sprintf("%s/weighted=%v", kern.Name, weights != nil)
			t.Run(name, func(t *testing.T) {
				// The sum of the tiles, by hand, is what every thread count must give.
				want64, want32 := kernel.NewStats(3), kernel.NewStats(3)
				part := kernel.NewStats(3)
				for lo := 0; lo < n; lo += tile {
					hi := min(lo+tile, n)
					var wt []float64
					if weights != nil {
						wt = weights[lo:hi]
					}
					part.Reset()
					kern.F64.EStep(x[lo:hi], wt, c, part, nil)
					want64.Add(part)
					part.Reset()
					kern.F32.EStep(x32[lo:hi], wt, c, part, nil)
					want32.Add(part)
				}
				for _, threads := range threadCounts() {
					for _, pin := range []bool{false, true} {
						if pin && runtime.GOOS != "linux" {
							continue
						}
						d := newDriver(t, kern, Config{Threads: threads, Pin: pin, TileSize: tile})
						got := kernel.NewStats(3)
						EStep(d, x, weights, c, got)
						if !sameStats(got, want64) {
							t.Errorf("threads=%d pin=%v float64: %+v, want the tile-order sum %+v", threads, pin, got, want64)
						}
						EStep(d, x32, weights, c, got)
						if !sameStats(got, want32) {
							t.Errorf("threads=%d pin=%v float32: %+v, want the tile-order sum %+v", threads, pin, got, want32)
						}
					}
				}
			})
		}
	}
}

func TestDriverScoreAndClassifyMatchTheKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 9*MinTileSize + 77
	x := uniform(rng, n, -0.2, 1.2)
	c := threeClasses()
	for _, kern := range everyKernel(t) {
		// The scores are the stable exp-sum's, sample by sample.
		p, pmax, expsum := make([]float64, c.K()*n), make([]float64, n), make([]float64, n)
		kern.F64.ExpSumStable(p, pmax, expsum, x, c, nil)
		wantScore := make([]float64, n)
		for i := range n {
			wantScore[i] = pmax[i] + vmath.Log64(expsum[i])
		}
		wantLabels := make([]uint16, n)
		kern.F64.Classify(wantLabels, x, c, nil)
		for _, threads := range threadCounts() {
			d := newDriver(t, kern, Config{Threads: threads, TileSize: MinTileSize})
			score := make([]float64, n)
			Scores(d, score, x, c)
			labels := make([]uint16, n)
			Classify(d, labels, x, c)
			for i := range n {
				if score[i] != wantScore[i] || labels[i] != wantLabels[i] {
					t.Fatalf("%s threads=%d: sample %d: score %v label %d, want %v %d",
						kern.Name, threads, i, score[i], labels[i], wantScore[i], wantLabels[i])
				}
			}
		}
	}
}

func TestDriverPassesDoNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	rng := rand.New(rand.NewPCG(17, 18))
	n := 11*MinTileSize + 5
	x := uniform(rng, n, 0, 1)
	x32 := gen.Float32s(x)
	w := uniform(rng, n, 0, 2)
	c := threeClasses()
	s := kernel.NewStats(3)
	score := make([]float64, n)
	labels := make([]uint16, n)
	// Colours of 3 features: the multichannel passes, in rows and read into tiles.
	const d3 = 3
	mc := spreadCoeffs(rng, 4, d3, false)
	x3 := uniform(rng, n*d3, 0, 1)
	// Boxed once, as a fit's engine holds them.
	var rows Tiles[float64] = Rows[float64]{X: x3, D: d3}
	var tiles32 Tiles[float32] = Rows[float32]{X: gen.Float32s(x3), D: d3}
	ms := kernel.NewMultiStats(4, d3)
	for _, kern := range everyKernel(t) {
		for _, threads := range []int{1, 2, 3} {
			d := newDriver(t, kern, Config{Threads: threads, TileSize: MinTileSize})
			read := ReadTiles(d, n, d3, func(dst []float64, lo int) { copy(dst, x3[lo*d3:]) }, planes(x3, d3))
			passes := func() {
				EStep(d, x, nil, c, s)
				EStep(d, x, w, c, s)
				EStep(d, x32, nil, c, s)
				EStep(d, x32, w, c, s)
				Scores(d, score, x, c)
				Classify(d, labels, x32, c)
			}
			multi := func() {
				MultiEStep(d, rows, n, nil, mc, ms)
				MultiEStep(d, tiles32, n, w, mc, ms)
				MultiEStep(d, read, n, nil, mc, ms)
				MultiClassify(d, labels, rows, mc)
				MultiClassify(d, labels, read, mc)
				MultiScores(d, score, nil, tiles32, mc)
			}
			passes() // warm: per-tile statistics are allocated once
			if a := testing.AllocsPerRun(20, passes); a != 0 {
				t.Errorf("%s threads=%d: %v allocations per round of passes, want 0", kern.Name, threads, a)
			}
			// On one worker: on two, CI once saw one allocation a round of these passes
			// that 24 runs here, idle and loaded, never did (the 1-D passes, their frames
			// then in sync.Pools, once did the same in CI; now every kernel keeps its
			// frames in the workers' scratch). One worker runs the same kernel code in
			// the same scratch; the waits between workers, the one difference, are the
			// 1-D passes' too.
			multi() // warm each worker's scratch
			if threads > 1 {
				continue
			}
			if a := testing.AllocsPerRun(20, multi); a != 0 {
				t.Errorf("%s threads=%d: %v allocations per round of multichannel passes, want 0", kern.Name, threads, a)
			}
		}
	}
}

// workers counts the goroutines running a Driver's worker loop, from their stacks (the
// total goroutine count moves with whatever else the test binary runs).
func workers() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "drive.(*Driver).worker(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// settle waits up to a second for the worker goroutines to number want, and returns how
// many there are. A worker signals Close on its way out, so it may linger for a moment
// after Close has returned.
func settle(want int) int {
	deadline := time.Now().Add(time.Second)
	n := workers()
	for n != want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		n = workers()
	}
	return n
}

func TestDriverCloseEndsItsWorkers(t *testing.T) {
	// Earlier tests closed their drivers; no test runs in parallel.
	if n := settle(0); n != 0 {
		t.Fatalf("%d worker goroutines before the test", n)
	}
	for _, cfg := range []Config{{Threads: 5}, {Threads: 3, Pin: runtime.GOOS == "linux"}} {
		d, err := New(kernel.Generic, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := cfg.Threads - 1 // the caller is the last worker
		if cfg.Pin {
			want = cfg.Threads // pinned workers are all the pool's
		}
		if got := workers(); got != want {
			t.Errorf("%+v: %d worker goroutines, want %d", cfg, got, want)
		}
		s := kernel.NewStats(2)
		EStep(d, make([]float64, 3*d.TileSize()), nil, twoClasses(), s)
		d.Close()
		if n := settle(0); n != 0 {
			t.Errorf("%+v: %d worker goroutines a second after Close", cfg, n)
		}
	}
}

func TestDriverEmptyInput(t *testing.T) {
	for _, threads := range []int{1, 3} {
		s := kernel.NewStats(2)
		s.N[0] = 5
		d := newDriver(t, kernel.Generic, Config{Threads: threads})
		EStep(d, []float32{}, nil, twoClasses(), s)
		if s.N[0] != 0 || s.LogLik != 0 {
			t.Fatalf("threads=%d: statistics of no data: %+v", threads, s)
		}
	}
}

func TestNewDefaultsAndErrors(t *testing.T) {
	d := newDriver(t, kernel.Generic, Config{})
	if d.Threads() != AutoThreads() || d.TileSize() != DefaultTileSize() || d.Pinned() {
		t.Errorf("defaults: %d threads, tile %d, pinned %v; want %d, %d, false",
			d.Threads(), d.TileSize(), d.Pinned(), AutoThreads(), DefaultTileSize())
	}
	if a := AutoThreads(); a < 1 || a > runtime.GOMAXPROCS(0) {
		t.Errorf("AutoThreads() = %d with GOMAXPROCS %d", a, runtime.GOMAXPROCS(0))
	}
	for _, cfg := range []Config{{Threads: -1}, {TileSize: -5}} {
		if d, err := New(kernel.Generic, cfg); err == nil {
			d.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	if runtime.GOOS != "linux" {
		if _, err := New(kernel.Generic, Config{Pin: true}); !errors.Is(err, ErrPin) {
			t.Errorf("pinning off Linux: error %v, want ErrPin", err)
		}
	}
}

func TestTileSizeFromL2(t *testing.T) {
	for _, c := range []struct{ l2, want int }{
		{-1, 1 << 15}, {0, 1 << 15},
		{1 << 10, MinTileSize},   // tiny cache: the floor
		{1 << 20, 1 << 15},       // 1 MiB: 32K samples take 512 KiB with their results
		{1<<20 + 1<<19, 1 << 15}, // 1.5 MiB: 64K would need 1 MiB, more than half
		{2 << 20, 1 << 16},       // 2 MiB
		{1 << 30, MaxTileSize},   // huge: the ceiling
	} {
		if got := tileSizeFor(c.l2); got != c.want {
			t.Errorf("tileSizeFor(%d) = %d, want %d", c.l2, got, c.want)
		}
	}
}

func TestTilesStatisticsShareNoCacheLine(t *testing.T) {
	d := newDriver(t, kernel.Generic, Config{Threads: 1})
	for _, k := range []int{1, 2, 3, 5, 8, 11} {
		p := d.partials(4, k)
		for i := range len(p) - 1 {
			end := uintptr(unsafe.Pointer(&p[i].B[k-1])) + 8
			next := uintptr(unsafe.Pointer(&p[i+1].N[0]))
			if next < end+64 {
				t.Errorf("K=%d: tile %d's sums end %d bytes before tile %d's begin, want 64 or more", k, i, next-end, i+1)
			}
		}
	}
}

// The multichannel passes' tiles are the tile size up to 4 features, then smaller as the
// features grow, each holding at most four tile sizes' values, down to MinTileSize: a
// pass of 25,000 samples of 128 features has tiles for every core.
func TestTilesOfManyFeatures(t *testing.T) {
	d := newDriver(t, kernel.Generic, Config{Threads: 2, TileSize: 1 << 15})
	for _, c := range []struct{ dims, want int }{
		{1, 1 << 15}, {4, 1 << 15}, {5, 1 << 14}, {8, 1 << 14}, {16, 1 << 13}, {32, MinTileSize},
		{128, MinTileSize}, {1024, MinTileSize},
	} {
		if got := d.tileOf(c.dims); got != c.want {
			t.Errorf("tileOf(%d) = %d, want %d", c.dims, got, c.want)
		}
	}
	if n := d.Tiles(25000, 128); n < 2*d.Threads() {
		t.Errorf("25000 samples of 128 features take %d tiles on %d workers", n, d.Threads())
	}
}
