// Package modelfile reads and writes mixtures as the commands keep them: a gmm.Model as
// indented JSON.
package modelfile

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
	"github.com/gmmsimd/gmmsimd/internal/ctxfile"
)

// MaxBytes bounds a model file: 65536 components over three features, full covariances,
// take some 20 MiB of JSON. A larger file (/dev/zero, say) is refused, not read whole.
const MaxBytes = 64 << 20

// Read returns the mixture saved at path, as it is: the caller checks it against what
// it will do with it. Opening and reading end with ctx (a FIFO that no one writes to).
func Read(ctx context.Context, path string) (*gmm.Model, error) {
	f, err := ctxfile.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, err
	case len(data) > MaxBytes:
		return nil, fmt.Errorf("%s: more than %d MiB, more than any model file holds", path, MaxBytes>>20)
	}
	var m gmm.Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Encode writes m to w as indented JSON.
func Encode(w io.Writer, m *gmm.Model) error {
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// Write saves m at path as indented JSON, atomically: on any error nothing is left at
// path.
func Write(path string, m *gmm.Model) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Encode(w, m) })
}
