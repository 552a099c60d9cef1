//go:build !race

package kernel

// raceEnabled reports a -race build (see race_test.go).
const raceEnabled = false
