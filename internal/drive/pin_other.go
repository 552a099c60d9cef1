//go:build !linux

package drive

import "errors"

var errPinUnsupported = errors.New("pinning threads to CPUs is supported on Linux only")

// allowedCPUs fails: pinning is implemented for Linux only.
func allowedCPUs() ([]int, error) { return nil, errPinUnsupported }

// pinThread fails: pinning is implemented for Linux only.
func pinThread(int) error { return errPinUnsupported }
