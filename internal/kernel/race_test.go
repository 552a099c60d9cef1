//go:build race

package kernel

// raceEnabled reports a -race build, whose sync.Pool drops items at random: allocation
// counts mean nothing there.
const raceEnabled = true
