//go:build race

package gmm

// raceEnabled reports a -race build, whose sync.Pool drops items at random: allocation
// counts mean nothing there.
const raceEnabled = true
