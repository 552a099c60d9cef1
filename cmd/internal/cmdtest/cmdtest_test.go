package cmdtest

import (
	"fmt"
	"io"
	"testing"
)

func TestRunKeepsStatusAndOutputs(t *testing.T) {
	r := Run(func(stdout, stderr io.Writer) int {
		fmt.Fprint(stdout, "out")
		fmt.Fprint(stderr, "err")
		return 3
	})
	if r != (Result{3, "out", "err"}) {
		t.Errorf("Run = %+v", r)
	}
}
