package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/drive"
	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// estepRow is one measured configuration of the E-step.
type estepRow struct {
	Dims      int     `json:"dims"`
	Kernel    string  `json:"kernel"`
	Precision string  `json:"precision"`
	Threads   int     `json:"threads"`
	N         int     `json:"n"`
	NsPerPx   float64 `json:"ns_per_pixel_per_iteration"` // median over the repetitions
	PxPerSec  float64 `json:"pixels_per_second"`
	// Speedup is over the generic kernel on one thread, same precision and size (0 when
	// that was not measured); Efficiency is the speedup over the same kernel on one
	// thread divided by Threads (0 likewise).
	Speedup    float64 `json:"speedup_over_generic_1_thread,omitempty"`
	Efficiency float64 `json:"parallel_efficiency,omitempty"`
	// Floor (multichannel rows) is the time the shape's fused multiply-adds take at the
	// kernel's FMA peak on Threads cores (kernel.FMAPeak): K (d^2 + 3d + 1) a sample, the
	// blocked kernels' triangular product, squares and Gram matrix of the centred samples
	// and a plane of ones.
	Floor float64 `json:"floor_ns_per_pixel,omitempty"`
}

// benchEStep measures every kernel x precision x threads x size, and the multichannel
// pass for every --dims above 1.
func benchEStep(ctx context.Context, c *config) ([]estepRow, error) {
	truth := gen.Spread(c.components)
	var rows []estepRow
	for _, d := range c.dims {
		if d == 1 {
			continue
		}
		r, err := benchMulti(ctx, c, d)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	if !slices.Contains(c.dims, 1) {
		ratios(rows)
		return rows, nil
	}
	for _, n := range c.sizes {
		x, err := gen.Mixture(uint64(n), n, truth.Weights, truth.Means, truth.Stdevs)
		if err != nil {
			return nil, err
		}
		x32 := gen.Float32s(x)
		coef := kernel.NewCoeffs(truth.Weights, truth.Means, truth.Variances())
		s := kernel.NewStats(c.components)
		r, err := measure(ctx, c, n, 1, func(d *drive.Driver, prec string) func() {
			if prec == "f32" {
				return func() { drive.EStep(d, x32, nil, coef, s) }
			}
			return func() { drive.EStep(d, x, nil, coef, s) }
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	ratios(rows)
	return rows, nil
}

// measure returns a row of the pass over n samples of dims features that pass makes for
// a driver and a precision ("f64" or "f32"), for every kernel, precision and thread
// count.
func measure(ctx context.Context, c *config, n, dims int, pass func(d *drive.Driver, prec string) func()) ([]estepRow, error) {
	var rows []estepRow
	for _, name := range kernel.Available() {
		kern, err := kernel.Lookup(name)
		if err != nil {
			return nil, err
		}
		for _, prec := range []string{"f64", "f32"} {
			for _, t := range c.threads {
				d, err := drive.New(kern, drive.Config{Threads: t, Pin: c.pin})
				if err != nil {
					return nil, err
				}
				ns, err := median(ctx, c, n, pass(d, prec))
				d.Close()
				if err != nil {
					return nil, err
				}
				rows = append(rows, estepRow{Dims: dims, Kernel: name, Precision: prec, Threads: t, N: n, NsPerPx: ns, PxPerSec: 1e9 / ns})
			}
		}
	}
	return rows, nil
}

// median runs pass (over n pixels) c.reps times, each time as often as it takes to fill
// c.minTime, after one pass to warm up, and returns the median in ns per pixel per pass.
func median(ctx context.Context, c *config, n int, pass func()) (float64, error) {
	start := time.Now()
	pass()
	passes := max(1, int(c.minTime/max(time.Since(start), 1)))
	var per []float64
	for range c.reps {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		start := time.Now()
		for range passes {
			pass()
		}
		per = append(per, float64(time.Since(start).Nanoseconds())/float64(passes)/float64(n))
	}
	return medianOf(per), nil
}

// ratios fills Speedup and Efficiency from the rows measured.
func ratios(rows []estepRow) {
	find := func(d int, kern, prec string, threads, n int) float64 {
		for _, r := range rows {
			if r.Dims == d && r.Kernel == kern && r.Precision == prec && r.Threads == threads && r.N == n {
				return r.NsPerPx
			}
		}
		return 0
	}
	for i := range rows {
		r := &rows[i]
		if g := find(r.Dims, "generic", r.Precision, 1, r.N); g > 0 {
			r.Speedup = g / r.NsPerPx
		}
		if one := find(r.Dims, r.Kernel, r.Precision, 1, r.N); one > 0 {
			r.Efficiency = one / r.NsPerPx / float64(r.Threads)
		}
	}
}

func printEStep(w io.Writer, c *config, rows []estepRow) {
	pinned := ""
	if c.pin {
		pinned = ", workers pinned to CPUs"
	}
	fmt.Fprintf(w, "fused E-step, K=%d: median of %d repetitions of at least %v%s\n", c.components, c.reps, c.minTime, pinned)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dims\tkernel\tprecision\tthreads\tpixels\tns/px/iter\tMpx/s\tvs generic\tefficiency\tFMA floor\tof floor\t")
	for _, r := range rows {
		of := 0.0
		if r.Floor > 0 {
			of = r.Floor / r.NsPerPx
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%.3f\t%.1f\t%s\t%s\t%s\t%s\t\n", r.Dims, r.Kernel, r.Precision, r.Threads, formatSize(r.N),
			r.NsPerPx, r.PxPerSec/1e6, ratio(r.Speedup, "%.1fx"), ratio(100*r.Efficiency, "%.0f%%"), ratio(r.Floor, "%.3f"), ratio(100*of, "%.0f%%"))
	}
	tw.Flush()
}

// ratio formats v, or "-" when it was not measured.
func ratio(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// benchMulti measures the multichannel pass over samples of d features, full covariances,
// on every kernel, in both precisions and every thread count and size.
func benchMulti(ctx context.Context, c *config, d int) ([]estepRow, error) {
	k := c.components
	coef := kernel.NewMultiCoeffs(k, d, false)
	for j := range k {
		const sd = 0.1
		coef.Const[j] = math.Log(1/float64(k)) - float64(d)*math.Log(sd) - float64(d)/2*math.Log(2*math.Pi)
		for a := range d {
			coef.Mean[j*d+a] = (float64(j) + 0.5) / float64(k)
			coef.Prec[j*d*d+a*d+a] = 1 / sd
		}
	}
	fmas := float64(k * (d*d + 3*d + 1))
	peaks := map[string]float64{}
	for _, name := range kernel.Available() {
		kern, err := kernel.Lookup(name)
		if err != nil {
			return nil, err
		}
		peaks[name+"f64"], peaks[name+"f32"] = kernel.FMAPeak[float64](kern), kernel.FMAPeak[float32](kern)
	}
	var rows []estepRow
	defer func() {
		for i := range rows {
			r := &rows[i]
			if p := peaks[r.Kernel+r.Precision]; p > 0 {
				r.Floor = fmas / (p * float64(r.Threads))
			}
		}
	}()
	for _, n := range c.sizes {
		x, err := gen.Mixture(uint64(n), n*d, []float64{1}, []float64{0.5}, []float64{0.3})
		if err != nil {
			return nil, err
		}
		x32 := gen.Float32s(x)
		s := kernel.NewMultiStats(k, d)
		r, err := measure(ctx, c, n, d, func(dr *drive.Driver, prec string) func() {
			if prec == "f32" {
				return func() { drive.MultiEStep(dr, drive.Rows[float32]{X: x32, D: d}, n, nil, coef, s) }
			}
			return func() { drive.MultiEStep(dr, drive.Rows[float64]{X: x, D: d}, n, nil, coef, s) }
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}
