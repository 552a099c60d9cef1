package main

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gmmsimd/gmmsimd/cmd/internal/figure"
	"github.com/gmmsimd/gmmsimd/segment"
)

// series is one kernel in one precision: the rows that share them.
type series struct {
	kernel, precision string
	rows              []estepRow
}

// bySeries groups rows by kernel and precision, in the order they first appear.
func bySeries(rows []estepRow) []series {
	var out []series
	for _, r := range rows {
		i := slices.IndexFunc(out, func(s series) bool { return s.kernel == r.Kernel && s.precision == r.Precision })
		if i < 0 {
			out = append(out, series{kernel: r.Kernel, precision: r.Precision})
			i = len(out) - 1
		}
		out[i].rows = append(out[i].rows, r)
	}
	return out
}

// writePlots writes, into dir (made if missing), throughput.png (pixels per second against
// threads, at the largest size) and speedup.png (speedup over generic on one thread
// against the size, at the most threads), and returns their paths.
func writePlots(dir string, rows []estepRow) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--plot: %w", err)
	}
	largest := slices.MaxFunc(rows, func(a, b estepRow) int { return cmp.Compare(a.N, b.N) }).N
	most := slices.MaxFunc(rows, func(a, b estepRow) int { return cmp.Compare(a.Threads, b.Threads) }).Threads

	through := newPlot(fmt.Sprintf("fused E-step, %s pixels", formatSize(largest)), "threads", "Mpx/s")
	speed := newPlot(fmt.Sprintf("fused E-step, %d threads", most), "pixels", "speedup over generic, 1 thread")
	through.X.Tick.Marker = ticks(rows, func(r estepRow) int { return r.Threads }, strconv.Itoa)
	speed.X.Scale = plot.LogScale{}
	speed.X.Tick.Marker = ticks(rows, func(r estepRow) int { return r.N }, formatSize)
	kernels := []string{}
	for _, s := range bySeries(rows) {
		if !slices.Contains(kernels, s.kernel) {
			kernels = append(kernels, s.kernel)
		}
		style := draw.LineStyle{Color: segment.ClassColour(slices.Index(kernels, s.kernel)), Width: vg.Points(1.5)}
		if s.precision == "f32" {
			style.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		name := s.kernel + " " + s.precision
		var tp, sp plotter.XYs
		for _, r := range s.rows {
			if r.N == largest {
				tp = append(tp, plotter.XY{X: float64(r.Threads), Y: r.PxPerSec / 1e6})
			}
			if r.Threads == most && r.Speedup > 0 {
				sp = append(sp, plotter.XY{X: float64(r.N), Y: r.Speedup})
			}
		}
		if err := addSeries(through, name, tp, style); err != nil {
			return nil, err
		}
		if err := addSeries(speed, name, sp, style); err != nil {
			return nil, err
		}
	}
	// One thread count or one size still needs an axis of some length.
	if through.X.Min == through.X.Max {
		through.X.Min, through.X.Max = through.X.Min-1, through.X.Max+1
	}
	if speed.X.Min == speed.X.Max {
		speed.X.Min, speed.X.Max = speed.X.Min/2, speed.X.Max*2
	}
	var paths []string
	for _, p := range []struct {
		name string
		plot *plot.Plot
	}{{"throughput.png", through}, {"speedup.png", speed}} {
		path := filepath.Join(dir, p.name)
		fig := figure.Grid([]figure.Panel{figure.Plot(p.plot)}, 1, 1.6*figure.PanelWidth, 1.4*figure.PanelHeight)
		if err := fig.WritePNG(path); err != nil {
			return paths, fmt.Errorf("--plot: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Y.Min = 0
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p
}

// addSeries draws pts (sorted by x) as a line with points, named in the legend; a series
// with no points is left out.
func addSeries(p *plot.Plot, name string, pts plotter.XYs, style draw.LineStyle) error {
	if len(pts) == 0 {
		return nil
	}
	slices.SortFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return fmt.Errorf("--plot: %s: %w", name, err)
	}
	line.LineStyle = style
	points.Color = style.Color
	p.Add(line, points)
	p.Legend.Add(name, line, points)
	return nil
}

// ticks marks an axis at the values of the rows (thread counts, sizes), as label writes
// them.
func ticks(rows []estepRow, value func(estepRow) int, label func(int) string) plot.Ticker {
	var out plot.ConstantTicks
	for _, r := range rows {
		v := value(r)
		if !slices.ContainsFunc(out, func(t plot.Tick) bool { return t.Value == float64(v) }) {
			out = append(out, plot.Tick{Value: float64(v), Label: label(v)})
		}
	}
	return out
}
