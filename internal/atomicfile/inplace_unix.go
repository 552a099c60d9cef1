//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// writeInPlace writes data into the existing file at path, no regular file but through a
// link of /proc: the process's own standard output or error (through that very file,
// so that its offset moves on), or the file opened for writing, appended to if it is a
// regular file. A FIFO without a reader is waited for while ctx lasts.
func writeInPlace(ctx context.Context, path string, data []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	for _, std := range []*os.File{os.Stdout, os.Stderr} {
		if si, err := std.Stat(); err == nil && os.SameFile(fi, si) {
			_, err := std.Write(data)
			return err
		}
	}
	flags := os.O_WRONLY | syscall.O_NONBLOCK // a FIFO's open does not wait for a reader
	if fi.Mode().IsRegular() {
		flags |= os.O_APPEND
	}
	for {
		f, err := os.OpenFile(path, flags, 0)
		if err == nil {
			f.Fd() // blocking again, for the writes
			_, err = f.Write(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
		if !errors.Is(err, syscall.ENXIO) { // ENXIO: a FIFO that nobody reads yet
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
