// Package cmdtest runs the commands of this module in their tests, in process.
package cmdtest

import (
	"bytes"
	"io"
)

// Result is what a test keeps of one run of a command.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run calls run, a command's entry point, with buffers for its standard output and error,
// and returns its exit status and what it wrote.
func Run(run func(stdout, stderr io.Writer) int) Result {
	var out, errOut bytes.Buffer
	code := run(&out, &errOut)
	return Result{code, out.String(), errOut.String()}
}
