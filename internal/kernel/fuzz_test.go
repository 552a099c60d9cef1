package kernel

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/gmmsimd/gmmsimd/gen"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
)

// The fuzz targets compare every CPU-specific kernel with its Go twin on inputs made from
// the fuzzer's bytes. Seeds live in testdata/fuzz; CI runs each target for 2000 inputs.

// floats64 reads the bytes as float64s, any bit pattern.
func floats64(data []byte) []float64 {
	out := make([]float64, len(data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out
}

// samplesIn reads the bytes as finite samples, 8 bytes each, the kernels' contract: where
// bit 6 of a sample's last byte is clear, a value in [-0.5, 1.5] from its first two bytes
// (the range of pixels, where the mixtures lie); else the bytes' float64 of either sign,
// subnormals included, taken modulo limit (a non-finite one becomes limit/3).
func samplesIn(data []byte, limit float64) []float64 {
	out := make([]float64, len(data)/8)
	for i := range out {
		b := data[8*i : 8*i+8]
		if b[7]&0x40 == 0 {
			out[i] = -0.5 + 2*float64(binary.LittleEndian.Uint16(b))/65535
			continue
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = limit / 3
		}
		out[i] = math.Mod(v, limit)
	}
	return out
}

// lanes32 is the magnitude of the samples that the float32 lanes take: with components
// at least 1e-4 wide near [0, 1], every (x - mu)^2 / (2 sigma^2) is finite in float32.
const lanes32 = 0x1p32

// fuzzMixture builds a valid mixture of 1 to MaxComponents components from a count and a
// width parameter, their means spread over [0, 1]; more components come with fewer
// samples (see fuzzSamples).
func fuzzMixture(k uint16, width float64) *Coeffs {
	n := int(k)%MaxComponents + 1
	if math.IsNaN(width) || math.IsInf(width, 0) {
		width = 0.1
	}
	sd := 1e-4 + math.Mod(math.Abs(width), 1)
	var w, mu, s []float64
	for j := range n {
		w = append(w, 1+float64(j%3))
		mu = append(mu, float64(j)/float64(n))
		s = append(s, sd*(1+float64(j%4)))
	}
	return byStdev(w, mu, s)
}

// fuzzSamples keeps at most as many samples as hold K x N within 1<<20, so that a large
// K stays quick.
func fuzzSamples(x []float64, c *Coeffs) []float64 {
	return x[:min(len(x), max(1, (1<<20)/c.K()))]
}

func FuzzExpLog(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range fast(t) {
			x := floats64(data)
			e, l := make([]float64, len(x)), make([]float64, len(x))
			k.F64.Exp(e, x)
			k.F64.Log(l, x)
			for i, v := range x {
				if math.Float64bits(e[i]) != math.Float64bits(vmath.Exp64(v)) || math.Float64bits(l[i]) != math.Float64bits(vmath.Log64(v)) {
					t.Fatalf("%s at %v: exp %v log %v; twin %v %v", k.Name, v, e[i], l[i], vmath.Exp64(v), vmath.Log64(v))
				}
			}
			x32 := make([]float32, len(data)/4)
			for i := range x32 {
				x32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			}
			e32, l32 := make([]float32, len(x32)), make([]float32, len(x32))
			k.F32.Exp(e32, x32)
			k.F32.Log(l32, x32)
			for i, v := range x32 {
				if ulpDiff32(e32[i], vmath.Exp32(v)) > 1 || ulpDiff32(l32[i], vmath.Log32(v)) > 1 {
					t.Fatalf("%s at %v: exp %v log %v; twin %v %v", k.Name, v, e32[i], l32[i], vmath.Exp32(v), vmath.Log32(v))
				}
			}
		}
	})
}

func FuzzLogNormPDF(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x40}, 0.5, 0.1)
	f.Fuzz(func(t *testing.T, data []byte, mean, sd float64) {
		if math.IsNaN(mean) || math.IsInf(mean, 0) || !(sd > 1e-150) || math.IsInf(sd, 0) {
			return // not a component the kernels take (see minStdev in gmm)
		}
		c := byStdev([]float64{1}, []float64{mean}, []float64{sd})
		for _, k := range fast(t) {
			x := samplesIn(data, math.MaxFloat64)
			got, want := make([]float64, len(x)), make([]float64, len(x))
			LogNormPDF(k, got, x, c.Const[0], c.Mean[0], c.HalfPrec[0])
			LogNormPDF(Generic, want, x, c.Const[0], c.Mean[0], c.HalfPrec[0])
			for i := range x {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s at %v: %v, twin %v", k.Name, x[i], got[i], want[i])
				}
			}
		}
	})
}

func FuzzExpSumStable(f *testing.F) {
	f.Add([]byte{0, 0, 0xff, 0x7f, 0xff, 0xff, 1, 2, 3, 0, 0, 0, 0, 0, 0xf0, 0x7f}, uint16(2), 0.05)
	f.Add([]byte{0, 0, 0xff, 0x7f, 0xff, 0xff, 1, 2, 3, 0, 0, 0, 0, 0, 0xf0, 0x3f}, uint16(MaxComponents-1), 0.05)
	f.Fuzz(func(t *testing.T, data []byte, k uint16, width float64) {
		c := fuzzMixture(k, width)
		for _, kern := range fast(t) {
			x := fuzzSamples(samplesIn(data, math.MaxFloat64), c)
			n, kk := len(x), c.K()
			p, pm, es := make([]float64, kk*n), make([]float64, n), make([]float64, n)
			wp, wm, we := make([]float64, kk*n), make([]float64, n), make([]float64, n)
			ExpSumStable(kern, p, pm, es, x, c)
			ExpSumStable(Generic, wp, wm, we, x, c)
			for i := range p {
				if math.Float64bits(p[i]) != math.Float64bits(wp[i]) {
					t.Fatalf("%s P[%d] = %v, twin %v", kern.Name, i, p[i], wp[i])
				}
			}
			for i := range pm {
				if math.Float64bits(pm[i]) != math.Float64bits(wm[i]) || math.Float64bits(es[i]) != math.Float64bits(we[i]) {
					t.Fatalf("%s at %d: %v %v, twin %v %v", kern.Name, i, pm[i], es[i], wm[i], we[i])
				}
			}
			x32 := gen.Float32s(fuzzSamples(samplesIn(data, lanes32), c))
			n = len(x32)
			p32, m32, e32 := make([]float32, kk*n), make([]float32, n), make([]float32, n)
			ExpSumStable(kern, p32, m32, e32, x32, c)
			checkExpSum32(t, kern.Name, x32, c, p32, m32, e32)
		}
	})
}

func FuzzEStep(f *testing.F) {
	f.Add([]byte{0, 0x10, 0, 0x80, 0xff, 0xff, 0x34, 0x12, 9, 9, 9, 9, 9, 9, 9, 0x41}, uint16(2), 0.1, false)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint16(6), 0.01, true)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint16(MaxComponents-1), 0.01, true)
	f.Fuzz(func(t *testing.T, data []byte, k uint16, width float64, weighted bool) {
		c := fuzzMixture(k, width)
		for _, kern := range fast(t) {
			// Samples the float32 lanes take, in both precisions: the fit's frame keeps
			// its samples in [0, 1].
			x := fuzzSamples(samplesIn(data, lanes32), c)
			var w []float64
			if weighted {
				w = make([]float64, len(x))
				for i := range w {
					w[i] = float64(data[8*i]) / 16 // counts, zero included
				}
			}
			got, want := NewStats(c.K()), NewStats(c.K())
			kern.F64.EStep(x, w, c, got, nil)
			Generic.F64.EStep(x, w, c, want, nil)
			closeStats(t, kern.Name+" float64", got, want, errorBound(x, w, c, 1e-12))
			x32 := gen.Float32s(x)
			c32 := coeffs32(c)
			got32, want32 := NewStats(c.K()), NewStats(c.K())
			kern.F32.EStep(x32, w, c, got32, nil)
			Generic.F64.EStep(to64(x32), w, c32, want32, nil)
			closeStats(t, kern.Name+" float32", got32, want32, errorBound(to64(x32), w, c32, 0))
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint16(2), 0.05)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 0x48, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint16(MaxComponents-1), 0.05)
	f.Fuzz(func(t *testing.T, data []byte, k uint16, width float64) {
		c := fuzzMixture(k, width)
		x := fuzzSamples(samplesIn(data, math.MaxFloat64), c)
		want := make([]uint16, len(x))
		Generic.F64.Classify(want, x, c, nil)
		x32 := gen.Float32s(fuzzSamples(samplesIn(data, lanes32), c))
		for _, kern := range fast(t) {
			got := make([]uint16, len(x))
			kern.F64.Classify(got, x, c, nil)
			for i := range x {
				if got[i] != want[i] {
					t.Fatalf("%s Classify64(%v) = %d, twin %d", kern.Name, x[i], got[i], want[i])
				}
			}
			got32 := make([]uint16, len(x32))
			kern.F32.Classify(got32, x32, c, nil)
			checkClassify32(t, kern.Name, x32, c, got32)
		}
	})
}
