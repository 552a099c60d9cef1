// Package atomicfile writes files so that readers see either nothing or all of each: the
// data go to a temporary file in the directory of the file they replace, which is
// renamed over it only when everything was written; a Set commits several files
// together, all or none.
//
// What a path names decides how it is written. A symbolic link (through any chain of
// them) is followed: its final target is replaced and the link stays. An existing file
// that is not a regular file (a device, a FIFO, a terminal; /dev/stdout and the other
// links of /proc to a process's open files) is written in place when the file is
// committed, never renamed over: /dev/null stays /dev/null. A new file takes mode 0666
// less the umask, as every Unix tool's does; a replaced one keeps its permissions.
package atomicfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// File is a file being written; Commit puts it in place, Abort discards it.
type File struct {
	ctx  context.Context
	path string // where the data go: the final target of any links
	// tmp is the temporary file of a file replaced by rename; an in-place file's data
	// wait in buf instead.
	tmp  *os.File
	buf  *bytes.Buffer
	done bool
}

// Create starts writing the file at path. Its directory must exist and be writable
// (the target's, for a link).
func Create(path string) (*File, error) { return create(context.Background(), path) }

// create is Create for a file whose writes fail once ctx is done.
func create(ctx context.Context, path string) (*File, error) {
	target, fi, inPlace, err := resolve(path)
	if err != nil {
		return nil, err
	}
	f := &File{ctx: ctx, path: target}
	if inPlace {
		f.buf = new(bytes.Buffer)
		return f, nil
	}
	perm := fs.FileMode(0o666) // less the umask: the kernel applies it to a new file
	if fi != nil {
		perm = fi.Mode().Perm()
	}
	if f.tmp, err = createTemp(target); err != nil {
		return nil, err
	}
	if fi != nil { // a replaced file keeps its permissions, whatever the umask
		if err := f.tmp.Chmod(perm); err != nil {
			f.Abort()
			return nil, err
		}
	}
	return f, nil
}

// createTemp creates a new temporary file beside path, named after it, mode 0666 less
// the umask.
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf(".%s.tmp%08x", base, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("atomicfile: no free temporary name beside %s", path)
}

// Path returns where f's data go: the path given to Create, or the final target of the
// links it names.
func (f *File) Path() string { return f.path }

// Write adds p to the file. Once the context of its Set is done, it fails with the
// context's error: an encoder writing a large output stops at its next write.
func (f *File) Write(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	if f.done {
		return 0, os.ErrClosed
	}
	if f.buf != nil {
		return f.buf.Write(p)
	}
	return f.tmp.Write(p)
}

// Commit puts the file in place: it flushes, closes and renames the temporary file over
// the target, or writes an in-place file's data into it. On failure nothing is left of
// the temporary file.
func (f *File) Commit() error {
	if err := f.prepare(context.Background()); err != nil {
		return err
	}
	return f.finish()
}

// prepare does what can fail or wait in Commit, ctx stopping the wait: it syncs and
// closes the temporary file, or writes an in-place file (that cannot be taken back).
func (f *File) prepare(ctx context.Context) error {
	if f.done {
		return os.ErrClosed
	}
	if f.buf != nil {
		f.done = true
		return writeInPlace(ctx, f.path, f.buf.Bytes())
	}
	err := f.tmp.Sync()
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		f.Abort()
	}
	return err
}

// finish renames a prepared temporary file over its target.
func (f *File) finish() error {
	if f.buf != nil {
		return nil
	}
	f.done = true
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		os.Remove(f.tmp.Name())
		return err
	}
	return nil
}

// Abort discards the file: the temporary file is closed and removed. After Commit it
// does nothing. It is safe to defer right after Create.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.tmp != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
}

// Write writes the file at path with write, atomically: nothing is left of it if write
// fails.
func Write(path string, write func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}

// Set is files written together: Commit puts every one in place or, where any cannot
// be, none of those renamed. It stops with its context: writes fail, and a Set whose
// context is done commits nothing.
type Set struct {
	ctx   context.Context
	files []*File
}

// NewSet returns an empty Set that stops when ctx is done.
func NewSet(ctx context.Context) *Set { return &Set{ctx: ctx} }

// Create starts writing the file at path in the set (see the package's comment).
func (s *Set) Create(path string) (*File, error) {
	f, err := create(s.ctx, path)
	if err == nil {
		s.files = append(s.files, f)
	}
	return f, err
}

// Write writes the file at path in the set with write.
func (s *Set) Write(path string, write func(io.Writer) error) error {
	f, err := s.Create(path)
	if err != nil {
		return err
	}
	return write(f)
}

// Commit puts every file of the set in place: the in-place files are written first
// (waiting, while the context lasts, for a FIFO's reader), then every temporary file is
// renamed over its target, a step that neither waits nor stops for the context. If a
// rename fails, the files renamed before it are removed: none of the set is left, but
// for what in-place files wrote. A set whose context is done when Commit begins, or ends
// while an in-place file waits, commits nothing.
func (s *Set) Commit() error {
	defer s.Abort()
	if err := s.ctx.Err(); err != nil {
		return err
	}
	for _, inPlace := range []bool{true, false} {
		for _, f := range s.files {
			if (f.buf != nil) == inPlace {
				if err := f.prepare(s.ctx); err != nil {
					return err
				}
			}
		}
	}
	for i, f := range s.files {
		if err := f.finish(); err != nil {
			for _, g := range s.files[:i] {
				if g.buf == nil {
					os.Remove(g.path)
				}
			}
			return err
		}
	}
	return nil
}

// Abort discards every file of the set not committed.
func (s *Set) Abort() {
	for _, f := range s.files {
		f.Abort()
	}
}
