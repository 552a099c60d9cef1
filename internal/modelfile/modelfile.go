// Package modelfile reads and writes mixtures as the commands keep them: a gmm.Model as
// indented JSON.
package modelfile

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
)

// Read returns the mixture saved at path, as it is: the caller checks it against what
// it will do with it.
func Read(path string) (*gmm.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m gmm.Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Write saves m at path as indented JSON, atomically: on any error nothing is left at
// path.
func Write(path string, m *gmm.Model) error {
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(append(data, '\n')); err != nil {
		return err
	}
	return f.Commit()
}
