//go:build !amd64 || !gc || purego || noasm

package eightbit

// available lists the implementations: a build without assembly has the Go loop alone.
func available() []unit { return []unit{genericUnit} }
