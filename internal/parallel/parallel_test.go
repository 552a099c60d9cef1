package parallel

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, c := range []struct{ n, grain int }{{0, 1}, {1, 1}, {7, 1}, {1000, 10}, {1000, 999}, {1000, 0}, {5, 100}} {
		hits := make([]atomic.Int32, c.n)
		var calls atomic.Int32
		err := ForContext(context.Background(), c.n, c.grain, func(lo, hi int) {
			calls.Add(1)
			if lo >= hi || hi-lo > max(c.grain, 1) {
				t.Errorf("n=%d grain=%d: range [%d, %d)", c.n, c.grain, lo, hi)
			}
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		if err != nil {
			t.Fatalf("n=%d grain=%d: %v", c.n, c.grain, err)
		}
		for i := range hits {
			if h := hits[i].Load(); h != 1 {
				t.Fatalf("n=%d grain=%d: index %d visited %d times", c.n, c.grain, i, h)
			}
		}
		g := max(c.grain, 1)
		if want := (c.n + g - 1) / g; int(calls.Load()) != want {
			t.Errorf("n=%d grain=%d: %d ranges, want %d", c.n, c.grain, calls.Load(), want)
		}
	}
}

// A cancellation stops the loop within the ranges under way, and ForContext says so.
func TestForStopsOnCancel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	cancelled := make(chan struct{})
	err := ForContext(ctx, 1000, 1, func(lo, hi int) {
		switch c := calls.Add(1); {
		case c == 10:
			cancel()
			close(cancelled)
		case c > 10:
			// A range taken while the 10th was cancelling ends after the cancel: under
			// emulation the other goroutine ran every range left before cancel returned.
			<-cancelled
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// Each of the two goroutines finishes the range it holds, no more.
	if n := calls.Load(); n < 10 || n > 11 {
		t.Errorf("%d ranges ran after a cancel at the 10th, want 10 or 11", n)
	}
	if err := ForContext(ctx, 0, 1, func(int, int) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("an empty loop under a cancelled context: err = %v", err)
	}
}
