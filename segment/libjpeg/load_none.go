//go:build !(linux && (amd64 || arm64) && !purego && !noasm)

package libjpeg

import (
	"errors"
	"runtime"
)

// Loadable reports whether this build loads libjpeg-turbo where the machine has it: not
// on this platform, or not in this build (tagged purego or noasm).
const Loadable = false

// library is never loaded in this build.
type library struct{}

// open says why the library is not loaded here.
func open() (*library, error) {
	return nil, errors.New("not loaded by this build (" + runtime.GOOS + "/" + runtime.GOARCH + "; it loads on Linux amd64 and arm64 in builds not tagged purego or noasm)")
}

func (*library) session() (decompressor, error) {
	return nil, errors.New("libjpeg-turbo is not loaded")
}
