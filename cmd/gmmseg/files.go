package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gmmsimd/gmmsimd/cmd/internal/fileid"
)

// namedFile is a file that a run reads or writes, with what names it on the command line.
type namedFile struct{ role, path string }

// output is where the segmentation of c's image goes: --out, or <image name>_segmented.png
// in the working directory (the built-in example's name, or an upload's, without a file).
func (c *plan) output() string {
	if c.out != "" {
		return c.out
	}
	name, _ := c.source()
	return strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) + outputSuffix + ".png"
}

// source returns the first image's name and, unless it is the file c.first, its bytes: an
// upload's, or the built-in example's when there is neither.
func (c *config) source() (name string, data []byte) {
	switch {
	case c.first != "":
		return c.first, nil
	case c.image != nil:
		return c.imageName, c.image
	}
	return exampleName, exampleImage
}

// figureNames are the figures --visualization=1 writes for the segmentation out, next to
// it and named after it (none without): the strip, the sheet as PNG and SVG and, for one
// channel, the density curves.
func (c *plan) figureNames(out string) []string {
	if c.visualization != 1 {
		return nil
	}
	base := strings.TrimSuffix(out, filepath.Ext(out))
	names := []string{base + figureSuffixes[0] + ".png", base + figureSuffixes[1] + ".png", base + figureSuffixes[1] + ".svg"}
	if c.channel.Dims() == 1 {
		names = append(names, base+figureSuffixes[2]+".png")
	}
	return names
}

// files returns the files that a run of c reads and writes: for one image, its image(s)
// and its outputs; for a batch, every image of images and the outputs named after each;
// for both, the mixtures read and the profiles written.
func (c *plan) files(images []string) (inputs, outputs []namedFile) {
	for _, f := range []namedFile{{"--model", c.model}, {"--init-model", c.initModel}} {
		if f.path != "" {
			inputs = append(inputs, f)
		}
	}
	for _, f := range []namedFile{{"--cpuprofile", c.cpuprofile}, {"--memprofile", c.memprofile}} {
		if f.path != "" {
			outputs = append(outputs, f)
		}
	}
	if len(c.inputs) > 0 {
		for _, img := range images {
			inputs = append(inputs, namedFile{"the image", img})
			out := batchOutput(img, c.outDir)
			outputs = append(outputs, namedFile{"the segmentation of " + img, out})
			for _, fig := range c.figureNames(out) {
				outputs = append(outputs, namedFile{"a figure of " + img, fig})
			}
		}
		return inputs, outputs
	}
	for _, f := range []namedFile{{"--first-image", c.first}, {"--second-image", c.second}} {
		if f.path != "" {
			inputs = append(inputs, f)
		}
	}
	outputs = append(outputs, namedFile{"--out", c.output()})
	for _, f := range []namedFile{{"--save-model", c.saveModel}, {"--labels", c.labels}} {
		if f.path != "" {
			outputs = append(outputs, f)
		}
	}
	for _, fig := range c.figureNames(c.output()) {
		outputs = append(outputs, namedFile{"--visualization's figure", fig})
	}
	return inputs, outputs
}

// checkFiles refuses, before anything is read or written, a run that would write over
// one of its inputs or write two of its outputs to one file: every output is compared
// with every input and every other output, by device and inode where the file exists
// and by the path it would be created at otherwise (fileid.Key). A clash is a
// usageError.
func checkFiles(inputs, outputs []namedFile) error {
	seen := map[string]namedFile{}
	for _, in := range inputs {
		k, err := fileid.Key(in.path)
		if err != nil {
			continue // it fails on its own turn, read
		}
		seen[k] = in
	}
	for _, out := range outputs {
		k, err := fileid.Key(out.path)
		if err != nil {
			continue // it fails on its own turn, written: no file there to clash
		}
		if other, ok := seen[k]; ok {
			return usageError{fmt.Sprintf("%s %s and %s %s are one file: an output may be neither an input nor another output", other.role, other.path, out.role, out.path)}
		}
		seen[k] = out
	}
	return nil
}
