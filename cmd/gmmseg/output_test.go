package main

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/gmmsimd/gmmsimd/segment"
)

// The segmentation is a PNG of 2 bits a pixel for 3 or 4 classes by default (indexed,
// its palette the classes' gray levels or colours), 8-bit gray or RGB when --png asks;
// all of them the same picture.
func TestPNGTypes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, args ...string) (path string, depth, colourType byte) {
		path = filepath.Join(dir, name)
		if r := runCmd(t, append(args, "-q", "--out="+path)...); r.Code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.Code, r.Stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return path, data[24], data[25] // IHDR's bit depth and colour type
	}
	for _, c := range []struct {
		args              []string
		depth, colourType byte
	}{
		{nil, 2, 3},
		{[]string{"--png=indexed", "--components=5"}, 4, 3},
		{[]string{"--png=gray"}, 8, 0},
		{[]string{"--png=rgb"}, 8, 2},
		{[]string{"--palette"}, 2, 3},
		{[]string{"--palette", "--png=rgb"}, 8, 2},
	} {
		if _, depth, ct := write("x.png", c.args...); depth != c.depth || ct != c.colourType {
			t.Errorf("%v: bit depth %d, colour type %d; want %d, %d", c.args, depth, ct, c.depth, c.colourType)
		}
	}
	indexed, _, _ := write("indexed.png")
	grayPath, _, _ := write("gray.png", "--png=gray")
	rgbPath, _, _ := write("rgb.png", "--png=rgb")
	a, b, c := open(t, indexed), open(t, grayPath), open(t, rgbPath)
	bd := a.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			ca, cb, cc := color.NRGBAModel.Convert(a.At(x, y)), color.NRGBAModel.Convert(b.At(x, y)), color.NRGBAModel.Convert(c.At(x, y))
			if ca != cb || ca != cc {
				t.Fatalf("pixel (%d, %d): indexed %v, gray %v, rgb %v", x, y, ca, cb, cc)
			}
		}
	}
	for _, bad := range [][]string{{"--png=gray", "--palette"}, {"--png=gray", "--channel=rgb"}, {"--png=jpeg"}} {
		if r := runCmd(t, bad...); r.Code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, r.Code, exitUsage)
		}
	}
}

func open(t *testing.T, path string) image.Image {
	t.Helper()
	img, err := segment.Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
