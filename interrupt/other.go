//go:build !unix

package interrupt

import "os"

// Signals are the signals that end a run: an interrupt is the one every system has.
var Signals = []os.Signal{os.Interrupt}

// interruptNumber is SIGINT's number, as Unix shells report it.
const interruptNumber = 2

// Status is the exit status of a run that a signal ended: SIGINT's, as shells give it.
func Status(os.Signal) int { return 128 + interruptNumber }
