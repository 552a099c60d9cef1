// Package atomicfile writes a file so that readers see either nothing or all of it: the
// data go to a temporary file in the same directory, which is renamed over the target only
// when everything was written.
package atomicfile

import (
	"os"
	"path/filepath"
)

// File is a file being written; Commit puts it in place, Abort discards it.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing the file at path. Its directory must exist and be writable.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit flushes and closes the file and renames it to its path, with mode 0644. On
// failure the temporary file is removed.
func (f *File) Commit() error {
	if f.done {
		return os.ErrClosed
	}
	f.done = true
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Abort closes and removes the temporary file; after Commit it does nothing. It is safe to
// defer right after Create.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}
