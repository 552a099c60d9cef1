//go:build !race

package gmm

// raceEnabled reports a -race build (see race_test.go).
const raceEnabled = false
