package segment_test

import (
	"context"
	"fmt"
	"image/color"
	"log"
	"os"
	"path/filepath"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/segment"
)

// Segment an image as gmmseg does by default: read its luma into a plane, fit the
// histogram of its levels, give every pixel the level of its class's mean (opened and
// closed with a 5x5 square), and write the classes as an indexed PNG.
func Example() {
	ctx := context.Background()
	p, _, err := segment.Decoding{Channel: segment.Luma}.OpenPlane(ctx, "testdata/camera-crop.webp")
	if err != nil {
		log.Fatal(err)
	}
	counted, err := segment.Histogram[float64](ctx, p, gmm.Exec{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := gmm.Fit(ctx, counted, gmm.Options{Components: 3, MaxIter: 8, Init: gmm.InitEvenlySpaced, Tol: gmm.Off, AddedVariance: gmm.Off})
	if err != nil {
		log.Fatal(err)
	}
	// nil samples: the plane's own levels, labelled through a table of their classes.
	if err := segment.Segment[float64](ctx, &res.Model, nil, p, gmm.Exec{}); err != nil {
		log.Fatal(err)
	}
	img, err := segment.IndexedGray(&res.Model, p)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "segment")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := segment.WritePNG(filepath.Join(dir, "camera_segmented.png"), img); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d pixels in %d classes, gray levels", p.Width, p.Height, len(img.Palette))
	for _, c := range img.Palette {
		fmt.Print(" ", color.GrayModel.Convert(c).(color.Gray).Y)
	}
	fmt.Println()
	// Output: 40x30 pixels in 3 classes, gray levels 31 60 126
}
