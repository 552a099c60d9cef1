// Package sharedtest finds, for tests, the project's shared data: the reference program's
// outputs, scikit-learn's fits and the test photos.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names the shared data's folder when it is not beside the checkout, and
// EnvRequire, set to 1, makes missing data a failure rather than a skip (CI sets it).
const (
	EnvDir     = "GMMSIMD_SHARED"
	EnvRequire = "GMMSIMD_REQUIRE_SHARED"
)

// Dir returns the project's shared data: $GMMSIMD_SHARED, or the folder "shared" beside
// the module's root. Where they are missing the test is skipped with a message, or fails
// when $GMMSIMD_REQUIRE_SHARED is 1.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvDir)
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "..", "shared")
	}
	Need(t, filepath.Join(dir, "reference"))
	return dir
}

// Need checks that a file or folder of the shared data exists, skipping or failing the
// test as Dir does when it does not.
func Need(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, "the shared data are missing (%v): put them beside the checkout or set %s", err, EnvDir)
	}
}

// missing skips the test, or fails it when the shared data are required.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// moduleRoot returns the folder of the module's go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "gmm")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the module root")
		}
		dir = parent
	}
}
