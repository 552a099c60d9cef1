package figuretest

import (
	"image"
	"image/color"
	"slices"
	"testing"
)

func TestBlankPanels(t *testing.T) {
	// Five panels in rows of 3 on a 300x200 canvas: panel (1, 0) has a dot in its middle,
	// panel (0, 1) only a mark near its top, where titles go; the sixth cell is no panel.
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetGray(150, 50, color.Gray{})
	img.SetGray(50, 102, color.Gray{})
	got := BlankPanels(img, 5, 3)
	want := []image.Point{{0, 0}, {2, 0}, {0, 1}, {1, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("BlankPanels = %v, want %v", got, want)
	}
}
