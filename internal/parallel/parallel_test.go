package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, c := range []struct{ n, grain int }{{0, 1}, {1, 1}, {7, 1}, {1000, 10}, {1000, 999}, {1000, 0}, {5, 100}} {
		hits := make([]atomic.Int32, c.n)
		var calls atomic.Int32
		For(c.n, c.grain, func(lo, hi int) {
			calls.Add(1)
			if lo >= hi && c.n > 0 {
				t.Errorf("n=%d grain=%d: empty range [%d, %d)", c.n, c.grain, lo, hi)
			}
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Fatalf("n=%d grain=%d: index %d visited %d times", c.n, c.grain, i, h)
			}
		}
		if want := min(4, max(1, c.n/max(c.grain, 1))); c.n > 0 && int(calls.Load()) != want {
			t.Errorf("n=%d grain=%d: %d ranges, want %d", c.n, c.grain, calls.Load(), want)
		}
	}
}
