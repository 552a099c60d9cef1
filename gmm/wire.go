package gmm

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gmmsimd/gmmsimd/internal/kernel"
)

// The binary forms of Params and Stats: a four-byte tag, then integers as uint64 and
// numbers as float64, little-endian, every length implied by the shape before it.
const (
	paramsTag = "GMMP"
	statsTag  = "GMMS"
)

// wire appends the binary form of values to a buffer.
type wire struct{ b []byte }

func (w *wire) int(v int)       { w.b = binary.LittleEndian.AppendUint64(w.b, uint64(v)) }
func (w *wire) float(v float64) { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v)) }

func (w *wire) floats(v []float64) {
	for _, f := range v {
		w.float(f)
	}
}

// unwire reads values from a binary form, keeping the first error.
type unwire struct {
	b   []byte
	err error
}

// open checks the tag of data and returns a reader of what follows it.
func open(data []byte, tag string) *unwire {
	u := &unwire{b: data}
	if len(data) < len(tag) || string(data[:len(tag)]) != tag {
		u.fail("not " + tag + " data")
		return u
	}
	u.b = data[len(tag):]
	return u
}

func (u *unwire) word() uint64 {
	if len(u.b) < 8 {
		u.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(u.b)
	u.b = u.b[8:]
	return v
}

// int reads an integer from 0 to hi.
func (u *unwire) int(hi int) int {
	v := u.word()
	if v > uint64(hi) {
		u.fail(fmt.Sprintf("%d is above %d", v, hi))
		return 0
	}
	return int(v)
}

func (u *unwire) float() float64 { return math.Float64frombits(u.word()) }

// floats reads n numbers, once it knows that they are there: a length is checked
// against the data before anything is allocated.
func (u *unwire) floats(n int) []float64 {
	if u.err != nil || len(u.b)/8 < n {
		u.fail("truncated")
		return make([]float64, 0)
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = u.float()
	}
	return v
}

// errNil is the error of a binary form's method called on nil.
func errNil(what string) error { return fmt.Errorf("gmm: %w: nil %s", ErrInvalidData, what) }

func (u *unwire) fail(why string) {
	if u.err == nil {
		u.err = fmt.Errorf("gmm: %w: %s", ErrInvalidData, why)
	}
}

// close returns the first error, or one for bytes left over.
func (u *unwire) close() error {
	if u.err == nil && len(u.b) != 0 {
		u.fail(fmt.Sprintf("%d bytes left over", len(u.b)))
	}
	return u.err
}

// MarshalBinary encodes p; nil Params are an error.
func (p *Params) MarshalBinary() ([]byte, error) {
	if p == nil {
		return nil, errNil("Params")
	}
	w := wire{b: []byte(paramsTag)}
	m := &p.model
	w.int(m.K())
	w.int(m.Dims)
	w.int(int(m.Covariance))
	w.int(p.pass)
	w.float(p.frame.origin)
	w.float(p.frame.scale)
	half := 0
	if p.frame.half {
		half = 1
	}
	w.int(half)
	w.floats(m.Weights)
	w.floats(m.Means)
	w.floats(m.Covariances)
	w.int(len(p.centre))
	w.floats(p.centre)
	return w.b, nil
}

// UnmarshalBinary sets p to the Params that data encodes, which it checks: a valid model
// of at most kernel.MaxComponents components and MaxDims features, finite centres, one
// for every mean, or none, and a finite frame.
func (p *Params) UnmarshalBinary(data []byte) error {
	if p == nil {
		return errNil("Params")
	}
	u := open(data, paramsTag)
	k, dims := u.int(kernel.MaxComponents), u.int(MaxDims)
	var q Params
	q.model.Dims, q.model.Covariance = dims, Covariance(u.int(int(Tied)))
	q.pass = u.int(MaxIterations)
	q.frame = frame{origin: u.float(), scale: u.float(), half: u.int(1) == 1}
	q.model.Weights = u.floats(k)
	q.model.Means = u.floats(k * max(dims, 1))
	q.model.Covariances = u.floats(covarianceLen(q.model.Covariance, k, max(dims, 1)))
	if nc := u.int(len(q.model.Means)); nc > 0 {
		q.centre = u.floats(nc)
	}
	if err := u.close(); err != nil {
		return err
	}
	if len(q.centre) != 0 && (len(q.centre) != len(q.model.Means) || !finite(q.centre)) {
		return fmt.Errorf("gmm: %w: %d centres for %d means, or one not finite", ErrInvalidData, len(q.centre), len(q.model.Means))
	}
	if f := q.frame; !(f.scale > 0) || math.IsInf(f.scale, 0) || math.IsNaN(f.origin) || math.IsInf(f.origin, 0) {
		return fmt.Errorf("gmm: %w: a frame at %v of scale %v", ErrInvalidData, f.origin, f.scale)
	}
	if err := q.model.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// MarshalBinary encodes s; nil Stats are an error.
func (s *Stats) MarshalBinary() ([]byte, error) {
	if s == nil {
		return nil, errNil("Stats")
	}
	w := wire{b: []byte(statsTag)}
	w.int(s.k)
	w.int(s.d)
	w.int(s.pass)
	w.int(s.samples)
	w.float(s.ll)
	w.floats(s.n)
	w.floats(s.first)
	s.eachUpper(func(i int) { w.float(s.second[i]) })
	return w.b, nil
}

// eachUpper calls f with the index in s.second of every second moment on or above a
// component's diagonal: the M-step reads no other, the matrices being symmetric, so that
// the binary form carries K(1 + d + d(d+1)/2) numbers.
func (s *Stats) eachUpper(f func(i int)) {
	d := s.d
	for j := range s.k {
		for a := range d {
			for b := a; b < d; b++ {
				f((j*d+a)*d + b)
			}
		}
	}
}

// UnmarshalBinary sets s to the Stats that data encodes, which it checks: at most
// kernel.MaxComponents components over at most MaxDims features, and sums of
// responsibilities that are neither negative nor NaN.
func (s *Stats) UnmarshalBinary(data []byte) error {
	if s == nil {
		return errNil("Stats")
	}
	u := open(data, statsTag)
	k, d := u.int(kernel.MaxComponents), u.int(MaxDims)
	pass, samples, ll := u.int(MaxIterations), u.int(math.MaxInt), u.float()
	switch {
	case u.err != nil:
		return u.err
	case k < 1 || d < 1:
		return fmt.Errorf("gmm: %w: statistics of %d components over %d features", ErrInvalidData, k, d)
	case len(u.b) != 8*k*(1+d+d*(d+1)/2):
		return fmt.Errorf("gmm: %w: %d bytes of statistics of %d components over %d features", ErrInvalidData, len(u.b), k, d)
	}
	t := newStats(k, d, pass)
	t.samples, t.ll = samples, ll
	copy(t.n, u.floats(k))
	copy(t.first, u.floats(len(t.first)))
	t.eachUpper(func(i int) { t.second[i] = u.float() })
	if err := u.close(); err != nil {
		return err
	}
	for i, v := range t.n {
		if !(v >= 0) {
			return fmt.Errorf("gmm: %w: component %d's weight is %v", ErrInvalidData, i, v)
		}
	}
	*s = *t
	return nil
}
