package figure

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gmmsimd/gmmsimd/gmm"
	"github.com/gmmsimd/gmmsimd/internal/atomicfile"
	"github.com/gmmsimd/gmmsimd/segment"
)

// DPI is the resolution of PNG figures: a panel of 300 points is 400 pixels wide.
const DPI = 96

// Figure is a drawing of a given size, written as PNG or SVG.
type Figure struct {
	Width, Height vg.Length
	draw          func(draw.Canvas)
}

// Pixels returns the size of the figure's PNG.
func (f Figure) Pixels() (w, h int) {
	px := func(l vg.Length) int { return int(l.Dots(DPI) + 0.5) } // as vgimg rounds
	return px(f.Width), px(f.Height)
}

// WritePNG writes the figure as a PNG file at path, atomically.
func (f Figure) WritePNG(path string) error { return atomicfile.Write(path, f.PNG) }

// PNG writes the figure to w as PNG.
func (f Figure) PNG(w io.Writer) error {
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	f.draw(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// SVG writes the figure to w as SVG; images are embedded.
func (f Figure) SVG(w io.Writer) error {
	c := vgsvg.New(f.Width, f.Height)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	f.draw(dc)
	_, err := c.WriteTo(w)
	return err
}

// Panel is one tile of a figure.
type Panel func(c draw.Canvas)

// Panel sizes and the space around them, in points.
const (
	PanelWidth  = 300
	PanelHeight = 240
	pad         = 6
)

// Grid lays panels out in rows of at most cols, each w x h points.
func Grid(panels []Panel, cols int, w, h vg.Length) Figure {
	cols = max(1, min(cols, len(panels)))
	rows := max(1, (len(panels)+cols-1)/cols)
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: pad, PadY: pad, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad}
	return Figure{
		Width:  vg.Length(cols)*w + vg.Length(cols+1)*pad,
		Height: vg.Length(rows)*h + vg.Length(rows+1)*pad,
		draw: func(c draw.Canvas) {
			for i, p := range panels {
				p(t.At(c, i%cols, i/cols))
			}
		},
	}
}

// Plot is a panel holding a gonum plot.
func Plot(p *plot.Plot) Panel { return func(c draw.Canvas) { p.Draw(c) } }

// titleStyle is the style of the titles of image panels, as plot titles look.
func titleStyle() draw.TextStyle {
	s := plot.New().Title.TextStyle
	s.XAlign, s.YAlign = draw.XCenter, draw.YTop
	return s
}

// Image is a panel showing img under a title, as large as fits, its aspect kept.
func Image(title string, img image.Image) Panel {
	return func(c draw.Canvas) {
		sty := titleStyle()
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, title)
		area := c.Rectangle
		area.Max.Y -= sty.Height(title) + pad
		b := img.Bounds()
		scale := min(area.Size().X/vg.Length(b.Dx()), area.Size().Y/vg.Length(b.Dy()))
		w, h := scale*vg.Length(b.Dx()), scale*vg.Length(b.Dy())
		min := vg.Point{X: area.Min.X + (area.Size().X-w)/2, Y: area.Min.Y + (area.Size().Y-h)/2}
		c.DrawImage(vg.Rectangle{Min: min, Max: vg.Point{X: min.X + w, Y: min.Y + h}}, img)
	}
}

// Fit is what the figures of one fit show.
type Fit struct {
	Input      image.Image // the fitted channel, shrunk
	InputTitle string
	Segmented  image.Image   // the segmentation as written, shrunk
	Iterations []image.Image // the segmentation after each of Steps, shrunk
	Hist       Histogram
	Initial    gmm.Model
	// Steps are the iterations the strip and the curves may show, in order, the last
	// iteration's last: every one, or those a Steps kept; LogLikelihoods is the fit's
	// after every iteration (gmm.Result.History).
	Steps          []gmm.Step
	LogLikelihoods []float64
}

// maxPanels is the most iterations a strip or the curves show: beyond it they show that
// many, evenly spaced, the first and last among them.
const maxPanels = 48

// shown returns the indices of the steps, of n, that a strip or the curves show.
func shown(n int) []int {
	if n <= maxPanels {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, maxPanels)
	for i := range out {
		out[i] = int(math.Round(float64(i) * float64(n-1) / float64(maxPanels-1)))
	}
	return out
}

// columns is how many panels a row of the strip or the curves holds.
const columns = 8

// Strip is the segmentation after each iteration, in rows of up to 8, each panel as wide
// as the image's aspect asks.
func Strip(f *Fit) Figure {
	var panels []Panel
	for _, i := range shown(len(f.Iterations)) {
		panels = append(panels, Image(fmt.Sprintf("iteration %d", f.Steps[i].Iter), f.Iterations[i]))
	}
	b := f.Iterations[0].Bounds()
	title := titleStyle().Height("iteration") + pad
	w := (PanelHeight - title) * vg.Length(b.Dx()) / vg.Length(b.Dy())
	return Grid(panels, columns, max(w, title), PanelHeight)
}

// Sheet is the summary: input | segmentation | histogram with the final components and
// mixture | initial and final mixture | log-likelihood per iteration.
func Sheet(f *Fit) (Figure, error) {
	final := &f.Steps[len(f.Steps)-1].Model
	ymax := yMax(f.Hist, final, &f.Initial)
	mix := densityPlot("initial and final mixture", f.Hist, ymax)
	addMixture(mix, &f.Initial, "initial", draw.LineStyle{Color: color.Gray{Y: 110}, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}})
	addMixture(mix, final, "final", mixtureStyle())
	mix.Legend.Top = true
	ll, err := logLikelihoodPlot(f.LogLikelihoods)
	if err != nil {
		return Figure{}, err
	}
	return Grid([]Panel{
		Image(f.InputTitle, f.Input),
		Image("segmentation", f.Segmented),
		Plot(componentsPlot("final mixture", f.Hist, final, ymax, true)),
		Plot(mix),
		Plot(ll),
	}, 5, PanelWidth, PanelHeight), nil
}

// Progress is a fit under way, at the last of f.Steps: the input labelled then (the last
// of f.Iterations) | the histogram with that iteration's components and mixture | the
// log-likelihood per iteration so far (f.LogLikelihoods). It is the page's live view.
func Progress(f *Fit) (Figure, error) {
	s := &f.Steps[len(f.Steps)-1]
	ll, err := logLikelihoodPlot(f.LogLikelihoods)
	if err != nil {
		return Figure{}, err
	}
	return Grid([]Panel{
		Image(fmt.Sprintf("iteration %d", s.Iter), f.Iterations[len(f.Iterations)-1]),
		Plot(componentsPlot(fmt.Sprintf("%d components", s.Model.K()), f.Hist, &s.Model, yMax(f.Hist, &s.Model), true)),
		Plot(ll),
	}, 3, PanelWidth, PanelHeight), nil
}

// Curves is the histogram with the components and mixture after each iteration, every
// panel on the same axes.
func Curves(f *Fit) Figure {
	idx := shown(len(f.Steps))
	ymax := 0.0
	for _, i := range idx {
		ymax = max(ymax, yMax(f.Hist, &f.Steps[i].Model))
	}
	var panels []Panel
	for _, i := range idx {
		p := componentsPlot(fmt.Sprintf("iteration %d", f.Steps[i].Iter), f.Hist, &f.Steps[i].Model, ymax, i == idx[0])
		panels = append(panels, Plot(p))
	}
	return Grid(panels, columns, PanelWidth, PanelHeight)
}

// componentsPlot is the histogram h, up to ymax, with m's mixture and components over it
// (addComponents), named in a legend if legend.
func componentsPlot(title string, h Histogram, m *gmm.Model, ymax float64, legend bool) *plot.Plot {
	p := densityPlot(title, h, ymax)
	addComponents(p, m, legend)
	return p
}

// yMax is the top of a density axis: a tenth above the highest bar or mixture peak, but a
// needle-thin component may not squash the histogram below half the panel's height.
func yMax(h Histogram, models ...*gmm.Model) float64 {
	top := slices.Max(h.Density)
	peak := 0.0
	for _, m := range models {
		sd := m.Stdevs()
		for _, x := range curveXs(h, m) {
			peak = max(peak, mixtureAt(m, sd, x))
		}
	}
	if top == 0 {
		top = max(peak, 1)
	}
	return 1.1 * max(top, min(peak, 2*top))
}

// densityPlot is a plot of the histogram as density, with fixed axes.
func densityPlot(title string, h Histogram, ymax float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "sample value"
	p.Y.Label.Text = "density"
	p.X.Min, p.X.Max = h.Lo, h.Hi
	p.Y.Min, p.Y.Max = 0, ymax
	w := h.BinWidth()
	bins := make([]plotter.HistogramBin, len(h.Density))
	for i, d := range h.Density {
		lo := h.Lo + float64(i)*w
		bins[i] = plotter.HistogramBin{Min: lo, Max: lo + w, Weight: d}
	}
	p.Add(&plotter.Histogram{Bins: bins, Width: w, FillColor: color.Gray{Y: 205}, LineStyle: draw.LineStyle{Width: 0}})
	return p
}

func mixtureStyle() draw.LineStyle { return draw.LineStyle{Color: color.Black, Width: vg.Points(1.5)} }

// addComponents draws the mixture as a dashed black line and over it each component's
// weighted density in its colour; legend names them in the plot's legend.
func addComponents(p *plot.Plot, m *gmm.Model, legend bool) {
	name := ""
	if legend {
		name = "mixture"
	}
	addMixture(p, m, name, draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}})
	xs := curveXs(Histogram{Lo: p.X.Min, Hi: p.X.Max}, m)
	total, sd := weightSum(m), m.Stdevs()
	for k := range m.K() {
		pts := make(plotter.XYs, len(xs))
		for i, x := range xs {
			pts[i] = plotter.XY{X: x, Y: m.Weights[k] / total * normal(x, m.Means[k], sd[k])}
		}
		l := &plotter.Line{XYs: pts, LineStyle: draw.LineStyle{Color: segment.ClassColour(k), Width: vg.Points(2)}}
		p.Add(l)
		if legend && m.K() <= 8 {
			p.Legend.Add(fmt.Sprintf("component %d", k), l)
		}
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = font.Length(8)
}

// addMixture draws the mixture density of m in style, named in the legend unless name is
// empty.
func addMixture(p *plot.Plot, m *gmm.Model, name string, style draw.LineStyle) {
	xs := curveXs(Histogram{Lo: p.X.Min, Hi: p.X.Max}, m)
	pts := make(plotter.XYs, len(xs))
	sd := m.Stdevs()
	for i, x := range xs {
		pts[i] = plotter.XY{X: x, Y: mixtureAt(m, sd, x)}
	}
	l := &plotter.Line{XYs: pts, LineStyle: style}
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
		p.Legend.TextStyle.Font.Size = font.Length(8)
	}
}

// curveXs are where the curves are evaluated: evenly over the histogram's range, plus
// points a quarter of a standard deviation apart around every mean, so that no peak
// narrower than the spacing is missed.
func curveXs(h Histogram, m *gmm.Model) []float64 {
	const even = 400
	xs := make([]float64, 0, even+1+33*m.K())
	for i := range even + 1 {
		xs = append(xs, h.Lo+(h.Hi-h.Lo)*float64(i)/even)
	}
	sd := m.Stdevs()
	for k := range m.K() {
		for j := -16; j <= 16; j++ {
			if x := m.Means[k] + float64(j)*sd[k]/4; x > h.Lo && x < h.Hi {
				xs = append(xs, x)
			}
		}
	}
	slices.Sort(xs)
	return xs
}

func weightSum(m *gmm.Model) float64 {
	s := 0.0
	for _, w := range m.Weights {
		s += w
	}
	return s
}

// mixtureAt is the mixture density at x of m, whose standard deviations are sd, its
// weights normalised.
func mixtureAt(m *gmm.Model, sd []float64, x float64) float64 {
	total, y := weightSum(m), 0.0
	for k := range m.K() {
		y += m.Weights[k] / total * normal(x, m.Means[k], sd[k])
	}
	return y
}

func normal(x, mean, sd float64) float64 {
	d := (x - mean) / sd
	return math.Exp(-d*d/2) / (sd * math.Sqrt(2*math.Pi))
}

// logLikelihoodPlot is the log-likelihood after each iteration.
func logLikelihoodPlot(h []float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "log-likelihood"
	p.X.Label.Text = "iteration"
	if len(h) == 0 {
		// A fit's live view before its first iteration ends: axes of some length, for
		// gonum's tick labelling never ends on the NaN range an empty plot has.
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return p, nil
	}
	pts := make(plotter.XYs, len(h))
	for i, ll := range h {
		pts[i] = plotter.XY{X: float64(i), Y: ll}
	}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, fmt.Errorf("the log-likelihood cannot be drawn: %w", err)
	}
	line.LineStyle = mixtureStyle()
	points.Shape = draw.CircleGlyph{}
	p.Add(line, points)
	// One iteration, or a flat line, still needs an axis of some length.
	p.X.Min, p.X.Max = math.Min(p.X.Min, p.X.Max-1), math.Max(p.X.Max, p.X.Min+1)
	if p.Y.Max-p.Y.Min < 1e-9*math.Abs(p.Y.Max) {
		d := math.Max(1, 1e-6*math.Abs(p.Y.Max))
		p.Y.Min, p.Y.Max = p.Y.Min-d, p.Y.Max+d
	}
	return p, nil
}
