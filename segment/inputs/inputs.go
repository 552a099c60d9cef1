// Package inputs turns the inputs named on a command line (files, folders, patterns)
// into the image files they stand for, and names each image's output after it.
package inputs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ImageExts are the extensions of the files a folder contributes.
var ImageExts = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// Expand turns args into files: a folder gives its images (by extension, not recursing,
// without those that skip reports, a command's own outputs), a pattern with *, ? or [ the
// files it matches, anything else itself (a missing file fails on its own turn). A folder
// or pattern that gives nothing is an error, and so are two inputs whose outputs in
// outDir (Output with suffix) would have the same name.
func Expand(args []string, outDir, suffix string, skip func(name string) bool) ([]string, error) {
	var files []string
	for _, arg := range args {
		if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
			entries, err := os.ReadDir(arg)
			if err != nil {
				return nil, err
			}
			n := len(files)
			for _, e := range entries {
				if !e.IsDir() && slices.Contains(ImageExts, strings.ToLower(filepath.Ext(e.Name()))) && !skip(e.Name()) {
					files = append(files, filepath.Join(arg, e.Name()))
				}
			}
			if len(files) == n {
				return nil, fmt.Errorf("folder %s holds no image (%s)", arg, strings.Join(ImageExts, " "))
			}
			continue
		}
		if strings.ContainsAny(arg, "*?[") {
			matches, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %v", arg, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("pattern %q matches no file", arg)
			}
			files = append(files, matches...)
			continue
		}
		files = append(files, arg)
	}
	seen := map[string]string{}
	for _, f := range files {
		out := Output(f, outDir, suffix)
		if other, ok := seen[out]; ok {
			return nil, fmt.Errorf("%s and %s would both write %s", other, f, out)
		}
		seen[out] = f
	}
	return files, nil
}

// Output is where the output of file goes in outDir: its name without extension, then
// suffix and ".png".
func Output(file, outDir, suffix string) string {
	return filepath.Join(outDir, strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))+suffix+".png")
}
