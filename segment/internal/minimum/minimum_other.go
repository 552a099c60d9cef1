//go:build !amd64 || !gc || purego || noasm

package minimum

// A build without assembly runs the Go loop.
var into, name = generic, "generic"
