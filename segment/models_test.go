package segment

import (
	"image"
	"math"
	"testing"

	"github.com/gmmsimd/gmmsimd/gmm"
)

// Every function that takes a model refuses a nil or invalid one with an error, and a
// plane or component that the model does not have, never a panic.
func TestModelsAreChecked(t *testing.T) {
	one := gmm.Model{Weights: []float64{1, 1}, Means: []float64{0.2, 0.8}, Covariances: []float64{0.01, 0.01}}
	colour := gmm.Model{Dims: 3, Covariance: gmm.Spherical, Weights: []float64{1, 1},
		Means: []float64{0.1, 0.1, 0.1, 0.9, 0.9, 0.9}, Covariances: []float64{0.01, 0.01}}
	nanBelow := gmm.Model{Dims: 3, Weights: []float64{1}, Means: []float64{0, 0, 0},
		Covariances: []float64{1, 0, 0, math.NaN(), 1, 0, 0, 0, 1}}
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	src, err := ColourPixels[float64](img, RGB, 8)
	if err != nil {
		t.Fatal(err)
	}
	plane := func(top uint16) *Plane {
		p := &Plane{Width: 4, Height: 4, Max: 255, Levels: make([]uint16, 16)}
		p.Levels[5] = top
		return p
	}
	for name, call := range map[string]func(m *gmm.Model) error{
		"Segment": func(m *gmm.Model) error { return Segment[float64](t.Context(), m, nil, plane(3), gmm.Exec{}) },
		"Classes": func(m *gmm.Model) error { return Classes(t.Context(), m, make([]float64, 16), plane(0), gmm.Exec{}) },
		"ColourClasses": func(m *gmm.Model) error {
			return ColourClasses(t.Context(), m, src, &Plane{Width: 4, Height: 4}, RGB, gmm.Exec{})
		},
		"MeanLevels":      func(m *gmm.Model) error { return MeanLevels(m, plane(1), 255) },
		"MeanColourImage": func(m *gmm.Model) error { _, err := MeanColourImage(m, plane(1), RGB, 255, 8); return err },
		"MeanColour":      func(m *gmm.Model) error { _, err := MeanColour(m, 1, RGB); return err },
	} {
		for what, m := range map[string]*gmm.Model{"nil": nil, "NaN below the diagonal": &nanBelow} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("%s of a %s model: panic %v", name, what, p)
					}
				}()
				if err := call(m); err == nil {
					t.Errorf("%s of a %s model: no error", name, what)
				}
			}()
		}
	}
	if err := MeanLevels(&one, plane(2), 255); err == nil {
		t.Error("MeanLevels of class 2 of a model of 2 components: no error")
	}
	if _, err := MeanColourImage(&colour, plane(2), RGB, 255, 8); err == nil {
		t.Error("MeanColourImage of class 2 of a model of 2 components: no error")
	}
	if _, err := MeanColour(&colour, 2, RGB); err == nil {
		t.Error("MeanColour of component 2 of 2: no error")
	}
	if _, err := MeanColour(&one, 0, RGB); err == nil {
		t.Error("MeanColour of a model of one feature: no error")
	}
}
