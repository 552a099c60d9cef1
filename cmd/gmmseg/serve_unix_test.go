//go:build unix

package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/interrupt"
)

// SIGTERM, SIGINT and SIGHUP stop the server as they stop a run, with 128 + the signal as
// the exit status.
func TestServeStopsOnSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		ctx, stop := interrupt.Context(context.Background())
		_, stderr, status := serving(t, ctx, "--addr=127.0.0.1:0")
		syscall.Kill(syscall.Getpid(), sig)
		select {
		case code := <-status:
			if code != 128+int(sig) || !strings.Contains(stderr.String(), "interrupted ("+sig.String()+"): the server stopped") {
				t.Errorf("%v: exit %d: %s", sig, code, stderr)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%v did not stop the server", sig)
		}
		stop()
	}
}
