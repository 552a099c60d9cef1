package drive

import (
	"sync"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// Tiles gives the multichannel passes their samples a tile at a time, row-major, D
// features each: from one slice that holds them so (Rows), or read from another form
// (image planes, say) into a buffer of one tile per worker, in cache (ReadTiles).
type Tiles[T kernel.Float] interface {
	// Tile returns the samples [lo, hi) for worker w.
	Tile(w, lo, hi int) []T
	// Planes returns a function that reads the samples as planes (see
	// kernel.Set.MultiEStepPlanes), or nil if they are only read row-major.
	Planes() func(dst []T, lo int)
}

// Rows are samples held row-major in one slice, D features each: a tile is a slice of it.
type Rows[T kernel.Float] struct {
	X []T
	D int
}

// Tile returns the samples [lo, hi) of r.
func (r Rows[T]) Tile(_, lo, hi int) []T { return r.X[lo*r.D : hi*r.D] }

// Planes returns nil: rows are not read.
func (Rows[T]) Planes() func(dst []T, lo int) { return nil }

// readTiles are samples read tile by tile into a buffer of each worker's own.
type readTiles[T kernel.Float] struct {
	d           int
	read, plane func(dst []T, lo int)
	buf         [][]T
}

func (r *readTiles[T]) Tile(w, lo, hi int) []T {
	dst := r.buf[w][:(hi-lo)*r.d]
	r.read(dst, lo)
	return dst
}

func (r *readTiles[T]) Planes() func(dst []T, lo int) { return r.plane }

// ReadTiles returns the n samples of d features that read gives, read tile by tile on
// dr's workers: read sets dst to the samples from lo on, row-major, len(dst)/d of them.
// planes, if not nil, reads them as planes (see kernel.Set.MultiEStepPlanes): kernels that
// take planes then read them a block at a time, in L1, with no transpose. Each worker
// gets a buffer of one tile now, so that the passes allocate nothing.
func ReadTiles[T kernel.Float](dr *Driver, n, d int, read, planes func(dst []T, lo int)) Tiles[T] {
	r := &readTiles[T]{d: d, read: read, plane: planes, buf: make([][]T, dr.threads)}
	tile := dr.tileOf(d)
	dr.eachWorker(n, tile, func(w int) { r.buf[w] = make([]T, min(tile, n)*d) })
	return r
}

// multiEStepTask runs MultiEStep on a tile into statistics of its own, on planes where
// both the kernels and the tiles have them, and adds them into the pass's in tile order:
// the same additions in the same order as summing every tile's after the pass, so the
// same bits for any number of workers, with statistics for only a window of tiles held
// at once (K (1 + d + d^2) numbers each: 40 MB for K = 5, d = 1024).
type multiEStepTask[T kernel.Float] struct {
	kern    func(x []T, w []float64, c *kernel.MultiCoeffs, s *kernel.MultiStats, sc *kernel.Scratch)
	planes  func(read func(dst []T, lo int), lo, n int, w []float64, c *kernel.MultiCoeffs, s *kernel.MultiStats, sc *kernel.Scratch) bool
	scratch []kernel.Scratch // one a worker
	x       Tiles[T]
	w       []float64
	c       *kernel.MultiCoeffs
	window  orderedSums
}

func (e *multiEStepTask[T]) run(worker, t, lo, hi int) {
	p := e.window.slot(t)
	p.Reset()
	w, sc := kernel.WeightsOf(e.w, lo, hi), &e.scratch[worker]
	if read := e.x.Planes(); read == nil || e.planes == nil || !e.planes(read, lo, hi-lo, w, e.c, p, sc) {
		e.kern(e.x.Tile(worker, lo, hi), w, e.c, p, sc)
	}
	e.window.done(t)
}

// orderedSums adds statistics computed tile by tile, in any order, into a total in tile
// order, holding those of at most len(slots) tiles at once: tile t takes slot t mod
// len(slots) once tile t - len(slots) has been added.
type orderedSums struct {
	total *kernel.MultiStats
	slots []kernel.MultiStats
	ready []bool
	next  int // the next tile to add
	mu    sync.Mutex
	freed sync.Cond // next moved on
}

// reset starts the sums of a pass into total, over slots.
func (o *orderedSums) reset(total *kernel.MultiStats, slots []kernel.MultiStats) {
	o.total, o.slots, o.next = total, slots, 0
	o.ready = append(o.ready[:0], make([]bool, len(slots))...)
	o.freed.L = &o.mu
	total.Reset()
}

// slot returns tile t's statistics, once the tile that held them before has been added.
// Tiles are handed out in order, so every earlier tile is being computed: the wait ends.
func (o *orderedSums) slot(t int) *kernel.MultiStats {
	o.mu.Lock()
	for t-o.next >= len(o.slots) {
		o.freed.Wait()
	}
	o.mu.Unlock()
	return &o.slots[t%len(o.slots)]
}

// done takes in tile t's statistics, and adds every tile ready in order from the next.
func (o *orderedSums) done(t int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ready[t%len(o.slots)] = true
	for i := o.next % len(o.slots); o.ready[i]; i = o.next % len(o.slots) {
		o.total.Add(&o.slots[i])
		o.ready[i] = false
		o.next++
	}
	o.freed.Broadcast()
}

// multiWindow is how many tiles' statistics a multichannel E-step over nt tiles holds at
// once: two for each worker, so that none waits on a slow neighbour often.
func (dr *Driver) multiWindow(nt int) int { return max(1, min(nt, 2*dr.threads)) }

// multiPartials returns nt statistics of k components over d features, reusing the
// driver's storage, each starting a cache line after the last one's end.
func (dr *Driver) multiPartials(nt, k, d int) []kernel.MultiStats {
	const line = 64 / 8
	size := kernel.MultiStatsSize(k, d)
	stride := (size+line-1)/line*line + line
	if len(dr.mpartial) < nt || (nt > 0 && (len(dr.mpartial[0].N) != k || len(dr.mpartial[0].S) != k*d)) {
		buf := make([]float64, stride*nt)
		dr.mpartial = make([]kernel.MultiStats, nt)
		for t := range dr.mpartial {
			dr.mpartial[t] = kernel.MultiStatsIn(buf[stride*t:], k, d)
		}
	}
	return dr.mpartial[:nt]
}

// MultiPartialsBytes is how many bytes the per-tile statistics of a multichannel E-step
// over n samples take on dr: what a caller bounds before the pass allocates them.
func (dr *Driver) MultiPartialsBytes(n, k, d int) int64 {
	return int64(dr.multiWindow(dr.Tiles(n, d))) * int64(kernel.MultiStatsSize(k, d)+16) * 8
}

// MultiEStep sets s to the statistics of the n samples x (D features each, weights
// w) under c, per-tile statistics summed in tile order: the same bits for any number of
// workers.
func MultiEStep[T kernel.Float](dr *Driver, x Tiles[T], n int, w []float64, c *kernel.MultiCoeffs, s *kernel.MultiStats) {
	t, set := tasksOf[T](dr)
	task := &t.multiEStep
	task.kern, task.planes, task.scratch, task.x, task.w, task.c = set.MultiEStep, set.MultiEStepPlanes, dr.scratch, x, w, c
	task.window.reset(s, dr.multiPartials(dr.multiWindow(dr.Tiles(n, c.D)), c.K(), c.D))
	dr.forTiles(n, dr.tileOf(c.D), task)
	task.x, task.w, task.c, task.window.total = nil, nil, nil, nil // drop the references to the caller's data
}

// multiTask labels or scores a tile.
type multiTask[T kernel.Float] struct {
	set         *kernel.Set[T]
	scratch     []kernel.Scratch // one a worker
	x           Tiles[T]
	c           *kernel.MultiCoeffs
	labels      []uint16
	score, resp []float64
}

func (e *multiTask[T]) run(worker, _, lo, hi int) {
	sc := &e.scratch[worker]
	if e.labels != nil {
		dst := e.labels[lo:hi]
		if read := e.x.Planes(); read != nil && e.set.MultiClassifyPlanes != nil && e.set.MultiClassifyPlanes(dst, read, lo, e.c, sc) {
			return
		}
		e.set.MultiClassify(dst, e.x.Tile(worker, lo, hi), e.c, sc)
		return
	}
	var resp []float64
	if e.resp != nil {
		k := e.c.K()
		resp = e.resp[lo*k : hi*k]
	}
	e.set.MultiScoresIn(e.score[lo:hi], resp, e.x.Tile(worker, lo, hi), e.c, sc)
}

// MultiClassify sets dst[n] to the most responsible component of sample n of x.
func MultiClassify[T kernel.Float](dr *Driver, dst []uint16, x Tiles[T], c *kernel.MultiCoeffs) {
	t, set := tasksOf[T](dr)
	t.multi = multiTask[T]{set: set, scratch: dr.scratch, x: x, c: c, labels: dst}
	dr.forTiles(len(dst), dr.tileOf(c.D), &t.multi)
}

// MultiScores sets score[n] to log p(x_n) and, with resp, the responsibilities' rows
// (see kernel.MultiScores).
func MultiScores[T kernel.Float](dr *Driver, score, resp []float64, x Tiles[T], c *kernel.MultiCoeffs) {
	t, set := tasksOf[T](dr)
	t.multi = multiTask[T]{set: set, scratch: dr.scratch, x: x, c: c, score: score, resp: resp}
	dr.forTiles(len(score), dr.tileOf(c.D), &t.multi)
}
