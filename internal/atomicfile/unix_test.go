//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// New files take 0666 less the umask; the test sets the process's umask, so it runs
// alone.
func TestNewFilesTakeTheUmask(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ umask, want os.FileMode }{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o664}, {0, 0o666}} {
		old := syscall.Umask(int(c.umask))
		path := filepath.Join(dir, c.want.String())
		commit(t, path, "x")
		syscall.Umask(old)
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != c.want {
			t.Errorf("umask %04o: mode %v (%v), want %v", c.umask, fi.Mode(), err, c.want)
		}
	}
}

// A FIFO is written in place when a reader opens it, and stays a FIFO; with no reader,
// a Set's commit waits while its context lasts, and then commits nothing.
func TestFIFOIsWrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close() // before the send: the FIFO must have no reader left when the test goes on
		got <- string(b)
	}()
	commit(t, fifo, "through the pipe")
	if s := <-got; s != "through the pipe" {
		t.Errorf("the reader got %q", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO is now %v (%v)", fi.Mode(), err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	s := NewSet(ctx)
	other := filepath.Join(dir, "other.png")
	for _, p := range []string{fifo, other} {
		if err := s.Write(p, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if err := s.Commit(); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("a FIFO nobody reads: Commit %v after %v", err, time.Since(start))
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("entries %v, want the FIFO alone", names)
	}
}

// /dev/null and the links of /proc to this process's open files (what /dev/stdout is)
// are written in place: /dev/null stays a device, and an open regular file reached
// through /proc gets the data appended, the same file.
func TestOpenFilesAndDevicesAreWrittenInPlace(t *testing.T) {
	commit(t, os.DevNull, "nothing")
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is now %v (%v)", os.DevNull, fi.Mode(), err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before, _ := f.Stat()
	f.WriteString("report\n")
	link := filepath.Join("/proc/self/fd", strconv.Itoa(int(f.Fd())))
	if _, err := os.Lstat(link); err != nil {
		t.Skip("no /proc here")
	}
	commit(t, link, "image")
	after, err := os.Stat(f.Name())
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the open file was replaced (%v)", err)
	}
	if b, _ := os.ReadFile(f.Name()); string(b) != "report\nimage" {
		t.Errorf("the open file holds %q", b)
	}
}
