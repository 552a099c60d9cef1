package figure

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/segment"
)

// ColourFit is what the figures of a fit in a colour space show.
type ColourFit struct {
	Input     image.Image // the image, shrunk
	Segmented image.Image // the segmentation as written, shrunk
	// Samples are the shrunk input's pixels in the colour space (3 values each, in
	// the order of its pixels), Names the space's three coordinates.
	Samples []float64
	Names   [3]string
	Space   segment.Channel
	// Steps and LogLikelihoods are as in Fit.
	Steps          []gmm.Step
	LogLikelihoods []float64
	// Colour gives component k of a model its colour in the figures.
	Colour func(m *gmm.Model, k int) color.Color
}

// ColourStrip is the shrunk input's segmentation after each iteration, in rows of up to 8,
// every pixel in its component's colour.
func ColourStrip(f *ColourFit) (Figure, error) {
	var panels []Panel
	var size image.Rectangle
	for _, i := range shown(len(f.Steps)) {
		m := &f.Steps[i].Model
		img, err := labelled(f, m)
		if err != nil {
			return Figure{}, err
		}
		size = img.Bounds()
		panels = append(panels, Image(fmt.Sprintf("iteration %d", f.Steps[i].Iter), img))
	}
	title := titleStyle().Height("iteration") + pad
	w := (PanelHeight - title) * vg.Length(size.Dx()) / vg.Length(size.Dy())
	return Grid(panels, columns, max(w, title), PanelHeight), nil
}

// labelled is the shrunk input labelled under m, each pixel in its component's colour.
func labelled(f *ColourFit, m *gmm.Model) (image.Image, error) {
	labels := make([]uint16, len(f.Samples)/3)
	if err := gmm.Predict(context.Background(), m, labels, f.Samples, gmm.Exec{}); err != nil {
		return nil, err
	}
	pal := make([]color.Color, m.K()) // one colour a component, not one a pixel
	for k := range pal {
		pal[k] = f.Colour(m, k)
	}
	b := f.Input.Bounds()
	img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for i, l := range labels {
		img.Set(i%b.Dx(), i/b.Dx(), pal[l])
	}
	return img, nil
}

// ColourSheet is the summary of a colour fit: input | segmentation | the pixels' colours
// in the plane of the space's last two coordinates (a*-b*, G-B, Cb-Cr) and in that of its
// first two (L*-a*, R-G, Y-Cb), with each final component's 1- and 2-sigma ellipses (of
// its covariance's marginal in the plane) in its colour | log-likelihood per iteration.
func ColourSheet(f *ColourFit) (Figure, error) {
	final := &f.Steps[len(f.Steps)-1].Model
	chroma, err := colourPlane(f, final, 1, 2)
	if err != nil {
		return Figure{}, err
	}
	light, err := colourPlane(f, final, 0, 1)
	if err != nil {
		return Figure{}, err
	}
	ll, err := logLikelihoodPlot(f.LogLikelihoods)
	if err != nil {
		return Figure{}, err
	}
	return Grid([]Panel{
		Image("input ("+f.Space.String()+")", f.Input),
		Image("segmentation", f.Segmented),
		Plot(chroma),
		Plot(light),
		Plot(ll),
	}, 5, PanelWidth, PanelHeight), nil
}

// ColourProgress is a fit in a colour space under way, at the last of f.Steps: the shrunk
// input labelled then | the pixels' colours in the plane of the space's last two
// coordinates with that iteration's ellipses | the log-likelihood per iteration so far.
// It is the page's live view.
func ColourProgress(f *ColourFit) (Figure, error) {
	s := &f.Steps[len(f.Steps)-1]
	img, err := labelled(f, &s.Model)
	if err != nil {
		return Figure{}, err
	}
	chroma, err := colourPlane(f, &s.Model, 1, 2)
	if err != nil {
		return Figure{}, err
	}
	ll, err := logLikelihoodPlot(f.LogLikelihoods)
	if err != nil {
		return Figure{}, err
	}
	return Grid([]Panel{
		Image(fmt.Sprintf("iteration %d", s.Iter), img),
		Plot(chroma),
		Plot(ll),
	}, 3, PanelWidth, PanelHeight), nil
}

// colourPlane plots coordinates a and b of the samples, each point in its pixel's own
// colour, with the ellipses of m's components.
func colourPlane(f *ColourFit, m *gmm.Model, a, b int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = f.Names[a] + " - " + f.Names[b]
	p.X.Label.Text, p.Y.Label.Text = f.Names[a], f.Names[b]
	n := len(f.Samples) / 3
	step := max(1, n/4000) // a few thousand points show the spread
	var pts plotter.XYs
	var cols []color.Color
	w := f.Input.Bounds().Dx()
	for i := 0; i < n; i += step {
		pts = append(pts, plotter.XY{X: f.Samples[3*i+a], Y: f.Samples[3*i+b]})
		cols = append(cols, f.Input.At(f.Input.Bounds().Min.X+i%w, f.Input.Bounds().Min.Y+i/w))
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, fmt.Errorf("the colours cannot be drawn: %w", err)
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: cols[i], Radius: vg.Points(1), Shape: draw.CircleGlyph{}}
	}
	p.Add(sc)
	for k := range m.K() {
		for _, r := range []float64{1, 2} {
			line, err := plotter.NewLine(ellipse(m, k, a, b, r))
			if err != nil {
				return nil, fmt.Errorf("an ellipse cannot be drawn: %w", err)
			}
			line.LineStyle = draw.LineStyle{Color: f.Colour(m, k), Width: vg.Points(2.5 - r/2)}
			p.Add(line)
		}
	}
	return p, nil
}

// ellipse returns the points of component k's r-sigma ellipse in the plane of coordinates
// a and b: its mean plus r L (cos t, sin t), L the Cholesky factor of its covariance's
// a, b marginal.
func ellipse(m *gmm.Model, k, a, b int, r float64) plotter.XYs {
	c := m.CovarianceOf(k)
	d := m.Dims
	saa, sab, sbb := c[a*d+a], c[a*d+b], c[b*d+b]
	l11 := math.Sqrt(saa)
	l21 := sab / l11
	l22 := math.Sqrt(max(sbb-l21*l21, 0))
	mx, my := m.Means[k*d+a], m.Means[k*d+b]
	pts := make(plotter.XYs, 65)
	for i := range pts {
		t := 2 * math.Pi * float64(i) / 64
		u, v := r*math.Cos(t), r*math.Sin(t)
		pts[i] = plotter.XY{X: mx + l11*u, Y: my + l21*u + l22*v}
	}
	return pts
}
