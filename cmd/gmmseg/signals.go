package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gmmsimd/gmmsimd/interrupt"
)

// interrupted reports, on one line, that ctx ended the run (and by which signal) and what
// the run left, and returns the exit status: 128 + the signal's number.
func interrupted(ctx context.Context, stderr io.Writer, what string) int {
	cause, status := interrupt.Cause(ctx)
	fmt.Fprintf(stderr, "gmmseg: %s: %s\n", cause, what)
	return status
}
