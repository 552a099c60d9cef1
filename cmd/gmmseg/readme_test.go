package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagName finds the flags a table's first cell names: `--name VALUE` or `-q`.
var flagName = regexp.MustCompile("`--?([a-z0-9-]+)[ `]")

// The README's table of flags names every flag of the command, and docs/command.md's
// every flag of gmmseg serve, each at the start of a row.
func TestDocumentedFlags(t *testing.T) {
	for _, c := range []struct {
		file string
		fs   *flag.FlagSet
	}{
		{"README.md", newFlagSet(&config{}, &rawFlags{})},
		{filepath.Join("docs", "command.md"), newServeFlagSet(&serveConfig{})},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", c.file))
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]bool{}
		for _, line := range strings.Split(string(data), "\n") {
			if first, ok := strings.CutPrefix(line, "| "); ok {
				first, _, _ = strings.Cut(first, " |")
				for _, m := range flagName.FindAllStringSubmatch(first, -1) {
					rows[m[1]] = true
				}
			}
		}
		c.fs.VisitAll(func(f *flag.Flag) {
			if !rows[f.Name] {
				t.Errorf("%s: no row of flag --%s", c.file, f.Name)
			}
		})
	}
}
