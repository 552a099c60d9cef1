//go:build unix

package interrupt

import (
	"os"
	"syscall"
)

// Signals are the signals that end a run.
var Signals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// interruptNumber is SIGINT's number.
const interruptNumber = int(syscall.SIGINT)

// Status is the exit status of a run that sig ended: 128 + its number.
func Status(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + interruptNumber
}
