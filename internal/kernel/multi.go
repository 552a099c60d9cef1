package kernel

// The multichannel kernels: samples of D features, row-major (x[n*D+j]), and components
// whose precision (inverse covariance) is U U^T for an upper-triangular U, scikit-learn's
// precisions_cholesky_. The log-joint of component k is
//
//	P_k(x) = Const[k] - |U_k^T (x - mu_k)|^2 / 2
//
// with Const[k] = log w_k + sum_j log (U_k)_jj - D/2 log(2 pi): no inverse and no
// determinant is ever formed.

// MaxDims is the most features a sample of the multichannel kernels may have: a bound on
// sizes read from untrusted forms; the memory a pass needs (K d^2 numbers for the
// coefficients and statistics) is the limit in practice, and callers check it first.
const MaxDims = 1 << 16

// BlockedDims is the fewest features the blocked kernels take (on amd64; and the fewest
// whose passes take smaller tiles, see package drive): below it the sweeps of
// ../../asm/multi, unrolled for each d, are faster.
const BlockedDims = 5

// multiBlock is how many registers of samples a block of the SIMD kernels holds: the
// sweeps' limit (float32 sums of a block stay within 32 terms a lane, and the products of
// S within 2^512).
const multiBlock = 32

// MultiCoeffs is a K-component mixture over D features in the form the multichannel
// kernels read.
type MultiCoeffs struct {
	D     int
	Const []float64 // K: log w_k + sum_j log (U_k)_jj - D/2 log(2 pi)
	Mean  []float64 // K x D
	// Prec holds each U_k, D x D row-major, upper-triangular (below the diagonal unread).
	Prec []float64
	// Diag says that every U_k is diagonal: only (U_k)_jj is read, and the statistics keep
	// only the diagonal of the second moments.
	Diag bool
	// Centre holds the origins of the moments (see MultiStats), K x D; nil means Mean.
	// float32 kernels compute x - c_k in float32, so a centre must be a float32 value for
	// them to use it exactly.
	Centre []float64
}

// K returns the number of components.
func (c *MultiCoeffs) K() int { return len(c.Const) }

// centre returns the origins of c's moments.
func (c *MultiCoeffs) centre() []float64 {
	if c.Centre == nil {
		return c.Mean
	}
	return c.Centre
}

// NewMultiCoeffs returns zeroed coefficients of k components over d features.
func NewMultiCoeffs(k, d int, diag bool) *MultiCoeffs {
	return &MultiCoeffs{D: d, Const: make([]float64, k), Mean: make([]float64, k*d), Prec: make([]float64, k*d*d), Diag: diag}
}

// MultiStats are the sufficient statistics of a multichannel E-step over samples x_n with
// weights c_n and responsibilities r_nk, shifted by each component's centre c_k (the
// coefficients' Centre; see Stats for why and for when to centre again):
//
//	N[k] = sum_n c_n r_nk
//	S[k*D+j] = sum_n c_n r_nk (x_nj - c_kj)
//	Q[(k*D+j)*D+l] = sum_n c_n r_nk (x_nj - c_kj)(x_nl - c_kl), for j <= l (j == l only
//	  for diagonal coefficients); the rest stays 0
//	LogLik = sum_n c_n log p(x_n)
type MultiStats struct {
	N, S, Q []float64
	LogLik  float64
}

// MultiStatsSize is the number of float64s that statistics of k components over d
// features hold.
func MultiStatsSize(k, d int) int { return k * (1 + d + d*d) }

// NewMultiStats returns zeroed statistics of k components over d features.
func NewMultiStats(k, d int) *MultiStats {
	s := MultiStatsIn(make([]float64, MultiStatsSize(k, d)), k, d)
	return &s
}

// MultiStatsIn returns statistics of k components over d features kept in the first
// MultiStatsSize(k, d) elements of buf.
func MultiStatsIn(buf []float64, k, d int) MultiStats {
	n, s := k, k*d
	return MultiStats{N: buf[:n:n], S: buf[n : n+s : n+s], Q: buf[n+s : MultiStatsSize(k, d) : MultiStatsSize(k, d)]}
}

// Reset zeroes s.
func (s *MultiStats) Reset() {
	clear(s.N)
	clear(s.S)
	clear(s.Q)
	s.LogLik = 0
}

// Add adds o to s.
func (s *MultiStats) Add(o *MultiStats) {
	for i, v := range o.N {
		s.N[i] += v
	}
	for i, v := range o.S {
		s.S[i] += v
	}
	for i, v := range o.Q {
		s.Q[i] += v
	}
	s.LogLik += o.LogLik
}

// Scratch is one worker's working memory for the kernels: a driver keeps one per worker,
// so that its passes allocate nothing once each has seen data of that shape.
type Scratch struct {
	chunk expChunk     // the Go E-steps'
	multi multiScratch // the multichannel Go kernels'
	// The CPU-specific kernels' own frames, by kind and precision (see slotOf).
	estep, expSum, multiFrame, blocked [2]any
}

// slotOf returns the slot of slots for precision T.
func slotOf[T Float](slots *[2]any) *any {
	if is64[T]() {
		return &slots[0]
	}
	return &slots[1]
}

// frameIn returns the frame of type F in the slot for T of sc (a new one for nil sc),
// made the first time.
func frameIn[T Float, F any](sc *Scratch, slots func(*Scratch) *[2]any) *F {
	if sc == nil {
		return new(F)
	}
	slot := slotOf[T](slots(sc))
	f, _ := (*slot).(*F)
	if f == nil {
		f = new(F)
		*slot = f
	}
	return f
}

// multiScratch is the working memory of the multichannel Go kernels.
type multiScratch struct {
	p      []float64              // 4 x K log-joints
	diff   [][goLanes]float64     // D x 4: x - mu_k of four samples
	cols   []float64              // each U_k's columns above the diagonal, packed (packColumns)
	dd     [][momentLanes]float64 // D x 8: x - c_k of a group of samples
	xs     []float64              // 4 x D: the samples in float64
	joints []float64              // K planes of a tile's log-joints (Set.MultiJoints)
}

// goScratch returns sc's memory for the Go kernels (new memory for nil sc), sized for c,
// with c's columns of U packed.
func goScratch(sc *Scratch, c *MultiCoeffs) *multiScratch {
	if sc == nil {
		sc = new(Scratch)
	}
	m := &sc.multi
	m.p, m.diff, m.xs = grow(m.p, goLanes*c.K()), grow(m.diff, c.D), grow(m.xs, goLanes*c.D)
	m.dd = grow(m.dd, c.D)
	m.cols = packColumns(m.cols, c)
	return m
}

// packColumns returns buf (grown) holding each U_k's columns down to the diagonal, column
// j of component k at k d (d+1) / 2 + j (j+1) / 2: the log-joints read a column in order,
// four numbers at a time, where U's rows are d apart. Nothing for diagonal factors.
func packColumns(buf []float64, c *MultiCoeffs) []float64 {
	if c.Diag {
		return buf[:0]
	}
	d := c.D
	buf = grow(buf, c.K()*d*(d+1)/2)
	o := 0
	for k := range c.K() {
		u := c.Prec[k*d*d : (k+1)*d*d]
		for j := range d {
			for i := range j + 1 {
				buf[o] = u[i*d+j]
				o++
			}
		}
	}
	return buf
}

// grow returns s resized to n elements, reusing its memory when it is large enough.
func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

// goLanes is how many samples the multichannel Go kernels take at a time.
const goLanes = 4

// transpose sets planes (d planes of n) to the n samples of d features in x, row-major.
func transpose[T Float](planes, x []T, d, n int) {
	if d != 3 {
		transposeFrom(planes, x, d, n, 0)
		return
	}
	p0, p1, p2 := planes[:n], planes[n:2*n], planes[2*n:3*n]
	for i := range n {
		v := x[3*i : 3*i+3 : 3*i+3]
		p0[i], p1[i], p2[i] = v[0], v[1], v[2]
	}
}

// transposeFrom is transpose for the features from j on: four planes at a time, each
// written in order from four neighbouring values of every row, so that a block's rows are
// read d/4 times, where a plane at a time read them d times (a block of 256 samples of 16
// features is 32 KiB of rows and 32 KiB of planes, more than L1 holds: 7 -> 4.3 ns a
// sample, Zen 5).
func transposeFrom[T Float](planes, x []T, d, n, j int) {
	for ; j+4 <= d; j += 4 {
		p0 := planes[j*n : (j+1)*n]
		p1, p2, p3 := planes[(j+1)*n:][:len(p0)], planes[(j+2)*n:][:len(p0)], planes[(j+3)*n:][:len(p0)]
		for i := range p0 {
			r := x[i*d+j:][:4]
			p0[i], p1[i], p2[i], p3[i] = r[0], r[1], r[2], r[3]
		}
	}
	for ; j < d; j++ {
		p := planes[j*n : (j+1)*n]
		for i := range p {
			p[i] = x[i*d+j]
		}
	}
}
