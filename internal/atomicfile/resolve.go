package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds a chain of symbolic links, as Linux's 40 does.
const maxLinks = 40

// Target returns the file that writing path writes: path itself, or the final target of
// the symbolic links it names (a link of /proc to a process's open file is not followed).
func Target(path string) (string, error) {
	target, _, _, err := resolve(path)
	return target, err
}

// resolve follows the links that path names to the file written and returns it, its
// FileInfo if it exists as a regular file, and whether it is written in place: it exists
// and is no regular file, or path leads to it through a link of /proc to a process's
// open file (/dev/stdout), whatever that file is. A directory is an error.
func resolve(path string) (string, os.FileInfo, bool, error) {
	for range maxLinks {
		li, err := os.Lstat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return path, nil, false, nil
		case err != nil:
			return "", nil, false, err
		case li.IsDir():
			return "", nil, false, fmt.Errorf("%s is a directory", path)
		case li.Mode().IsRegular():
			return path, li, false, nil
		case li.Mode()&fs.ModeSymlink == 0:
			return path, nil, true, nil // a device, a FIFO, a socket
		case openFileLink(li):
			if _, err := os.Stat(path); err != nil {
				return "", nil, false, err
			}
			return path, nil, true, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", nil, false, err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", nil, false, fmt.Errorf("%s: more than %d symbolic links", path, maxLinks)
}
