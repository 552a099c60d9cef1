// Package ctxfile opens files for reading so that a context can end the wait: open(2) of
// a FIFO waits for a writer, and a stalled network mount can hold open or read forever.
package ctxfile

import (
	"context"
	"os"
)

// File is a file opened by Open: an *os.File that ctx's end also closes.
type File struct {
	*os.File
	stop func() bool
}

// Open opens the named file for reading, as os.Open does, but returns ctx's error as soon
// as ctx is done. The open(2) runs in a goroutine of its own, which is left to finish
// alone if ctx ends first (the file is then closed as soon as it opens). Until Close,
// ctx's end also closes the file, which ends a read waiting on a FIFO or a device that
// Go's poller watches; a read of a regular file does not wait on anyone.
func Open(ctx context.Context, name string) (*File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			return nil, o.err
		}
		return &File{File: o.f, stop: context.AfterFunc(ctx, func() { o.f.Close() })}, nil
	case <-ctx.Done():
		go func() {
			if o := <-done; o.err == nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Close closes the file.
func (f *File) Close() error {
	f.stop()
	return f.File.Close()
}
