package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// TileSize is the number of samples in one tile. Tiles are fixed, so each tile's partial
// statistics, and their sum taken in tile order, are the same whatever the number of
// workers: results are bit-for-bit identical for any thread count.
const TileSize = 1 << 15

// Driver runs kernels over data split into tiles, handing tiles out dynamically to up to
// Threads goroutines. A Driver keeps its scratch between calls and is not safe for
// concurrent use.
type Driver struct {
	kern    *Kernels
	threads int
	partial []*Stats // per-tile statistics, reused across calls
}

// NewDriver returns a driver over the kernels k with the given number of workers
// (0 or less: one per logical CPU available to the process).
func NewDriver(k *Kernels, threads int) *Driver {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Driver{kern: k, threads: threads}
}

// Kernels returns the kernels the driver runs.
func (d *Driver) Kernels() *Kernels { return d.kern }

// Threads returns the number of workers.
func (d *Driver) Threads() int { return d.threads }

// tiles returns the number of tiles that cover n samples.
func tiles(n int) int { return (n + TileSize - 1) / TileSize }

// forTiles calls fn(t, lo, hi) once for every tile t covering [0, n), on up to d.threads
// goroutines, and returns when all calls have returned.
func (d *Driver) forTiles(n int, fn func(t, lo, hi int)) {
	nt := tiles(n)
	run := func(t int) { fn(t, t*TileSize, min((t+1)*TileSize, n)) }
	workers := min(d.threads, nt)
	if workers <= 1 {
		for t := range nt {
			run(t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1)) - 1
				if t >= nt {
					return
				}
				run(t)
			}
		}()
	}
	wg.Wait()
}

// pick returns f64 or f32, whichever takes slices of T.
func pick[T Float, F any](f64, f32 any) F {
	if is64[T]() {
		return f64.(F)
	}
	return f32.(F)
}

// EStep sets s to the statistics of x (weights w, nil for all ones) under the mixture c:
// per-tile statistics summed in tile order.
func EStep[T Float](d *Driver, x []T, w []float64, c *Coeffs, s *Stats) {
	kern := pick[T, func([]T, []float64, *Coeffs, *Stats)](d.kern.EStep64, d.kern.EStep32)
	nt := tiles(len(x))
	for len(d.partial) < nt {
		d.partial = append(d.partial, nil)
	}
	for t := range nt {
		if p := d.partial[t]; p == nil || len(p.N) != c.K() {
			d.partial[t] = NewStats(c.K())
		}
	}
	d.forTiles(len(x), func(t, lo, hi int) {
		p := d.partial[t]
		p.Reset()
		var wt []float64
		if w != nil {
			wt = w[lo:hi]
		}
		kern(x[lo:hi], wt, c, p)
	})
	s.Reset()
	for t := range nt {
		s.Add(d.partial[t])
	}
}

// ScoreSamples sets dst[n] = log p(x[n]) under the mixture c.
func ScoreSamples[T Float](d *Driver, dst []float64, x []T, c *Coeffs) {
	kern := pick[T, func([]float64, []T, *Coeffs)](d.kern.ScoreSamples64, d.kern.ScoreSamples32)
	d.forTiles(len(x), func(_, lo, hi int) { kern(dst[lo:hi], x[lo:hi], c) })
}

// Classify sets dst[n] to the index of the component with the largest weighted density
// at x[n].
func Classify[T Float](d *Driver, dst []uint16, x []T, c *Coeffs) {
	kern := pick[T, func([]uint16, []T, *Coeffs)](d.kern.Classify64, d.kern.Classify32)
	d.forTiles(len(x), func(_, lo, hi int) { kern(dst[lo:hi], x[lo:hi], c) })
}

// ExpSumStable runs the reference program's kernel over x (see Kernels): p is K x len(x),
// component-major. It runs on one goroutine, like the reference's Python path: it exists
// for parity tests and benchmarks, not for fitting.
func ExpSumStable[T Float](k *Kernels, p, pmax, expsum, x []T, c *Coeffs) {
	pick[T, func(p, pmax, expsum, x []T, c *Coeffs)](k.ExpSumStable64, k.ExpSumStable32)(p, pmax, expsum, x, c)
}

// LogNormPDF sets dst[n] = cnst - halfPrec*(x[n]-mean)^2, the weighted log-density of one
// component.
func LogNormPDF[T Float](k *Kernels, dst, x []T, cnst, mean, halfPrec float64) {
	pick[T, func(dst, x []T, cnst, mean, halfPrec float64)](k.LogNormPDF64, k.LogNormPDF32)(dst, x, cnst, mean, halfPrec)
}
