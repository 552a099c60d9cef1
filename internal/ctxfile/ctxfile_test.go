//go:build unix

package ctxfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO that no one writes to: its open, and a read once a writer opened it and went
// quiet, end when the context does.
func TestOpenAndReadOfAFIFOEndWithTheContext(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Open(ctx, fifo); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("open of a FIFO without a writer: %v after %v", err, time.Since(start))
	}

	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	opened := make(chan *os.File, 1)
	go func() { // a writer that opens and then writes nothing
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			opened <- w
		}
	}()
	f, err := Open(ctx, fifo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer (<-opened).Close()
	start = time.Now()
	if _, err := io.ReadAll(f); err == nil || time.Since(start) > time.Second {
		t.Fatalf("a read of a silent FIFO: %v after %v", err, time.Since(start))
	}
}

// A regular file opens and reads as with os.Open, and a missing one is os.Open's error.
func TestOpenReadsARegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(path, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "data" || f.Close() != nil {
		t.Fatalf("read %q, %v", b, err)
	}
	if _, err := Open(t.Context(), path+".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
