// Command gencoeffs writes the derived constants of gmmsimd's exp and log (see package
// gen/vmath) as a Go file of package vmath: `go generate ./internal/vmath` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gmmsimd/gmmsimd/gen/vmath"
)

func main() {
	out := flag.String("out", "coeffs.go", "the Go `file` to write")
	flag.Parse()
	src, err := vmath.Derive().Source("gen/vmath/gencoeffs")
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencoeffs:", err)
		os.Exit(1)
	}
}
