//go:build unix

package interrupt

import (
	"context"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// Each signal cancels the context with itself as the cause, and its exit status is
// 128 + its number; a context cancelled otherwise reads as SIGINT's.
func TestSignalsCancelTheContext(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		ctx, stop := Context(context.Background())
		syscall.Kill(syscall.Getpid(), sig)
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%v did not cancel the context", sig)
		}
		if what, status := Cause(ctx); what != "interrupted ("+sig.String()+")" || status != 128+int(sig) {
			t.Errorf("%v: %q, status %d", sig, what, status)
		}
		stop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if what, status := Cause(ctx); what != "interrupted" || status != 130 {
		t.Errorf("a context cancelled without a signal: %q, %d", what, status)
	}
}

// A signal the process ignores, as nohup makes it ignore SIGHUP, stays ignored.
func TestIgnoredSignalsStayIgnored(t *testing.T) {
	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	ctx, stop := Context(context.Background())
	defer stop()
	syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
	select {
	case <-ctx.Done():
		t.Fatal("an ignored SIGHUP cancelled the context")
	case <-time.After(100 * time.Millisecond):
	}
}
