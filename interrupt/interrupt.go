// Package interrupt ends the commands' runs the same way on every signal that asks a
// process to stop: Ctrl-C's SIGINT, the SIGTERM that timeout, systemd, Kubernetes and CI
// send, and the SIGHUP of a closed terminal. Caught, a signal cancels the run's context,
// which every step of a run checks: the run removes what it has not finished and exits.
package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
)

// Signal is the cause of a context that a signal ended.
type Signal struct {
	Sig os.Signal // the signal caught
}

// Error says that the run was interrupted, and by what: "interrupted (terminated)".
func (s Signal) Error() string { return "interrupted (" + s.Sig.String() + ")" }

// Context returns a context that Signals cancel, its cause a Signal; stop stops catching
// them. A second signal changes nothing: the run is ending already. A signal that the
// process was started ignoring (nohup's SIGHUP, a background job's SIGINT) stays
// ignored.
func Context(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	caught := make(chan os.Signal, 1)
	for _, s := range Signals {
		if !signal.Ignored(s) {
			signal.Notify(caught, s)
		}
	}
	done := make(chan struct{})
	go func() {
		select {
		case s := <-caught:
			cancel(Signal{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(caught)
		close(done)
		cancel(nil)
	}
}

// Exit runs a command's run with a context that Signals end, and exits the process with
// the status it returns. The signals stay caught until the process exits: one that comes
// after the run, its outputs in place, does not kill it.
func Exit(run func(ctx context.Context) int) {
	ctx, _ := Context(context.Background())
	os.Exit(run(ctx))
}

// Cause returns what ended ctx, which is done, for a command's message ("interrupted" or
// "interrupted (terminated)") and its exit status: 128 + the signal's number, as shells
// report a process that a signal killed, or SIGINT's 130 when ctx was cancelled
// otherwise.
func Cause(ctx context.Context) (what string, status int) {
	var s Signal
	if !errors.As(context.Cause(ctx), &s) {
		return "interrupted", 128 + interruptNumber
	}
	return s.Error(), Status(s.Sig)
}
