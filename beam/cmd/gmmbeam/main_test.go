package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/gmmsimd/gmmsimd/beam/gmmbeam"
	"github.com/gmmsimd/gmmsimd/gmm/modelfile"
	"github.com/gmmsimd/gmmsimd/sharedtest"
)

func TestMain(m *testing.M) {
	beam.Init()
	gmmbeam.Quiet()
	os.Exit(m.Run())
}

// runArgs runs the command with args and returns its exit status, stdout and stderr.
func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	fs := flag.NewFlagSet("gmmbeam", flag.ContinueOnError)
	c := newConfig(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), c, fs.Args(), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// images returns a folder holding two of the test photos.
func images(t *testing.T) string {
	t.Helper()
	src := filepath.Join(sharedtest.Dir(t), "testdata", "images")
	dir := t.TempDir()
	for _, name := range []string{"camera.png", "coins.png"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFitsAndSegmentsAFolder(t *testing.T) {
	dir := images(t)
	model := filepath.Join(t.TempDir(), "m.json")
	for _, method := range []string{"histogram", "pixels"} {
		code, stdout, stderr := runArgs(t, "--input", dir, "--components", "3", "--iterations", "4",
			"--method", method, "--model-out", model, "--out-dir", dir)
		if code != exitOK || stderr != "" {
			t.Fatalf("%s: exit %d: %s", method, code, stderr)
		}
		if !strings.Contains(stdout, "images: 2 read, 0 failed") {
			t.Fatalf("%s: %s", method, stdout)
		}
		m, err := modelfile.Read(t.Context(), model)
		if err != nil || m.Validate() != nil || m.K() != 3 {
			t.Fatalf("%s: the model written: %v %+v", method, err, m)
		}
		for _, name := range []string{"camera_segmented.png", "coins_segmented.png"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Fatalf("%s: %v", method, err)
			}
		}
	}
	// The folder now holds the segmentations too, which it leaves out as inputs.
	code, stdout, _ := runArgs(t, "--input", dir, "--channel", "rgb", "--components", "2", "--iterations", "2")
	if code != exitOK || !strings.Contains(stdout, "images: 2 read") {
		t.Fatalf("exit %d: %s", code, stdout)
	}
}

// A broken image is reported with its path, the rest fits and the model is written, and
// the exit status says that an image failed.
func TestABrokenImageFailsTheRunNotTheFit(t *testing.T) {
	dir := images(t)
	broken := filepath.Join(dir, "broken\n.jpg") // a name of two lines: reported on one
	if err := os.WriteFile(broken, []byte("\xff\xd8 truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(t.TempDir(), "m.json")
	code, stdout, stderr := runArgs(t, "--input", dir, "--model-out", model)
	if code != exitError || !strings.Contains(stderr, strconv.Quote(broken)+": ") || !strings.Contains(stderr, "1 of 3 images failed") ||
		strings.Count(stderr, "\n") != 2 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "images: 2 read, 1 failed") {
		t.Fatal(stdout)
	}
	if _, err := modelfile.Read(t.Context(), model); err != nil {
		t.Fatal(err)
	}
}

func TestBadFlags(t *testing.T) {
	dir := images(t)
	m := filepath.Join(t.TempDir(), "m.json")
	if code, _, stderr := runArgs(t, "--input", dir, "--components", "2", "--iterations", "1", "--model-out", m); code != exitOK {
		t.Fatal(stderr)
	}
	for _, c := range []struct {
		code int
		args []string
	}{
		{exitUsage, nil},
		{exitUsage, []string{"--input", dir, "extra"}},
		{exitUsage, []string{"--input", dir, "--channel", "cmyk"}},
		{exitUsage, []string{"--input", dir, "--method", "fast"}},
		{exitUsage, []string{"--input", dir, "--components", "0"}},
		{exitUsage, []string{"--input", dir, "--iterations", "0"}},
		{exitUsage, []string{"--input", dir, "--covariance", "round"}},
		{exitUsage, []string{"--input", filepath.Join(dir, "*.gif")}},
		{exitError, []string{"--input", dir, "--out-dir", filepath.Join(dir, "camera.png")}},
		{exitError, []string{"--input", dir, "--init-model", m}}, // 2 components, not 3
		{exitError, []string{"--input", dir, "--init-model", m, "--channel", "rgb", "--components", "2"}},
		{exitError, []string{"--input", dir, "--init-model", filepath.Join(dir, "camera.png")}},
		{exitError, []string{"--input", filepath.Join(dir, "missing.png")}},
	} {
		code, stdout, stderr := runArgs(t, c.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != c.code || !strings.HasPrefix(stderr, "gmmbeam: ") || (code == exitUsage && len(lines) != 1) {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q", c.args, code, c.code, stdout, stderr)
		}
	}
}

// A run leaves nothing in the system's temporary folder: not its pipelines' results, not
// the pixel path's spilled samples, not the files a pipeline on prism leaves there
// (beamloopbackworker-N).
func TestLeavesNothingInTheTemporaryFolder(t *testing.T) {
	dir := images(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, method := range []string{"histogram", "pixels"} {
		if code, _, stderr := runArgs(t, "--input", dir, "--components", "2", "--iterations", "2", "--method", method); code != exitOK {
			t.Fatalf("%s: exit %d: %s", method, code, stderr)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("%s: left in the temporary folder: %v", method, names)
		}
		if os.Getenv("TMPDIR") != tmp {
			t.Errorf("%s: TMPDIR is now %q", method, os.Getenv("TMPDIR"))
		}
	}
}
