// Package parallel spreads simple loops over the CPUs: the image conversions and filters
// around a fit, which run once per image and need no worker pool of their own.
package parallel

import (
	"runtime"
	"sync"
)

// For calls fn(lo, hi) on consecutive ranges that cover [0, n) exactly once, on up to
// GOMAXPROCS goroutines, and returns when every call has returned. Ranges hold at least
// grain elements (but the last), so that small loops stay on the caller's goroutine.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	parts := min(runtime.GOMAXPROCS(0), max(1, n/max(grain, 1)))
	if parts == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := n*p/parts, n*(p+1)/parts
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
