//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gmmsimd/gmmsimd/cmd/internal/cmdtest"
)

// umask sets the process's umask and returns what restores it.
func umask(m int) func() {
	old := syscall.Umask(m)
	return func() { syscall.Umask(old) }
}

// mkfifo makes a FIFO at path.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
}

// Outputs through a link replace the link's target and keep the link; outputs that are
// FIFOs are written in place and stay FIFOs (as devices and /dev/stdout do); new files
// take 0666 less the umask.
func TestOutputsThroughLinksAndFIFOs(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.png")
	link := filepath.Join(dir, "link.png")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target.png", link); err != nil {
		t.Fatal(err)
	}
	labels := filepath.Join(dir, "labels.png")
	restore := umask(0o027)
	r := runCmd(t, "--iterations=1", "--out="+link, "--labels="+labels)
	restore()
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is gone: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(target); !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("the link's target holds %q...", b[:min(len(b), 8)])
	}
	if fi, err := os.Stat(labels); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("a new output's mode under umask 027: %v (%v), want 0640", fi.Mode(), err)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("a replaced output's mode: %v (%v), want its own 0600", fi.Mode(), err)
	}
	checkFIFOOutput(t, dir)
}

// checkFIFOOutput runs with --out a FIFO in dir that a reader drains: the PNG goes
// through it, and it stays a FIFO.
func checkFIFOOutput(t *testing.T, dir string) {
	t.Helper()
	fifo := filepath.Join(dir, "fifo.png")
	mkfifo(t, fifo)
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	if r := runCmd(t, "--iterations=1", "--out="+fifo); r.Code != 0 {
		t.Fatalf("--out a FIFO: exit %d: %s", r.Code, r.Stderr)
	}
	if b := <-got; !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("the FIFO's reader got %d bytes, not a PNG", len(b))
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is now %v (%v)", fi.Mode(), err)
	}
}

// An input that is a FIFO no one writes to, as an image of a batch, the image of a run or
// a saved mixture, ends with the run's context: promptly, not waiting in open(2), and
// with nothing written.
func TestFIFOInputsEndWithTheContext(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "stalled.png")
	mkfifo(t, fifo)
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"--out-dir=" + out, fifo},
		{"--first-image=" + fifo, "--out=" + filepath.Join(dir, "o.png")},
		{"--model=" + fifo, "--out=" + filepath.Join(dir, "o.png")},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		start := time.Now()
		r := cmdtest.Run(func(stdout, stderr io.Writer) int { return run(ctx, args, stdout, stderr) })
		cancel()
		if took := time.Since(start); r.Code != exitCancelled || took > 2*time.Second || !strings.HasPrefix(r.Stderr, "gmmseg: interrupted") {
			t.Errorf("%v: exit %d after %v, stderr %q", args, r.Code, took, r.Stderr)
		}
		left, _ := os.ReadDir(out) // the batch's --out-dir, made first
		for _, e := range entriesOf(t, dir) {
			if e.Name() != "stalled.png" && e.Name() != "out" {
				left = append(left, e)
			}
		}
		if len(left) > 0 {
			t.Errorf("%v: left %v", args, left)
		}
	}
}

// entriesOf returns the entries of dir.
func entriesOf(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
