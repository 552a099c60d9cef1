// Package fileid tells when two paths name one file: by device and inode where the file
// exists, by the path it would be created at otherwise.
package fileid

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
)

// Key returns what identifies the file that writing or reading path reaches, such that
// two paths of one file have one Key: for an existing file (links followed) its device
// and inode, where the system has them, else its absolute path with every link
// resolved; for a file that does not exist yet, the cleaned absolute path a write
// creates it at (a dangling link's target: atomicfile.Target), its folder's links
// resolved.
func Key(path string) (string, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		if k, ok := inode(fi); ok {
			return k, nil
		}
		return resolved(path)
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	target, err := atomicfile.Target(path)
	if err != nil {
		return "", err
	}
	dir, err := resolved(filepath.Dir(target))
	if errors.Is(err, fs.ErrNotExist) { // a folder yet to be made (--out-dir)
		dir, err = filepath.Abs(filepath.Dir(target))
	}
	if err != nil {
		return "", err
	}
	return "path " + filepath.Join(dir, filepath.Base(target)), nil
}

// resolved returns the absolute path of the existing path, every link resolved.
func resolved(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}
