package modelfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

func TestWriteThenRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.json")
	m := gmm.Model{Weights: []float64{0.25, 0.75}, Means: []float64{0.1, 1.0 / 3}, Covariances: []float64{0.0001, 0.04}}
	m.Dims = 1 // as the JSON form names it
	if err := Write(p, &m); err != nil {
		t.Fatal(err)
	}
	got, err := Read(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, m) {
		t.Fatalf("read %+v, wrote %+v", *got, m)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(t.Context(), filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file read")
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(t.Context(), bad); err == nil {
		t.Error("broken JSON read")
	}
	m := gmm.Model{Weights: []float64{1}, Means: []float64{0}, Covariances: []float64{1}}
	if err := Write(filepath.Join(dir, "no", "such", "dir.json"), &m); err == nil {
		t.Error("wrote into a missing folder")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the folder", len(entries))
	}
}

// A file larger than any model, /dev/zero say, is refused after MaxBytes, not read whole.
func TestEndlessFileIsRefused(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	if _, err := Read(t.Context(), "/dev/zero"); err == nil || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("/dev/zero: %v", err)
	}
}
