package gmmbeam_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/gmmsimd/gmmsimd/beam/gmmbeam"
	"github.com/gmmsimd/gmmsimd/gmm"
)

// Fit one mixture to a collection of two gray images, dark and bright halves each, on
// prism: one pipeline counts their levels, EM runs on the counts.
func ExampleFitHistogram() {
	dir, err := os.MkdirTemp("", "collection")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var paths []string
	for i, levels := range [][2]uint8{{40, 200}, {60, 220}} {
		img := image.NewGray(image.Rect(0, 0, 64, 64))
		for p := range img.Pix {
			img.Pix[p] = levels[p%2] + uint8(p%7)
		}
		p := filepath.Join(dir, fmt.Sprintf("frame%d.png", i))
		f, err := os.Create(p)
		if err != nil {
			log.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			log.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	images := gmmbeam.Images{Paths: paths} // luma
	cfg := gmmbeam.Config{Temp: dir}
	res, _, failures, err := gmmbeam.FitHistogram(context.Background(), images.Histograms(), gmm.Options{Components: 2, MaxIter: 20, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off}, cfg)
	if err != nil {
		log.Fatal(err)
	}
	m := res.Model
	fmt.Println("failures:", len(failures))
	for k := range m.K() {
		fmt.Printf("weight %.2f, mean level %.0f\n", m.Weights[k], 255*m.Means[k])
	}
	// Output:
	// failures: 0
	// weight 0.50, mean level 53
	// weight 0.50, mean level 213
}
