package gmm

import (
	"math"
)

// exactStep is the tests' reference EM step, in double-double arithmetic (about 106
// bits): the log-likelihood of the samples x (n x d, weights w, nil for ones) under m,
// and the model of the M-step that follows, with reg added to every variance and no
// other rule. Each component's covariance goes through a Cholesky factor in
// double-double; a sample's log-joints are double-doubles, and only their differences
// from the largest, moderate numbers, go through float64's exp and log. The M-step
// takes the weighted means first, then the scatter about them in a second pass: nothing
// cancels. So the reference is exact to far below the 1e-9 the kernels are held to.
func exactStep(x, w []float64, d int, m *Model, reg float64) (Model, float64) {
	k, n := m.K(), len(x)/d
	comps := make([]exactComponent, k)
	for j := range comps {
		comps[j] = newExactComponent(m, j)
	}
	r := make([]float64, n*k) // responsibilities, kept for the second pass
	ll, nk := dd{}, make([]dd, k)
	sums := make([]dd, k*d)
	p := make([]dd, k)
	for i := range n {
		xi, wi := x[i*d:(i+1)*d], weightAt(w, i)
		top := 0
		for j := range comps {
			p[j] = comps[j].logJoint(xi)
			if p[j].hi > p[top].hi || (p[j].hi == p[top].hi && p[j].lo > p[top].lo) {
				top = j
			}
		}
		s := 0.0
		for j := range p {
			r[i*k+j] = math.Exp(p[j].sub(p[top]).float())
			s += r[i*k+j]
		}
		ll = ll.add(ddOf(wi).mul(p[top].add(ddOf(math.Log(s)))))
		for j := range p {
			r[i*k+j] /= s
			c := ddOf(wi).mul(ddOf(r[i*k+j]))
			nk[j] = nk[j].add(c)
			for a := range d {
				sums[j*d+a] = sums[j*d+a].add(c.mul(ddOf(xi[a])))
			}
		}
	}
	return exactMStep(x, w, d, m.Covariance, r, nk, sums, reg), ll.float()
}

// weightAt is sample i's weight in w (1 without weights).
func weightAt(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// exactComponent is one component of a model in double-double: its mean, the lower
// Cholesky factor of its covariance, and the constant of its log-joint.
type exactComponent struct {
	mean  []float64
	l     []dd
	cnst  dd
	d     int
	y, df []dd
}

func newExactComponent(m *Model, j int) exactComponent {
	d := m.dims()
	a := m.CovarianceOf(j)
	c := exactComponent{mean: m.Means[j*d : (j+1)*d], l: make([]dd, d*d), d: d, y: make([]dd, d), df: make([]dd, d)}
	logDet := 0.0
	for col := range d {
		s := ddOf(a[col*d+col])
		for q := range col {
			s = s.sub(c.l[col*d+q].mul(c.l[col*d+q]))
		}
		c.l[col*d+col] = s.sqrt()
		logDet += 2 * c.l[col*d+col].log()
		for row := col + 1; row < d; row++ {
			t := ddOf(a[row*d+col])
			for q := range col {
				t = t.sub(c.l[row*d+q].mul(c.l[col*d+q]))
			}
			c.l[row*d+col] = t.div(c.l[col*d+col])
		}
	}
	total := 0.0
	for _, v := range m.Weights {
		total += v
	}
	c.cnst = ddOf(math.Log(m.Weights[j] / total)).sub(ddOf(logDet / 2)).sub(ddOf(float64(d) / 2 * math.Log(2*math.Pi)))
	return c
}

// logJoint returns log w_j + log N(x; mu_j, Sigma_j): y = L^-1 (x - mu) by forward
// substitution, then the constant less |y|^2 / 2.
func (c *exactComponent) logJoint(x []float64) dd {
	q := dd{}
	for a := range c.d {
		c.df[a] = twoSum(x[a], -c.mean[a])
		t := c.df[a]
		for b := range a {
			t = t.sub(c.l[a*c.d+b].mul(c.y[b]))
		}
		c.y[a] = t.div(c.l[a*c.d+a])
		q = q.add(c.y[a].mul(c.y[a]))
	}
	return c.cnst.sub(q.mul(ddOf(0.5)))
}

// exactMStep is the M-step of exactStep from the responsibilities r (n x k), their
// weighted sums nk and the weighted sums of the samples: the means, then the scatter
// about them, the covariances of type cov with reg on every variance.
func exactMStep(x, w []float64, d int, cov Covariance, r []float64, nk, sums []dd, reg float64) Model {
	k, n := len(nk), len(x)/d
	total := dd{}
	for _, v := range nk {
		total = total.add(v)
	}
	mean := make([]dd, k*d)
	out := Model{Dims: d, Covariance: cov, Weights: make([]float64, k), Means: make([]float64, k*d)}
	for j := range k {
		out.Weights[j] = nk[j].div(total).float()
		for a := range d {
			mean[j*d+a] = sums[j*d+a].div(nk[j])
			out.Means[j*d+a] = mean[j*d+a].float()
		}
	}
	scatter := make([]dd, k*d*d)
	for i := range n {
		for j := range k {
			c := ddOf(weightAt(w, i)).mul(ddOf(r[i*k+j]))
			for a := range d {
				da := ddOf(x[i*d+a]).sub(mean[j*d+a])
				ca := c.mul(da)
				for b := a; b < d; b++ {
					scatter[(j*d+a)*d+b] = scatter[(j*d+a)*d+b].add(ca.mul(ddOf(x[i*d+b]).sub(mean[j*d+b])))
				}
			}
		}
	}
	for j := range k {
		for a := range d {
			for b := a; b < d; b++ {
				v := scatter[(j*d+a)*d+b].div(nk[j])
				scatter[(j*d+a)*d+b], scatter[(j*d+b)*d+a] = v, v
			}
		}
	}
	out.Covariances = exactCovariances(cov, scatter, nk, total, d, reg)
	if d == 1 {
		out.Dims = 0
	}
	return out
}

// exactCovariances returns the covariances of type cov from each component's scatter
// (k x d x d, about its mean, over its weight nk), with reg on every variance.
func exactCovariances(cov Covariance, scatter, nk []dd, total dd, d int, reg float64) []float64 {
	k := len(nk)
	var out []float64
	switch cov {
	case Full:
		for _, v := range scatter {
			out = append(out, v.float())
		}
		for j := range k {
			for a := range d {
				out[(j*d+a)*d+a] += reg
			}
		}
	case Diag:
		for j := range k {
			for a := range d {
				out = append(out, scatter[(j*d+a)*d+a].float()+reg)
			}
		}
	case Spherical:
		for j := range k {
			s := dd{}
			for a := range d {
				s = s.add(scatter[(j*d+a)*d+a])
			}
			out = append(out, s.div(ddOf(float64(d))).float()+reg)
		}
	case Tied:
		for i := range d * d {
			s := dd{}
			for j := range k {
				s = s.add(nk[j].mul(scatter[j*d*d+i]))
			}
			out = append(out, s.div(total).float())
		}
		for a := range d {
			out[a*d+a] += reg
		}
	}
	return out
}
