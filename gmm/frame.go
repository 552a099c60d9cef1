package gmm

import (
	"math"
)

// A frame is where EM runs: the samples y = (x - origin) / scale. Data of ordinary
// magnitude run in the identity frame, on the caller's samples, and give the same bits as
// without one. Data whose range or offset is extreme (see frameOf) run in the frame that
// maps their range onto [0, 1], on a copy: there every square and every density is
// finite in both precisions, and the variance floor resolves structure that an offset
// would hide. The fitted models are mapped back, exactly up to rounding.
type frame struct {
	origin, scale float64
	// half says that origin, scale and the samples are taken at half their value, so
	// that hi - lo cannot overflow: y = (x/2 - origin) / scale.
	half bool
}

// identityFrame is the frame of data of ordinary magnitude.
var identityFrame = frame{scale: 1}

// Bounds of the identity frame: samples within tameMagnitude of 0 whose range is at least
// tameSpan (or zero) fit where they are.
const (
	tameMagnitude = 0x1p32
	tameSpan      = 0x1p-32
)

// minStdev is the smallest standard deviation the kernels take: 1/(2 sigma^2) is finite.
// A model's components are clamped to it in the frame the kernels run in.
const minStdev = 0x1p-510

// frameOf returns the frame for samples in [lo, hi], both finite.
func frameOf(lo, hi float64) frame {
	span := hi - lo
	switch {
	case math.Max(-lo, hi) <= tameMagnitude && (span == 0 || span >= tameSpan):
		return identityFrame
	case math.IsInf(span, 0):
		return frame{origin: lo / 2, scale: hi/2 - lo/2, half: true}
	case span == 0: // constant data far from 0: a frame on their magnitude
		return frame{origin: lo, scale: math.Abs(lo)}
	}
	return frame{origin: lo, scale: span}
}

// in returns the sample x in the frame.
func (f frame) in(x float64) float64 {
	if f.half {
		x /= 2
	}
	return (x - f.origin) / f.scale
}

// out returns the frame's sample y in the data's units, clamped to the finite range.
func (f frame) out(y float64) float64 {
	x := f.origin + float64(y*f.scale)
	if f.half {
		x *= 2
	}
	return math.Max(-math.MaxFloat64, math.Min(x, math.MaxFloat64))
}

// magnitude returns |x| for the frame's sample y = in(x), in the frame's units: the
// spacing of the samples' numbers near y is a fraction of it.
func (f frame) magnitude(y float64) float64 {
	x := math.Abs(f.out(y)) / f.scale
	if f.half {
		x /= 2
	}
	return x
}

// logScale is log of the frame's scale in the data's units: a density in the frame is
// the data's density times it.
func (f frame) logScale() float64 {
	if f.half {
		return math.Log(f.scale) + math.Ln2
	}
	return math.Log(f.scale)
}

// varianceIn maps a variance into the frame, up to 2^1000 (a AddedVariance far above the
// data's spread).
func (f frame) varianceIn(v float64) float64 {
	v = v / f.scale / f.scale // not v/(s*s), which is 0/0 for a scale below 1e-162
	if f.half {
		v /= 4
	}
	return math.Min(v, 0x1p1000)
}

// varianceOut maps a variance out of the frame, clamped to the positive float64 range:
// a spread beyond 1e154 or below 1e-162 has no float64 variance.
func (f frame) varianceOut(v float64) float64 {
	if f.half {
		v = v * f.scale * 2 * f.scale * 2
	} else {
		v = v * f.scale * f.scale
	}
	return math.Max(math.SmallestNonzeroFloat64, math.Min(v, math.MaxFloat64))
}

// modelIn returns m in the frame, clamped to what the kernels take there: a component far
// outside the frame's range may leave the float range, and one narrower than minStdev
// is widened to it.
func (f frame) modelIn(m *Model) Model {
	c := m.Clone()
	for k := range c.Means {
		c.Means[k] = math.Max(-math.MaxFloat64, math.Min(f.in(c.Means[k]), math.MaxFloat64))
	}
	for k, v := range c.Covariances {
		v = math.Max(-math.MaxFloat64, math.Min(f.varianceIn(v), math.MaxFloat64))
		if m.isVariance(k) { // a covariance off the diagonal may be negative, or 0
			v = math.Max(minStdev*minStdev, v)
		}
		c.Covariances[k] = v
	}
	return c
}

// modelOut maps m, a model in the frame, back to the data's units in place.
func (f frame) modelOut(m *Model) {
	if f == identityFrame {
		return
	}
	for k := range m.Means {
		m.Means[k] = f.out(m.Means[k])
	}
	if m.Dims > 1 && (m.Covariance == Full || m.Covariance == Tied) {
		d := m.Dims
		for c := 0; c < len(m.Covariances); c += d * d {
			f.matrixOut(m.Covariances[c:c+d*d], d)
		}
		return
	}
	for k, v := range m.Covariances {
		m.Covariances[k] = f.varianceOut(v)
	}
}

// matrixOut maps the covariance matrix a (d x d, positive definite) out of the frame: by
// the square of the frame's span, as one factor, so that it stays positive definite. A
// factor that would take an entry past the float64 range, or the smallest variance below
// 2^-1000, is bounded so that they stay within it: a spread the data's units cannot hold
// is clamped, as a variance's is, keeping the shape of the covariance.
func (f frame) matrixOut(a []float64, d int) {
	top, low := 0.0, math.Inf(1)
	for i, v := range a {
		top = max(top, math.Abs(v))
		if i/d == i%d {
			low = min(low, v)
		}
	}
	logF := 2 * math.Log(f.scale)
	if f.half {
		logF += 2 * math.Ln2
	}
	if low > 0 { // a zero variance (a start's component of one sample) stays zero
		logF = max(logF, -1000*math.Ln2-math.Log(low))
	}
	if top > 0 {
		logF = min(logF, math.Log(math.MaxFloat64/4)-math.Log(top))
	}
	half := math.Exp(logF / 2) // applied twice: the factor itself may pass the range
	for i := range a {
		a[i] = a[i] * half * half
	}
}

// logLikOut maps a log-likelihood of samples of total weight in the frame to the data's
// units.
func (f frame) logLikOut(ll, total float64) float64 {
	if f == identityFrame {
		return ll
	}
	return ll - total*f.logScale()
}

// samplesIn returns x in the frame: x itself in the identity frame, else a copy.
func samplesIn[T float32 | float64](f frame, x []T) []T {
	if f == identityFrame {
		return x
	}
	y := make([]T, len(x))
	for i, v := range x {
		y[i] = T(f.in(float64(v)))
	}
	return y
}
