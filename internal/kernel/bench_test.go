package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
)

// The benchmarks run every kernel once per implementation this machine has, named
// impl=<name> so that benchstat can set them side by side (make bench). Each runs on one
// goroutine: they measure the kernels, not the driver.

// benchSizes are the sample counts; benchmarks at 16M run only where noted.
var benchSizes = []struct {
	name string
	n    int
}{{"1K", 1 << 10}, {"64K", 1 << 16}, {"1M", 1 << 20}, {"16M", 1 << 24}}

// benchData returns n samples of a three-class mixture like a photo's pixel values.
func benchData(n int) []float64 {
	x, err := gen.Mixture(42, n, []float64{0.3, 0.45, 0.25}, []float64{0.1, 0.6, 0.8}, []float64{0.05, 0.12, 0.03})
	if err != nil {
		panic(err)
	}
	return x
}

// benchMixture is a K-component mixture spread over [0, 1].
func benchMixture(k int) *Coeffs {
	p := gen.Spread(k)
	return byStdev(p.Weights, p.Means, p.Stdevs)
}

func BenchmarkEStep(b *testing.B) {
	for _, kern := range available() {
		for _, k := range []int{2, 3, 4, 8} {
			c := benchMixture(k)
			for _, size := range benchSizes {
				if size.n == 1<<24 && k != 3 {
					continue
				}
				x := benchData(size.n)
				x32 := gen.Float32s(x)
				s := NewStats(k)
				b.Run(fmt.Sprintf("impl=%s/f64/K=%d/N=%s", kern.Name, k, size.name), func(b *testing.B) {
					b.SetBytes(int64(8 * size.n))
					for b.Loop() {
						s.Reset()
						kern.F64.EStep(x, nil, c, s, nil)
					}
				})
				b.Run(fmt.Sprintf("impl=%s/f32/K=%d/N=%s", kern.Name, k, size.name), func(b *testing.B) {
					b.SetBytes(int64(4 * size.n))
					for b.Loop() {
						s.Reset()
						kern.F32.EStep(x32, nil, c, s, nil)
					}
				})
			}
		}
	}
}

func BenchmarkEStepWeighted(b *testing.B) {
	const n = 1 << 20
	x := benchData(n)
	x32 := gen.Float32s(x)
	w := uniform(rand.New(rand.NewPCG(1, 2)), n, 0, 10)
	c := benchMixture(3)
	s := NewStats(3)
	for _, kern := range available() {
		b.Run(fmt.Sprintf("impl=%s/f64/K=3/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				kern.F64.EStep(x, w, c, s, nil)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/f32/K=3/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				kern.F32.EStep(x32, w, c, s, nil)
			}
		})
	}
}

func BenchmarkExpLog(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(3, 4))
	arg := uniform(rng, n, -20, 0) // as libmvec's floor measures it
	pos := uniform(rng, n, 1, 21)
	arg32, pos32 := gen.Float32s(arg), gen.Float32s(pos)
	dst, dst32 := make([]float64, n), make([]float32, n)
	for _, kern := range available() {
		b.Run(fmt.Sprintf("impl=%s/exp/f64", kern.Name), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				kern.F64.Exp(dst, arg)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/exp/f32", kern.Name), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				kern.F32.Exp(dst32, arg32)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/log/f64", kern.Name), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				kern.F64.Log(dst, pos)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/log/f32", kern.Name), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				kern.F32.Log(dst32, pos32)
			}
		})
	}
}

func BenchmarkExpSumStable(b *testing.B) {
	const n, k = 1 << 20, 3
	x := benchData(n)
	x32 := gen.Float32s(x)
	c := benchMixture(k)
	p, pm, es := make([]float64, k*n), make([]float64, n), make([]float64, n)
	p32, pm32, es32 := make([]float32, k*n), make([]float32, n), make([]float32, n)
	for _, kern := range available() {
		b.Run(fmt.Sprintf("impl=%s/f64/K=3/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				ExpSumStable(kern, p, pm, es, x, c)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/f32/K=3/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				ExpSumStable(kern, p32, pm32, es32, x32, c)
			}
		})
	}
}

func BenchmarkLogNormPDF(b *testing.B) {
	const n = 1 << 20
	x := benchData(n)
	x32 := gen.Float32s(x)
	dst, dst32 := make([]float64, n), make([]float32, n)
	for _, kern := range available() {
		b.Run(fmt.Sprintf("impl=%s/f64/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				LogNormPDF(kern, dst, x, -1, 0.5, 20)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/f32/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				LogNormPDF(kern, dst32, x32, -1, 0.5, 20)
			}
		})
	}
}

func BenchmarkClassify(b *testing.B) {
	const n = 1 << 20
	x := benchData(n)
	x32 := gen.Float32s(x)
	c := benchMixture(3)
	labels := make([]uint16, n)
	for _, kern := range available() {
		b.Run(fmt.Sprintf("impl=%s/f64/K=3/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(8 * n)
			for b.Loop() {
				kern.F64.Classify(labels, x, c, nil)
			}
		})
		b.Run(fmt.Sprintf("impl=%s/f32/K=3/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				kern.F32.Classify(labels, x32, c, nil)
			}
		})
	}
}

// benchMulti returns K components over d features, means spread over [0, 1]^d and
// factors of a correlated covariance (or its diagonal), and n uniform samples.
func benchMulti(k, d, n int, diag bool) (*MultiCoeffs, []float64) {
	rng := rand.New(rand.NewPCG(uint64(k), uint64(d)))
	c := randomMultiCoeffs(rng, k, d, diag)
	return c, uniform(rng, n*d, 0, 1)
}

// randomMultiCoeffs returns K components over d features: means in [0, 1]^d, factors
// with a diagonal in [4, 12] and entries above it in [-2, 2] (none, diagonal), Const in
// [-1, 1].
func randomMultiCoeffs(rng *rand.Rand, k, d int, diag bool) *MultiCoeffs {
	c := NewMultiCoeffs(k, d, diag)
	for q := range k {
		c.Const[q] = 2*rng.Float64() - 1
		for j := range d {
			c.Mean[q*d+j] = rng.Float64()
			c.Prec[(q*d+j)*d+j] = 4 + 8*rng.Float64()
			for l := j + 1; l < d && !diag; l++ {
				c.Prec[(q*d+j)*d+l] = 4*rng.Float64() - 2
			}
		}
	}
	return c
}

// benchShape is a shape the multichannel benchmarks run.
type benchShape struct {
	d, k int
	diag bool
}

func BenchmarkMultiEStep(b *testing.B) {
	benchMultiEStep(b, 1<<20, "1M", []benchShape{{3, 5, false}, {3, 5, true}, {2, 5, false}, {4, 5, false}, {3, 8, false}})
}

// benchMultiEStep runs the multichannel E-step of every shape on n samples (named size)
// on every kernel, in both precisions.
func benchMultiEStep(b *testing.B, n int, size string, shapes []benchShape) {
	for _, kern := range available() {
		for _, sh := range shapes {
			c, x := benchMulti(sh.k, sh.d, n, sh.diag)
			x32 := gen.Float32s(x)
			s := NewMultiStats(sh.k, sh.d)
			cov := map[bool]string{false: "full", true: "diag"}[sh.diag]
			name := fmt.Sprintf("impl=%s/%%s/d=%d/%s/K=%d/N=%s", kern.Name, sh.d, cov, sh.k, size)
			b.Run(fmt.Sprintf(name, "f64"), func(b *testing.B) {
				b.SetBytes(int64(8 * n * sh.d))
				for b.Loop() {
					s.Reset()
					kern.F64.MultiEStep(x, nil, c, s, nil)
				}
			})
			b.Run(fmt.Sprintf(name, "f32"), func(b *testing.B) {
				b.SetBytes(int64(4 * n * sh.d))
				for b.Loop() {
					s.Reset()
					kern.F32.MultiEStep(x32, nil, c, s, nil)
				}
			})
		}
	}
}

// BenchmarkMultiEStepPlanes is BenchmarkMultiEStep's d = 3, full, K = 5 on samples held
// as planes, as an image's pixels are read: each block copied into the sweeps' buffer
// instead of transposed from rows.
func BenchmarkMultiEStepPlanes(b *testing.B) {
	const n, d = 1 << 20, 3
	// Planes a power of two apart would meet in the same cache sets: a few lines more.
	const stride = n + 200
	c, x := benchMulti(5, d, n, false)
	planes := make([]float64, d*stride)
	for i := range n {
		for j := range d {
			planes[j*stride+i] = x[i*d+j]
		}
	}
	planes32 := gen.Float32s(planes)
	s := NewMultiStats(c.K(), d)
	for _, kern := range available() {
		if kern.F64.MultiEStepPlanes == nil {
			continue
		}
		b.Run(fmt.Sprintf("impl=%s/f64/d=3/full/K=5/N=1M", kern.Name), func(b *testing.B) {
			benchPlanes(b, kern.F64.MultiEStepPlanes, planes, n, stride, c, s)
		})
		b.Run(fmt.Sprintf("impl=%s/f32/d=3/full/K=5/N=1M", kern.Name), func(b *testing.B) {
			benchPlanes(b, kern.F32.MultiEStepPlanes, planes32, n, stride, c, s)
		})
	}
}

// benchPlanes runs estep over the n samples whose planes are held stride apart in planes.
func benchPlanes[T Float](b *testing.B, estep func(func([]T, int), int, int, []float64, *MultiCoeffs, *MultiStats, *Scratch) bool, planes []T, n, stride int, c *MultiCoeffs, s *MultiStats) {
	d := c.D
	read := func(dst []T, lo int) {
		m := len(dst) / d
		for j := range d {
			copy(dst[j*m:(j+1)*m], planes[j*stride+lo:])
		}
	}
	size := 4
	if is64[T]() {
		size = 8
	}
	b.SetBytes(int64(d * n * size))
	for b.Loop() {
		s.Reset()
		if !estep(read, 0, n, nil, c, s, nil) {
			b.Fatal("no sweeps for the shape")
		}
	}
}

// BenchmarkMultiClassify is the labelling of samples of several features (the colour
// segmentation's last pass), per sample.
func BenchmarkMultiClassify(b *testing.B) {
	const n = 1 << 20
	for _, kern := range available() {
		c, x := benchMulti(5, 3, n, false)
		dst := make([]uint16, n)
		b.Run(fmt.Sprintf("impl=%s/f64/d=3/full/K=5/N=1M", kern.Name), func(b *testing.B) {
			b.SetBytes(int64(8 * n * 3))
			for b.Loop() {
				kern.F64.MultiClassify(dst, x, c, nil)
			}
		})
	}
}

// BenchmarkTranspose is what the multichannel kernels pay to turn a block of row-major
// samples into planes, per sample.
func BenchmarkTranspose(b *testing.B) {
	const d, n = 3, 256
	x := uniform(rand.New(rand.NewPCG(1, 1)), d*n, 0, 1)
	planes := make([]float64, d*n)
	b.Run("f64/d=3", func(b *testing.B) {
		for b.Loop() {
			transpose(planes, x, d, n)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sample")
	})
	x32, planes32 := gen.Float32s(x), make([]float32, d*n)
	b.Run("f32/d=3", func(b *testing.B) {
		for b.Loop() {
			transpose(planes32, x32, d, n)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/sample")
	})
}

// BenchmarkMultiEStepWide is the multichannel E-step over many features (the blocked
// kernels), full and diagonal factors, 64Ki samples.
func BenchmarkMultiEStepWide(b *testing.B) {
	benchMultiEStep(b, 1<<16, "64K", []benchShape{{8, 5, false}, {16, 5, false}, {32, 5, false}, {64, 5, false}, {128, 5, false}, {39, 16, true}})
}
