package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/internal/race"
)

// iterationCounter counts the text report's iterations, keeping nothing of it.
type iterationCounter struct {
	mu sync.Mutex
	n  int
}

func (c *iterationCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *iterationCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += bytes.Count(p, []byte("ITERATION "))
	c.mu.Unlock()
	return len(p), nil
}

// A long fit's memory does not grow with its iterations: a million iterations of 300
// components, stopped after a second, hold no more than a few bytes an iteration (the
// fit kept every iteration's 900 numbers before: 7 KB an iteration, some 35 MB a second).
// The live heap is sampled while the fit runs, from its first iteration on. A collection
// also marks what the fit allocates while it runs (7 KB an iteration of garbage here,
// more the longer the collection takes on a loaded machine), so a single sample can
// stand megabytes above what the fit holds; the least of a window of samples does not.
// The growth is the least of the last third of the samples over the least of the first.
func TestLongFitMemoryIsFlat(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector's shadow memory is counted")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	var iters iterationCounter
	type sample struct {
		iters int
		live  uint64
	}
	var samples []sample
	done := make(chan struct{})
	go func() {
		defer close(done)
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}} // marked by the last collection
		for ; ctx.Err() == nil; time.Sleep(50 * time.Millisecond) {
			if iters.count() == 0 {
				continue
			}
			runtime.GC()
			metrics.Read(live)
			samples = append(samples, sample{iters.count(), live[0].Value.Uint64()})
		}
	}()
	args := []string{"--components=300", "--iterations=1000000", "--out=" + filepath.Join(t.TempDir(), "o.png")}
	if code := run(ctx, args, &iters, &bytes.Buffer{}); code == exitOK {
		t.Fatal("a million iterations ended within a second")
	}
	<-done
	if len(samples) < 6 {
		t.Fatalf("%d samples of the live heap in a second", len(samples))
	}
	least := func(s []sample) uint64 {
		lo := uint64(math.MaxUint64)
		for _, v := range s {
			lo = min(lo, v.live)
		}
		return lo
	}
	third := len(samples) / 3
	first, last := samples[:third], samples[len(samples)-third:]
	n := int64(last[len(last)-1].iters - first[0].iters)
	if grew := int64(least(last)) - int64(least(first)); n < 100 || grew > 8<<20+64*n {
		t.Errorf("%d iterations grew the live heap by %d bytes (%.0f an iteration)", n, grew, float64(grew)/float64(n))
	}
}

// What the outputs keep of the iterations is bounded before anything runs: the JSON
// document of a million iterations of 65536 components is refused at once, exit 2.
func TestKeptIterationsAreBoundedBeforeTheFit(t *testing.T) {
	for _, args := range [][]string{
		{"--json", "--components=65536", "--iterations=1000000"},
		{"--components=auto", "--components-range=1-4000", "--iterations=1000"},
		{"--visualization=1", "--components=65536", "--iterations=1000", "--channel=rgb"},
	} {
		start := time.Now()
		r := runCmd(t, args...)
		if r.Code != exitUsage || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "--iterations") || time.Since(start) > time.Second {
			t.Errorf("%v: exit %d after %v, stderr %q; want 2 at once, one line naming --iterations", args, r.Code, time.Since(start), r.Stderr)
		}
	}
}
