// Package figuretest checks drawn figures in tests: that every panel holds data rather
// than a blank canvas.
package figuretest

import "image"

// BlankPanels returns the panels among the first n of img, cut into rows of cols equal
// cells, whose middle does not vary: nothing drawn there. Titles, at the top of a panel,
// and axis labels, at its edges, are left out of the middle.
func BlankPanels(img image.Image, n, cols int) []image.Point {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rows := (n + cols - 1) / cols
	var blank []image.Point
	for r := range rows {
		for c := range min(cols, n-r*cols) {
			cell := image.Rect(c*w/cols, r*h/rows, (c+1)*w/cols, (r+1)*h/rows).Add(b.Min)
			mid := image.Rect(cell.Min.X+cell.Dx()/5, cell.Min.Y+cell.Dy()/4, cell.Max.X-cell.Dx()/5, cell.Max.Y-cell.Dy()/5)
			if Variance(img, mid) <= 0 {
				blank = append(blank, image.Pt(c, r))
			}
		}
	}
	return blank
}

// Variance is the variance over r of img's pixels, each the sum of its red, green and
// blue.
func Variance(img image.Image, r image.Rectangle) float64 {
	var sum, sq, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			v := float64(cr + cg + cb)
			sum += v
			sq += v * v
			n++
		}
	}
	if n == 0 {
		return 0
	}
	mean := sum / n
	return sq/n - mean*mean
}
