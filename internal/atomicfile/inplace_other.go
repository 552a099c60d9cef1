//go:build !unix

package atomicfile

import (
	"context"
	"os"
)

// writeInPlace writes data into the existing file at path, no regular file.
func writeInPlace(_ context.Context, path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
