// Package race tells tests whether the race detector is on: it makes sync.Pool drop items
// at random, so allocation counts mean nothing, and it slows long numerical tests tenfold
// for no finding of its own.
package race
