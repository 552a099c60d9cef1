package gmm

import "math"

// dd is a double-double number, hi + lo with |lo| <= ulp(hi)/2: about 106 bits, the
// arithmetic of the tests' exact reference (see exactStep). Only what the reference
// needs is here.
type dd struct{ hi, lo float64 }

// twoSum returns a + b as a double-double, exactly (Knuth).
func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

// norm returns hi + lo renormalised (|a| >= |b| is not assumed).
func norm(hi, lo float64) dd { return twoSum(hi, lo) }

func ddOf(v float64) dd { return dd{hi: v} }

func (x dd) add(y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s = norm(s.hi, s.lo+t.hi)
	return norm(s.hi, s.lo+t.lo)
}

func (x dd) neg() dd        { return dd{-x.hi, -x.lo} }
func (x dd) sub(y dd) dd    { return x.add(y.neg()) }
func (x dd) float() float64 { return x.hi + x.lo }

// mul rounds every product on its own (float64(...)): Go may fuse a product into a later
// addition (arm64 does), and twoSum's exactness needs p rounded.
func (x dd) mul(y dd) dd {
	p := float64(x.hi * y.hi)
	e := math.FMA(x.hi, y.hi, -p) // the product's rounding error, exactly
	e += float64(x.hi*y.lo) + float64(x.lo*y.hi)
	return norm(p, e)
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.sub(y.mul(ddOf(q1)))
	q2 := r.hi / y.hi
	r = r.sub(y.mul(ddOf(q2)))
	q3 := r.hi / y.hi
	return norm(q1, q2).add(ddOf(q3))
}

func (x dd) sqrt() dd {
	if x.hi <= 0 {
		return dd{}
	}
	s := math.Sqrt(x.hi)
	r := x.sub(ddOf(s).mul(ddOf(s)))
	return norm(s, r.hi/float64(2*s))
}

// log returns log(x) to about 1e-16 absolute: log(hi) + log(1 + lo/hi), in float64, which
// is all the reference takes logarithms of (determinants and exp-sums, whose logs enter
// sums of moderate size).
func (x dd) log() float64 { return math.Log(x.hi) + math.Log1p(x.lo/x.hi) }
