// Package sharedtest finds, for tests, the project's shared data: the reference program's
// outputs and the test photos.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the project's shared data (reference outputs, test photos): $GMMSIMD_SHARED,
// or the directory "shared" beside the module's root.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("GMMSIMD_SHARED"); d != "" {
		return d
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "internal", "kernel")); err == nil {
				break
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the module root")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "reference")); err != nil {
		t.Fatalf("the shared data are missing (%v): put them at %s or set GMMSIMD_SHARED", err, shared)
	}
	return shared
}
