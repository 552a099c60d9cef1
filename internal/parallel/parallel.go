// Package parallel spreads simple loops over the CPUs: the image conversions and filters
// around a fit, which run once per image and need no worker pool of their own.
package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// For is ForContext that nothing cancels.
func For(n, grain int, fn func(lo, hi int)) {
	_ = ForContext(context.Background(), n, grain, fn) // nil: nothing cancels it
}

// ForContext calls fn(lo, hi) on consecutive ranges of grain elements (the last may be shorter)
// that cover [0, n) exactly once, on up to GOMAXPROCS goroutines that take the ranges one
// by one, and returns when every call has returned. A loop of one range stays on the
// caller's goroutine.
//
// Once ctx is cancelled no range starts: ForContext returns ctx.Err() after the ranges under way,
// with [0, n) partly done. It returns nil when every range ran.
func ForContext(ctx context.Context, n, grain int, fn func(lo, hi int)) error {
	if n <= 0 {
		return ctx.Err()
	}
	grain = max(grain, 1)
	ranges := (n + grain - 1) / grain
	var next atomic.Int64
	take := func() {
		for ctx.Err() == nil {
			r := int(next.Add(1)) - 1
			if r >= ranges {
				return
			}
			fn(r*grain, min((r+1)*grain, n))
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), ranges) - 1 {
		wg.Go(take)
	}
	take()
	wg.Wait()
	if int(next.Load()) < ranges {
		return ctx.Err() // some range never started
	}
	return nil
}
