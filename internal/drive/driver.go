// Package drive runs the kernels of package kernel over many samples: it splits them into
// fixed tiles, which a pool of workers (pinned to CPUs if asked) takes one by one, and adds
// each tile's statistics in tile order, so that a pass gives the same bits whatever the
// number of workers. Each pass has one entry point, named after the kernel it runs:
// EStep, Classify, Scores, Responsibilities and Histogram over samples of one feature,
// MultiEStep, MultiClassify and MultiScores over samples of several (Tiles).
package drive

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
	"github.com/klauspost/cpuid/v2"
)

// Config says how a Driver spreads its passes.
type Config struct {
	// Threads is the number of workers; 0 means AutoThreads().
	Threads int
	// Pin locks each worker to its own OS thread and that thread to one CPU: worker i to
	// the i-th CPU the process may run on (Linux only; elsewhere New fails).
	Pin bool
	// TileSize is the number of samples per tile; 0 means DefaultTileSize(). Results are
	// bit-for-bit the same for any Threads, but depend on the tile size.
	TileSize int
}

// MinTileSize and MaxTileSize bound DefaultTileSize.
const (
	MinTileSize = 1 << 12
	MaxTileSize = 1 << 18
)

// DefaultTileSize is the tile size drivers use unless told otherwise: the largest power of
// two n such that a tile's float64 samples and a float64 result per sample (16n bytes)
// fill at most half the L2 cache cpuid reports, within [MinTileSize, MaxTileSize]; 1<<15
// where the L2 size is unknown. It is the same on every run of one machine, and so are the
// results.
func DefaultTileSize() int { return tileSizeFor(cpuid.CPU.Cache.L2) }

// tileSizeFor is DefaultTileSize for an L2 cache of l2 bytes.
func tileSizeFor(l2 int) int {
	if l2 <= 0 {
		return 1 << 15
	}
	n := MinTileSize
	for 2*n*16 <= l2/2 && n < MaxTileSize {
		n *= 2
	}
	return n
}

// AutoThreads is the number of workers that Threads = 0 stands for: one per physical core
// the process may use (GOMAXPROCS logical CPUs over cpuid's threads per core, and no more
// than the physical cores cpuid reports).
func AutoThreads() int {
	n := runtime.GOMAXPROCS(0)
	if tpc := cpuid.CPU.ThreadsPerCore; tpc > 1 {
		n = max(1, n/tpc)
	}
	if pc := cpuid.CPU.PhysicalCores; pc > 0 {
		n = min(n, pc)
	}
	return n
}

// MaxThreads is the most workers a Driver starts. Past the cores there is nothing to gain,
// and each worker holds buffers of its own (made only once it takes a tile).
const MaxThreads = 1024

// ErrPin is wrapped by the errors of New when it cannot pin its workers.
var ErrPin = errors.New("cannot pin workers to CPUs")

// A Driver runs kernels over data split into fixed tiles, which a pool of worker goroutines
// takes one by one. Each tile's partial statistics are kept apart and summed in tile order,
// so a pass gives the same bits whatever the number of workers.
//
// The workers live from New to Close: a pass wakes them and waits for them, starting
// no goroutine and allocating nothing once the driver has seen data of that size and K.
// A Driver is not safe for concurrent use.
type Driver struct {
	kern    *kernel.Kernels
	threads int
	tile    int
	pin     bool

	wake  []chan struct{} // one per worker; closed by Close
	busy  sync.WaitGroup  // the workers of the current pass
	alive sync.WaitGroup  // the worker goroutines
	next  atomic.Int64    // the next tile to take
	pass  pass            // the current pass, read by the workers

	t64  tasks[float64]
	t32  tasks[float32]
	hist histogramTask
	// histRows are the workers' level counts (Histogram), allocated on first use and kept
	// zeroed between passes.
	histRows [][]uint64
	// partial holds each tile's statistics (over one backing array), reused across passes;
	// mpartial the same for the multichannel E-step.
	partial  []kernel.Stats
	mpartial []kernel.MultiStats
	// scratch is each worker's memory for the multichannel kernels.
	scratch []kernel.Scratch
	// interrupt, when set (Interruptible), stops the passes from handing out tiles.
	interrupt *atomic.Bool
}

// Interruptible makes the passes until release is called stop within a tile of ctx's
// cancellation: the workers take no more tiles, and the pass returns with its results
// partial. The caller checks ctx.Err() after each pass and drops what a cut pass gave.
func (d *Driver) Interruptible(ctx context.Context) (release func()) {
	flag := new(atomic.Bool)     // one per call, so that a late cancellation touches no later call
	flag.Store(ctx.Err() != nil) // a context already done runs no tile (AfterFunc would be late)
	stop := context.AfterFunc(ctx, func() { flag.Store(true) })
	d.interrupt = flag
	return func() {
		stop()
		d.interrupt = nil
	}
}

// pass is one pass over n samples: task runs once per tile.
type pass struct {
	task      tileTask
	n, ntiles int
	tile      int          // samples a tile
	stop      *atomic.Bool // set: hand out no more tiles (see Interruptible)
}

// tileTask is the work of a pass on tile t, the samples [lo, hi), run by worker w (0 to
// Threads-1; no two tiles run at once on one worker).
type tileTask interface{ run(w, t, lo, hi int) }

// New returns a driver over the kernels k, with its workers started. Close stops them.
func New(k *kernel.Kernels, cfg Config) (*Driver, error) {
	if cfg.Threads < 0 || cfg.Threads > MaxThreads {
		return nil, fmt.Errorf("drive: %d threads, want 0 (automatic) to %d", cfg.Threads, MaxThreads)
	}
	if cfg.TileSize < 0 {
		return nil, fmt.Errorf("drive: tile size %d", cfg.TileSize)
	}
	d := &Driver{kern: k, threads: cfg.Threads, tile: cfg.TileSize, pin: cfg.Pin}
	if d.threads == 0 {
		d.threads = AutoThreads()
	}
	if d.tile == 0 {
		d.tile = DefaultTileSize()
	}
	d.scratch = make([]kernel.Scratch, d.threads)
	var cpus []int
	if d.pin {
		var err error
		if cpus, err = allowedCPUs(); err != nil {
			return nil, fmt.Errorf("drive: %w: %w", ErrPin, err)
		}
	}
	// One worker runs on the caller's goroutine unless workers are pinned: pinning the
	// caller's thread would outlive the driver.
	spawn := d.threads - 1
	if d.pin {
		spawn = d.threads
	}
	errs := make(chan error, spawn)
	for i := range spawn {
		wake := make(chan struct{})
		d.wake = append(d.wake, wake)
		d.alive.Add(1)
		cpu := -1
		if d.pin {
			cpu = cpus[i%len(cpus)]
		}
		go d.worker(i, wake, cpu, errs)
	}
	for range spawn {
		if err := <-errs; err != nil {
			d.Close()
			return nil, fmt.Errorf("drive: %w: %w", ErrPin, err)
		}
	}
	return d, nil
}

// worker runs the passes it is woken for, as worker w, until its channel is closed. It
// first pins itself to cpu (unless cpu < 0) and reports how that went on errs.
func (d *Driver) worker(w int, wake <-chan struct{}, cpu int, errs chan<- error) {
	defer d.alive.Done()
	if cpu >= 0 {
		// Never unlocked: when the worker returns, its pinned thread ends with it.
		runtime.LockOSThread()
		if err := pinThread(cpu); err != nil {
			errs <- err
			return
		}
	}
	errs <- nil
	for range wake {
		d.runTiles(w)
		d.busy.Done()
	}
}

// Close stops the workers and waits for them to end. The driver must not be used after.
func (d *Driver) Close() {
	for _, w := range d.wake {
		close(w)
	}
	d.wake = nil
	d.alive.Wait()
}

// Kernels returns the kernels the driver runs.
func (d *Driver) Kernels() *kernel.Kernels { return d.kern }

// Threads returns the number of workers.
func (d *Driver) Threads() int { return d.threads }

// TileSize returns the number of samples per tile.
func (d *Driver) TileSize() int { return d.tile }

// Pinned reports whether the workers are pinned to CPUs.
func (d *Driver) Pinned() bool { return d.pin }

// tiles returns the number of tiles of tile samples that cover n samples.
func tiles(n, tile int) int { return (n + tile - 1) / tile }

// tileOf is how many samples of dims features a tile of the multichannel passes holds:
// the tile size for the sweeps of up to 4 features; from blockedDims on, halved while the
// tile's values outnumber four times the tile size, down to MinTileSize. A tile of 32768
// samples of 128 features was 32 MiB, and a fit of 25,000 samples ran on one core; tiles
// of 1024 spent a fifth of a one-core pass at d = 128 setting up and adding up each
// tile's statistics.
func (d *Driver) tileOf(dims int) int {
	n := d.tile
	for dims >= kernel.BlockedDims && n > MinTileSize && n*dims > 4*d.tile {
		n /= 2
	}
	return n
}

// Tiles returns the number of tiles of a pass over n samples of dims features.
func (d *Driver) Tiles(n, dims int) int { return tiles(n, d.tileOf(dims)) }

// ForTiles calls f(w, t, lo, hi) for every tile t of a pass over n samples of dims
// features, its samples [lo, hi), on d's workers (w is the worker's index, below
// Threads). The tiles are the kernels', so that results kept per tile and added up in
// tile order give the same bits for any number of workers. f must write only to its
// tile's results.
func (d *Driver) ForTiles(n, dims int, f func(w, t, lo, hi int)) {
	d.forTiles(n, d.tileOf(dims), tileFunc(f))
}

// tileFunc is a function run on every tile of a pass.
type tileFunc func(w, t, lo, hi int)

func (f tileFunc) run(w, t, lo, hi int) { f(w, t, lo, hi) }

// runTiles takes tiles of the current pass, as worker w, until none is left.
func (d *Driver) runTiles(w int) {
	p := &d.pass
	for {
		if p.stop != nil && p.stop.Load() {
			return
		}
		t := int(d.next.Add(1)) - 1
		if t >= p.ntiles {
			return
		}
		p.task.run(w, t, t*p.tile, min((t+1)*p.tile, p.n))
	}
}

// forTiles runs task on every tile of tile samples covering [0, n) and returns when all
// have run.
func (d *Driver) forTiles(n, tile int, task tileTask) {
	nt := tiles(n, tile)
	d.pass = pass{task: task, n: n, ntiles: nt, tile: tile, stop: d.interrupt}
	d.next.Store(0)
	woken := d.woken(nt)
	d.busy.Add(woken)
	for _, w := range d.wake[:woken] {
		w <- struct{}{}
	}
	if !d.pin {
		d.runTiles(d.threads - 1) // the spawned workers are 0 to Threads-2
	}
	d.busy.Wait()
	d.pass = pass{} // drop the references to the caller's data
}

// woken is how many of the spawned workers a pass of nt tiles wakes: no more than there
// are tiles, the caller being one of them unless the workers are pinned.
func (d *Driver) woken(nt int) int {
	if d.pin {
		return min(len(d.wake), nt)
	}
	return max(0, min(len(d.wake), nt-1))
}

// eachWorker calls f with the index of every worker that may take a tile of a pass over
// n samples in tiles of tile (the woken ones, and the caller's), so that buffers of their
// own are made for them, and only them, before the pass.
func (d *Driver) eachWorker(n, tile int, f func(w int)) {
	woken := d.woken(tiles(n, tile))
	for w := range woken {
		f(w)
	}
	if !d.pin && n > 0 {
		f(d.threads - 1)
	}
}

// tasks holds the reusable task values of one precision, so that starting a pass
// allocates nothing.
type tasks[T kernel.Float] struct {
	estep      estepTask[T]
	classify   classifyTask[T]
	expSum     expSumTask[T]
	multiEStep multiEStepTask[T]
	multi      multiTask[T]
}

// tasksOf returns d's tasks for T and its kernels for T.
func tasksOf[T kernel.Float](d *Driver) (*tasks[T], *kernel.Set[T]) {
	var t *tasks[T]
	switch p := any(&t).(type) {
	case **tasks[float64]:
		*p = &d.t64
	case **tasks[float32]:
		*p = &d.t32
	}
	return t, kernel.Of[T](d.kern)
}

type estepTask[T kernel.Float] struct {
	kern    func([]T, []float64, *kernel.Coeffs, *kernel.Stats, *kernel.Scratch)
	scratch []kernel.Scratch // one a worker
	x       []T
	w       []float64
	c       *kernel.Coeffs
	partial []kernel.Stats
}

func (e *estepTask[T]) run(worker, t, lo, hi int) {
	p := &e.partial[t]
	p.Reset()
	e.kern(e.x[lo:hi], kernel.WeightsOf(e.w, lo, hi), e.c, p, &e.scratch[worker])
}

// partials returns nt kernel.Stats of k components, reusing d's storage. Each tile's sums start a
// cache line after the previous tile's end, so workers on neighbouring tiles never write to
// one line (kernels may add into their kernel.Stats sample by sample).
func (d *Driver) partials(nt, k int) []kernel.Stats {
	const line = 64 / 8 // float64s in a cache line
	stride := (3*k+line-1)/line*line + line
	if len(d.partial) < nt || (nt > 0 && len(d.partial[0].N) != k) {
		buf := make([]float64, stride*nt)
		d.partial = make([]kernel.Stats, nt)
		for t := range d.partial {
			d.partial[t] = kernel.StatsIn(buf[stride*t:], k)
		}
	}
	return d.partial[:nt]
}

// EStep sets s to the statistics of x (weights w, nil for all ones) under the mixture c:
// per-tile statistics summed in tile order.
func EStep[T kernel.Float](d *Driver, x []T, w []float64, c *kernel.Coeffs, s *kernel.Stats) {
	ts, set := tasksOf[T](d)
	e := &ts.estep
	*e = estepTask[T]{kern: set.EStep, scratch: d.scratch, x: x, w: w, c: c, partial: d.partials(tiles(len(x), d.tile), c.K())}
	d.forTiles(len(x), d.tile, e)
	s.Reset()
	for t := range e.partial {
		s.Add(&e.partial[t])
	}
	*e = estepTask[T]{}
}

// classifyTask labels a tile.
type classifyTask[T kernel.Float] struct {
	kern    func([]uint16, []T, *kernel.Coeffs, *kernel.Scratch)
	scratch []kernel.Scratch // one a worker
	dst     []uint16
	x       []T
	c       *kernel.Coeffs
}

func (e *classifyTask[T]) run(worker, _, lo, hi int) {
	e.kern(e.dst[lo:hi], e.x[lo:hi], e.c, &e.scratch[worker])
}

// Classify sets dst[n] to the index of the component with the largest weighted density
// at x[n].
func Classify[T kernel.Float](d *Driver, dst []uint16, x []T, c *kernel.Coeffs) {
	ts, set := tasksOf[T](d)
	e := &ts.classify
	*e = classifyTask[T]{kern: set.Classify, scratch: d.scratch, dst: dst, x: x, c: c}
	d.forTiles(len(x), d.tile, e)
	*e = classifyTask[T]{}
}

// expSumTask runs the stable exp-sum over a tile, a chunk at a time in its worker's
// scratch, and turns it into per-sample scores or, with rows, the rows of the
// responsibilities.
type expSumTask[T kernel.Float] struct {
	kern    func(p, pmax, expsum, x []T, c *kernel.Coeffs, sc *kernel.Scratch)
	frames  []kernel.Scratch // one a worker
	dst     []float64
	x       []T
	c       *kernel.Coeffs
	rows    bool
	chunk   int
	scratch [][]T // per worker: K*chunk log-joints, chunk maxima, chunk sums
}

// expSumScratch is about how many elements of scratch a worker of Scores or
// Responsibilities takes, whatever K.
const expSumScratch = 1 << 16

func (e *expSumTask[T]) run(w, _, lo, hi int) {
	k := e.c.K()
	for ; lo < hi; lo += e.chunk {
		n := min(e.chunk, hi-lo)
		buf := e.scratch[w]
		p, pmax, sum := buf[:k*n], buf[k*n:(k+1)*n], buf[(k+1)*n:(k+2)*n]
		e.kern(p, pmax, sum, e.x[lo:lo+n], e.c, &e.frames[w])
		for i := range n {
			m, s := float64(pmax[i]), float64(sum[i])
			if !e.rows {
				e.dst[lo+i] = m + vmath.Log64(s)
				continue
			}
			row := e.dst[(lo+i)*k : (lo+i+1)*k]
			if math.IsInf(m, -1) { // every density underflows: Classify's choice, component 0
				clear(row)
				row[0] = 1
				continue
			}
			for j := range row {
				row[j] = math.Exp(float64(p[j*n+i])-m) / s
			}
		}
	}
}

// expSums runs the stable exp-sum over x on d's workers into dst: scores, or with rows
// the responsibilities' rows.
func expSums[T kernel.Float](d *Driver, dst []float64, x []T, c *kernel.Coeffs, rows bool) {
	k := c.K()
	ts, set := tasksOf[T](d)
	e := &ts.expSum
	scratch := e.scratch
	*e = expSumTask[T]{kern: set.ExpSumStable, frames: d.scratch, dst: dst, x: x, c: c, rows: rows}
	e.chunk = max(1, min(d.tile, expSumScratch/(k+2)))
	// Scratch for the workers of this pass only, kept for the next one.
	if len(scratch) != d.threads {
		scratch = make([][]T, d.threads)
	}
	d.eachWorker(len(x), d.tile, func(w int) {
		if len(scratch[w]) < (k+2)*e.chunk {
			scratch[w] = make([]T, max((k+2)*e.chunk, expSumScratch))
		}
	})
	e.scratch = scratch
	d.forTiles(len(x), d.tile, e)
	*e = expSumTask[T]{scratch: scratch}
}

// Scores sets dst[n] = log p(x[n]) = pmax + log(expsum) under the mixture c, from the
// stable exp-sum of every tile.
func Scores[T kernel.Float](d *Driver, dst []float64, x []T, c *kernel.Coeffs) {
	expSums(d, dst[:len(x)], x, c, false)
}

// Responsibilities sets row n of dst, dst[n*K : (n+1)*K], to the responsibilities
// exp(P_k(x[n]) - pmax) / expsum of x[n] under the mixture c, from the stable exp-sum of
// every tile. A sample under which every P_k is -Inf gets all of its responsibility on
// component 0, the label Classify gives it.
func Responsibilities[T kernel.Float](d *Driver, dst []float64, x []T, c *kernel.Coeffs) {
	expSums(d, dst[:len(x)*c.K()], x, c, true)
}

// histogramTask counts levels into one row of counts per worker.
type histogramTask struct {
	levels []uint16
	counts [][]uint64
}

func (h *histogramTask) run(w, _, lo, hi int) {
	c := h.counts[w]
	for _, v := range h.levels[lo:hi] {
		c[v]++
	}
}

// Histogram sets counts[v] to the number of times v occurs in levels, for every v, and
// returns the largest level seen (-1 for no levels). counts must have 65536 entries, one
// per uint16. Each worker counts into a row of its own and the rows are added after: the
// counts are integers, so the result does not depend on who counted what.
func Histogram(d *Driver, counts []uint64, levels []uint16) int {
	const n = 1 << 16
	if len(counts) != n {
		panic(fmt.Sprintf("drive: Histogram: %d counts, want %d", len(counts), n))
	}
	if len(d.histRows) != d.threads {
		d.histRows = make([][]uint64, d.threads)
	}
	// Rows for the workers of this pass only: a thousand threads over a small image must
	// not cost a thousand tables.
	d.eachWorker(len(levels), d.tile, func(w int) {
		if d.histRows[w] == nil {
			d.histRows[w] = make([]uint64, n)
		}
	})
	h := &d.hist
	*h = histogramTask{levels: levels, counts: d.histRows}
	d.forTiles(len(levels), d.tile, h)
	*h = histogramTask{}
	top := -1
	for v := range counts {
		var sum uint64
		for _, row := range d.histRows {
			if row != nil {
				sum += row[v]
				row[v] = 0 // ready for the next pass
			}
		}
		counts[v] = sum
		if sum > 0 {
			top = v
		}
	}
	return top
}
