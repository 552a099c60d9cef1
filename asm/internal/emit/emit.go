// Package emit holds what the avo programs of gmmsimd share: a description of each
// floating-point precision's AVX2 instructions, a pool of vector constants, and the
// emitters of exp and log, which perform the operations of internal/vmath's scalar functions
// in the same order, lane by lane; and, for AVX-512 alone, a table-driven exp with fewer
// operations (TableExp), within an ulp of e^x but not vmath's bits.
package emit

import (
	"fmt"
	"maps"
	"math"
	"slices"

	genvmath "github.com/gmmsimd/gmmsimd/gen/vmath"
	"github.com/gmmsimd/gmmsimd/internal/vmath"
	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Header sets what every generated file starts with: the build constraint whose exact
// negation guards the Go fallback.
func Header() {
	// avo reads the old syntax: comma is and. The files get amd64 && gc && !purego && !noasm.
	ConstraintExpr("amd64,gc,!purego,!noasm")
}

// Comparison predicates of VCMPPD/VCMPPS (quiet; ordered but for CmpUnord and CmpNLT).
const (
	CmpEQ    = 0x00
	CmpUnord = 0x03
	CmpLT    = 0x11
	CmpNLT   = 0x15 // not less than, or unordered: the lanes where CmpLT is false
	CmpGT    = 0x1e
)

// Rounding immediates of VROUNDPD/VROUNDPS, precision exception suppressed.
const (
	RoundNearest = 0x08
	RoundFloor   = 0x09
)

// ISA is an instruction set the programs emit code for.
type ISA struct {
	Name  string // "AVX2" or "AVX512", the infix of function names
	Width int    // bytes in a vector register
	// EVEX: AVX-512 encodings on 512-bit registers, where comparisons write opmask
	// registers and blends read them.
	EVEX bool
	tag  string // told apart in the names of constants
}

// The instruction sets: AVX2 with FMA3 on 256-bit registers, and AVX-512 (F and DQ) on
// 512-bit ones.
var (
	AVX2   = &ISA{Name: "AVX2", Width: 32}
	AVX512 = &ISA{Name: "AVX512", Width: 64, EVEX: true, tag: "z"}
)

// Prec is one floating-point precision on one instruction set's registers.
type Prec struct {
	*ISA
	Name     string // "F64" or "F32", the suffix of function names
	GoType   string // "float64" or "float32"
	Lanes    int    // elements in a register
	Size     int    // bytes of an element
	MantBits int    // explicit mantissa bits
	consts   *Consts
	held     map[uint64]VecVirtual // the constants Hold put in registers, by bit pattern

	Add, Sub, Mul, Div, Max, Min, And, Or    func(ops ...operand.Op)
	AndNot, AddInt                           func(ops ...operand.Op)
	AddIntZ                                  func(a, b, mask, dst operand.Op) // AVX-512: dst = mask ? a + b : 0
	FMAdd213, FMAdd231, FNMAdd213, FNMAdd231 func(ops ...operand.Op)
	FMSub231                                 func(ops ...operand.Op)
	Round                                    func(i, mxy, xy operand.Op)
	Cmp                                      func(ops ...operand.Op)
	Blend                                    func(mask, a, b, dst operand.Op) // dst = mask ? a : b, lane by lane
	Movu                                     func(ops ...operand.Op)
	Broadcast                                func(ops ...operand.Op)
	ShiftLeft, ShiftRight                    func(ops ...operand.Op)
}

// Double and Single return the two precisions on isa, each with its own constant pool
// (prefix names the program, so that each generated file's constants are its own).
func (isa *ISA) Double(prefix string) *Prec {
	p := &Prec{
		ISA: isa, Name: "F64", GoType: "float64", Lanes: isa.Width / 8, Size: 8, MantBits: 52,
		consts: constsFor(prefix, isa, "64"),
		Add:    VADDPD, Sub: VSUBPD, Mul: VMULPD, Div: VDIVPD, Max: VMAXPD, Min: VMINPD, And: VANDPD, Or: VORPD,
		AndNot: VANDNPD, AddInt: VPADDQ,
		FMAdd213: VFMADD213PD, FMAdd231: VFMADD231PD, FNMAdd213: VFNMADD213PD, FNMAdd231: VFNMADD231PD,
		FMSub231: VFMSUB231PD, Round: VROUNDPD, Cmp: VCMPPD, Blend: VBLENDVPD, Movu: VMOVUPD, Broadcast: VBROADCASTSD,
		ShiftLeft: VPSLLQ, ShiftRight: VPSRLQ,
	}
	if isa.EVEX {
		p.And, p.Or, p.AndNot = VPANDQ, VPORQ, VPANDNQ
		p.Round = func(i, mxy, xy operand.Op) { VRNDSCALEPD(i, mxy, xy) }
		p.Blend = func(mask, a, b, dst operand.Op) { VBLENDMPD(a, b, mask, dst) }
		p.AddIntZ = func(a, b, mask, dst operand.Op) { VPADDQ_Z(a, b, mask, dst) }
	}
	return p
}

// Single is the float32 precision on isa; see Double.
func (isa *ISA) Single(prefix string) *Prec {
	p := &Prec{
		ISA: isa, Name: "F32", GoType: "float32", Lanes: isa.Width / 4, Size: 4, MantBits: 23,
		consts: constsFor(prefix, isa, "32"),
		Add:    VADDPS, Sub: VSUBPS, Mul: VMULPS, Div: VDIVPS, Max: VMAXPS, Min: VMINPS, And: VANDPS, Or: VORPS,
		AndNot: VANDNPS, AddInt: VPADDD,
		FMAdd213: VFMADD213PS, FMAdd231: VFMADD231PS, FNMAdd213: VFNMADD213PS, FNMAdd231: VFNMADD231PS,
		FMSub231: VFMSUB231PS, Round: VROUNDPS, Cmp: VCMPPS, Blend: VBLENDVPS, Movu: VMOVUPS, Broadcast: VBROADCASTSS,
		ShiftLeft: VPSLLD, ShiftRight: VPSRLD,
	}
	if isa.EVEX {
		p.And, p.Or, p.AndNot = VPANDD, VPORD, VPANDND
		p.Round = func(i, mxy, xy operand.Op) { VRNDSCALEPS(i, mxy, xy) }
		p.Blend = func(mask, a, b, dst operand.Op) { VBLENDMPS(a, b, mask, dst) }
		p.AddIntZ = func(a, b, mask, dst operand.Op) { VPADDD_Z(a, b, mask, dst) }
	}
	return p
}

// constsFor returns the constants of a precision (bits "64" or "32") of the program
// prefix on isa: its own pool, or the aligned pool it shares with the other precision.
func constsFor(prefix string, isa *ISA, bits string) *Consts {
	if isa.EVEX {
		return pool(prefix, isa)
	}
	return newConsts(prefix + isa.tag + bits)
}

// Vec allocates a vector register of the instruction set's width.
func (isa *ISA) Vec() VecVirtual {
	if isa.EVEX {
		return ZMM()
	}
	return YMM()
}

// Mask allocates what Cmp writes and Blend reads: an opmask register (AVX-512) or a
// vector register (AVX2).
func (isa *ISA) Mask() Register {
	if isa.EVEX {
		return K()
	}
	return YMM()
}

// reuse returns a mask as a vector register for AVX2, where masks are vectors, and a new
// vector register for AVX-512.
func (isa *ISA) reuse(mask Register) VecVirtual {
	if isa.EVEX {
		return isa.Vec()
	}
	return mask.(VecVirtual)
}

// Zero sets v to all zero bits.
func (isa *ISA) Zero(v VecVirtual) {
	if isa.EVEX {
		VPXORQ(v, v, v)
		return
	}
	VXORPS(v, v, v)
}

// Is64 reports whether p is float64.
func (p *Prec) Is64() bool { return p.Size == 8 }

// Consts is a pool of register-wide constants. The linker aligns data to at most 32
// bytes, so a 64-byte (AVX-512) constant of its own would straddle two cache lines as
// often as not, which made every load of it a split load and the AVX-512 E-step a third
// slower in one build than in another. An AVX-512 pool is therefore one symbol whose
// functions first round its address up to 64 bytes into a register (Begin), and every
// constant is a 64-byte load from its slot. The rounding moves the base by up to 63 bytes
// from the symbol, by an amount known only once linked, so each slot is 128 bytes of the
// same value: a 64-byte load at slot*128 + (0 to 63) reads the slot's value in every lane,
// whatever the symbol's alignment. Narrower registers keep a symbol per constant.
type Consts struct {
	prefix string
	mems   map[string]operand.Mem
	// The aligned pool (EVEX): its slots' bit patterns, element size, and the register
	// that holds its aligned address in the function being emitted.
	slots [][]uint64
	size  []int
	base  Register
}

func newConsts(prefix string) *Consts { return &Consts{prefix: prefix, mems: map[string]operand.Mem{}} }

// pools are the aligned pools, by name, so that both precisions of a program share one
// (and one base register); Finish writes them.
var pools = map[string]*Consts{}

// pool returns the aligned pool of the program prefix on isa.
func pool(prefix string, isa *ISA) *Consts {
	name := prefix + isa.tag
	if c, ok := pools[name]; ok {
		return c
	}
	c := newConsts(name)
	pools[name] = c
	return c
}

// Begin starts the use of p's constants in a new function: for an aligned pool, it loads
// the pool's address rounded up to 64 bytes into a register that the function keeps.
// Call it right after TEXT, before any constant is used.
func (p *Prec) Begin() {
	c := p.consts
	if !p.EVEX {
		return
	}
	c.base = GP64()
	LEAQ(c.symbol().Offset(63), c.base)
	ANDQ(operand.I32(-64), c.base)
}

func (c *Consts) symbol() operand.Mem {
	return operand.Mem{Symbol: operand.NewStaticSymbol(c.prefix + "pool"), Base: StaticBase}
}

// Bits returns the register-wide constant whose every element has the bit pattern bits:
// a register where Hold put it, else memory.
func (p *Prec) Bits(bits uint64) operand.Op {
	if v, ok := p.held[bits]; ok {
		return v
	}
	return p.bitsMem(bits)
}

// bitsMem returns the memory that holds the constant of Bits.
func (p *Prec) bitsMem(bits uint64) operand.Mem {
	c := p.consts
	key := fmt.Sprintf("%d:%x", p.Size, bits)
	if p.EVEX {
		return c.slot(key, bits, p.Size)
	}
	if m, ok := c.mems[key]; ok {
		return m
	}
	m := GLOBL(fmt.Sprintf("%sc%d", c.prefix, len(c.mems)), RODATA|NOPTR)
	for off := 0; off < p.Width; off += p.Size {
		if p.Is64() {
			DATA(off, operand.U64(bits))
		} else {
			DATA(off, operand.U32(uint32(bits)))
		}
	}
	c.mems[key] = m
	return m
}

// slot returns the pool's slot of elements of size bytes with the pattern bits, relative
// to the base register that Begin loaded.
func (c *Consts) slot(key string, bits uint64, size int) operand.Mem {
	if c.base == nil {
		panic("emit: a constant of an aligned pool used before Begin")
	}
	i, ok := c.index(key)
	if !ok {
		i = len(c.slots)
		c.mems[key] = operand.Mem{Disp: i}
		c.slots = append(c.slots, []uint64{bits})
		c.size = append(c.size, size)
	}
	return operand.Mem{Base: c.base, Disp: poolSlot * i}
}

// poolSlot is the bytes of an aligned pool's slot: a 64-byte register and the 63 bytes the
// base may move by.
const poolSlot = 128

func (c *Consts) index(key string) (int, bool) {
	m, ok := c.mems[key]
	return m.Disp, ok
}

// Finish writes the aligned pools, then the file: what the programs call instead of
// avo's Generate.
func Finish() {
	for _, name := range slices.Sorted(maps.Keys(pools)) {
		c := pools[name]
		GLOBL(c.prefix+"pool", RODATA|NOPTR)
		for i, bits := range c.slots {
			for off := 0; off < poolSlot; off += c.size[i] {
				if c.size[i] == 8 {
					DATA(poolSlot*i+off, operand.U64(bits[0]))
				} else {
					DATA(poolSlot*i+off, operand.U32(uint32(bits[0])))
				}
			}
		}
	}
	Generate()
}

// C returns the register-wide constant holding v in every lane (rounded to p's precision).
func (p *Prec) C(v float64) operand.Op { return p.Bits(p.bits(v)) }

// bits is v's bit pattern in p's precision.
func (p *Prec) bits(v float64) uint64 {
	if p.Is64() {
		return math.Float64bits(v)
	}
	return uint64(math.Float32bits(float32(v)))
}

// Hold loads the constants vs into registers, which C returns in their place until
// release is called: for a loop with registers to spare that reads them every turn.
func (p *Prec) Hold(vs ...float64) (release func()) {
	if p.held == nil {
		p.held = map[uint64]VecVirtual{}
	}
	var added []uint64
	for _, v := range vs {
		b := p.bits(v)
		if _, ok := p.held[b]; ok {
			continue
		}
		r := p.Vec()
		p.Movu(p.bitsMem(b), r)
		p.held[b] = r
		added = append(added, b)
	}
	return func() {
		for _, b := range added {
			delete(p.held, b)
		}
	}
}

// derived are the constants of exp and log that gen/vmath derives (the split ln2, the
// polynomials' coefficients, the table of 2^(j/16)), derived again when the program runs
// rather than read from internal/vmath's coeffs.go: go generate may run this program
// before it rewrites that file, and the assembly must not depend on the order. The
// constants written by hand come from internal/vmath.
var derived = genvmath.Derive()

// widen returns float32 constants as float64 values, exactly.
func widen(v []float32) []float64 {
	c := make([]float64, len(v))
	for i, x := range v {
		c[i] = float64(x)
	}
	return c
}

// expConsts are Exp's constants in p's precision.
func (p *Prec) expConsts() (lo, hi, flush, ln2hi, ln2lo, shifter, magic float64, coeffs []float64) {
	if p.Is64() {
		return vmath.ExpLo64, vmath.ExpHi64, vmath.ExpFlush64, derived.Ln2Hi64, derived.Ln2Lo64, vmath.Shifter64,
			vmath.ExpMagic64, derived.ExpCoeffs64
	}
	return float64(vmath.ExpLo32), float64(vmath.ExpHi32), float64(vmath.ExpFlush32), float64(derived.Ln2Hi32),
		float64(derived.Ln2Lo32), float64(vmath.Shifter32), float64(vmath.ExpMagic32), widen(derived.ExpCoeffs32)
}

// Estrin emits sum_k c[k] x^k into dst, evaluated in internal/vmath's Estrin order (the
// same operations, so the same bits), depth first to keep few registers live. dst must
// differ from x. It returns the powers x^(2^l) it uses, x itself first.
func (p *Prec) Estrin(c []float64, x, dst VecVirtual) (pows []VecVirtual) {
	levels := 0
	for 1<<levels < len(c) {
		levels++
	}
	pows = []VecVirtual{x} // pows[l] = x^(2^l)
	for l := 1; l < levels; l++ {
		q := p.Vec()
		p.Mul(pows[l-1], pows[l-1], q)
		pows = append(pows, q)
	}
	// node(l, j) is the sum over c[j 2^l : (j+1) 2^l], times powers of x from x^0.
	var node func(l, j int) VecVirtual
	node = func(l, j int) VecVirtual {
		if l == 1 {
			v := dst // the leftmost leaf is the root's register: the sum ends there
			if j > 0 {
				v = p.Vec()
			}
			p.Movu(p.C(c[2*j]), v)
			if 2*j+1 < len(c) {
				p.FMAdd231(p.C(c[2*j+1]), x, v)
			}
			return v
		}
		left := node(l-1, 2*j)
		if (2*j+1)<<(l-1) < len(c) {
			right := node(l-1, 2*j+1)
			p.FMAdd231(right, pows[l-1], left)
		}
		return left
	}
	node(levels, 0)
	return pows
}

// ExpDomain says what arguments an inlined Exp must handle.
type ExpDomain int

const (
	// ExpAll: any argument, NaN and infinities included.
	ExpAll ExpDomain = iota
	// ExpNonPositive: finite arguments <= 0, as in ExpSumStable (P - max P). The upper
	// clamp and the NaN fix-up are left out; the results are the same bits as ExpAll's.
	ExpNonPositive
	// ExpFlushed: finite arguments <= 0 in the E-step, vmath.ExpFlushed64's bits: 0 below
	// ExpFlush, and above it 2^n added straight into the exponent bits, which is shorter
	// and quicker than the two-part scaling the subnormal range needs.
	ExpFlushed
)

// Exp emits dst = e^x lane by lane, the operations of vmath.Exp64/Exp32. x is left
// unchanged; dst must differ from x.
func (p *Prec) Exp(x, dst VecVirtual, dom ExpDomain) {
	lo, hi, flush, ln2hi, ln2lo, shifter, magic, c := p.expConsts()
	r := p.Vec()
	switch dom {
	case ExpAll:
		p.Max(p.C(lo), x, r)
		p.Min(p.C(hi), r, r)
	case ExpNonPositive:
		p.Max(p.C(lo), x, r)
	case ExpFlushed:
		// No clamp: the lanes below the flush point, whatever garbage they compute
		// (infinities, NaN), are cleared at the end.
		p.Movu(x, r)
	}
	// n = round(r log2 e): t = r log2 e + shifter in one rounding, n = t - shifter.
	t, n := p.Vec(), p.Vec()
	p.Movu(p.C(shifter), t)
	p.FMAdd231(p.C(math.Log2E), r, t)
	p.Sub(p.C(shifter), t, n)
	p.FNMAdd231(p.C(ln2hi), n, r)
	p.FNMAdd231(p.C(ln2lo), n, r)
	// (Estrin(c[2:]) r + c1) r + c0.
	p.Estrin(c[2:], r, dst)
	p.FMAdd213(p.C(c[1]), r, dst)
	p.FMAdd213(p.C(c[0]), r, dst)
	if dom == ExpFlushed {
		// 2^n into the exponent field: the low bits of t = shifter + n hold n.
		p.ShiftLeft(operand.U8(p.MantBits), t, t)
		if p.EVEX { // the lanes below the flush point zeroed by the addition's mask
			keep := p.Mask()
			p.Cmp(operand.U8(CmpNLT), p.C(flush), x, keep)
			p.AddIntZ(t, dst, keep, dst)
			return
		}
		p.AddInt(t, dst, dst)
		p.Cmp(operand.U8(CmpLT), p.C(flush), x, n) // n is spent: it holds the lanes to clear
		p.AndNot(dst, n, dst)
		return
	}
	n1 := r // r is no longer needed
	p.expScale(n, n1, dst, magic)
	if dom == ExpAll {
		var nan Register = n1
		if p.EVEX {
			nan = p.Mask()
		}
		p.Cmp(operand.U8(CmpUnord), x, x, nan)
		p.Blend(nan, x, dst, dst)
	}
}

// TableExp emits e^x through a table of 2^(j/16) (AVX-512 only, whose permutes read a
// 16-entry table from registers): x = (16n + j) ln2/16 + r with |r| <= ln2/32, and
// e^x = 2^n 2^(j/16) (1 + r + r^2 g(r)), g a polynomial of degree 5 (float64) or 1
// (float32) where exp's own needs 11 or 6 over |r| <= ln2/2: 12 operations on the
// multiply-add ports for float64 against 17, 7 for float32 against 11 (counted in the
// generated code). Each result is
// within about an ulp of e^x (the table's rounding and the last multiply-add's), not the
// bits of vmath's exp: the kernels that use it are checked against the exact e^x.
// NewTableExp loads the table and holds the constants in registers for the loop that
// follows; Release frees them.
type TableExp struct {
	p       *Prec
	tab     []VecVirtual // the table's entries, adjusted (see table): 2 registers for float64, 1 for float32
	release func()
}

// NewTableExp loads the table into registers and holds the constants of TableExp.Exp.
func (p *Prec) NewTableExp() *TableExp {
	if !p.EVEX {
		panic("emit: TableExp needs AVX-512's permutes")
	}
	e := &TableExp{p: p}
	sym := p.table()
	for off := 0; off < 16*p.Size; off += p.Width {
		v := p.Vec()
		VMOVDQU64(sym.Offset(off), v)
		e.tab = append(e.tab, v)
	}
	ln2hi, ln2lo, shifter, c := p.tableConsts()
	e.release = p.Hold(append([]float64{shifter, 16 * math.Log2E, ln2hi / 16, ln2lo / 16, p.flush()}, c...)...)
	return e
}

// Release returns the registers of the held constants.
func (e *TableExp) Release() { e.release() }

// Exp emits dst = e^x for finite x <= 0 or -Inf, 0 below ExpFlush (as Exp's ExpFlushed).
// x is left unchanged; dst must differ from x.
func (e *TableExp) Exp(x, dst VecVirtual) {
	p := e.p
	ln2hi, ln2lo, shifter, c := p.tableConsts()
	// k = round(16 x log2 e) in t's low bits; r = x - k ln2/16 in two steps.
	t, k, r := p.Vec(), p.Vec(), p.Vec()
	p.Movu(p.C(shifter), t)
	p.FMAdd231(p.C(16*math.Log2E), x, t)
	p.Sub(p.C(shifter), t, k)
	p.Movu(x, r)
	p.FNMAdd231(p.C(ln2hi/16), k, r)
	p.FNMAdd231(p.C(ln2lo/16), k, r)
	// e^r - 1 = r + r^2 g(r), r^2 Estrin's own where g's degree needs it.
	pows := p.Estrin(c, r, dst)
	if len(pows) < 2 {
		r2 := p.Vec()
		p.Mul(r, r, r2)
		pows = append(pows, r2)
	}
	p.FMAdd213(r, pows[1], dst)
	// 2^(j/16) from the table by k's low 4 bits, then 2^n: the entries hold the bits of
	// 2^(j/16) less j in the exponent's place, so that adding k there adds n.
	s := p.Vec()
	if p.Is64() {
		p.Movu(t, s)
		VPERMI2PD(e.tab[1], e.tab[0], s)
	} else {
		VPERMPS(e.tab[0], t, s)
	}
	p.ShiftLeft(operand.U8(p.MantBits-4), t, t)
	p.AddInt(t, s, s)
	// s (1 + (e^r - 1)), 0 in the lanes below the flush point.
	keep := p.Mask()
	p.Cmp(operand.U8(CmpNLT), p.C(p.flush()), x, keep)
	if p.Is64() {
		VFMADD213PD_Z(s, s, keep, dst)
	} else {
		VFMADD213PS_Z(s, s, keep, dst)
	}
}

// tableConsts are TableExp's constants in p's precision: ln2 in two parts, the shifter
// that rounds to an integer, and g's coefficients.
func (p *Prec) tableConsts() (ln2hi, ln2lo, shifter float64, c []float64) {
	if p.Is64() {
		return derived.Ln2Hi64, derived.Ln2Lo64, vmath.Shifter64, derived.ExpTailCoeffs64
	}
	return float64(derived.Ln2Hi32), float64(derived.Ln2Lo32), float64(vmath.Shifter32), widen(derived.ExpTailCoeffs32)
}

// flush is where exp's flushed domain starts returning 0.
func (p *Prec) flush() float64 {
	_, _, flush, _, _, _, _, _ := p.expConsts()
	return flush
}

// table returns the symbol of TableExp's 16 entries in p's precision: entry j holds the
// bits of 2^(j/16) less j shifted to the exponent's lowest bit less 4 (so that adding k
// shifted there, k = 16n + j, leaves 2^n 2^(j/16)).
func (p *Prec) table() operand.Mem {
	shift := uint(p.MantBits - 4)
	vals := make([]uint64, 16)
	for j := range vals {
		if p.Is64() {
			vals[j] = math.Float64bits(derived.ExpTable64[j]) - uint64(j)<<shift
		} else {
			vals[j] = uint64(math.Float32bits(derived.ExpTable32[j]) - uint32(j)<<shift)
		}
	}
	return p.Elements(fmt.Sprintf("%sexptab%d", p.consts.prefix, 8*p.Size), vals)
}

// elements are the symbols Elements wrote, by name.
var elements = map[string]operand.Mem{}

// Elements returns a read-only symbol named name that holds vals as elements of p's size,
// in order: a table of distinct values (a constant of C is one value in every lane). A
// name asked for again returns the symbol written first.
func (p *Prec) Elements(name string, vals []uint64) operand.Mem {
	if m, ok := elements[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i, v := range vals {
		if p.Is64() {
			DATA(8*i, operand.U64(v))
		} else {
			DATA(4*i, operand.U32(uint32(v)))
		}
	}
	elements[name] = m
	return m
}

// FlushedExp is Exp of the domain ExpFlushed.
func (p *Prec) FlushedExp(x, dst VecVirtual) { p.Exp(x, dst, ExpFlushed) }

// expScale multiplies dst by 2^n, built in the exponent bits as 2^n1 * 2^n2 with
// n1 = floor(n/2) so that subnormal and near-overflow results are right; n1 is a free
// register, and n is overwritten.
func (p *Prec) expScale(n, n1, dst VecVirtual, magic float64) {
	p.Mul(p.C(0.5), n, n1)
	p.Round(operand.U8(RoundFloor), n1, n1)
	p.Sub(n1, n, n)
	for _, part := range []VecVirtual{n1, n} {
		p.Add(p.C(magic), part, part)
		p.ShiftLeft(operand.U8(p.MantBits), part, part)
		p.Mul(part, dst, dst)
	}
}

// LogDomain says what arguments an inlined Log must handle.
type LogDomain int

const (
	// LogAll: any argument: subnormals, zero, negatives, infinities, NaN.
	LogAll LogDomain = iota
	// LogNormalPositive: finite normal arguments > 0, such as the E-step's sum of
	// exponentials in [1, K]; the results are the same bits as LogAll's.
	LogNormalPositive
)

// logConsts are Log's constants in p's precision.
func (p *Prec) logConsts() (tiny, scale, expMagic, sqrt2, ln2hi, ln2lo, nan float64, coeffs []float64) {
	if p.Is64() {
		return vmath.LogTiny64, 0x1p52, vmath.LogExpMagic64, vmath.Sqrt2, derived.Ln2Hi64, derived.Ln2Lo64, vmath.NaN64, derived.LogCoeffs64
	}
	return float64(vmath.LogTiny32), 0x1p23, float64(vmath.LogExpMagic32), float64(vmath.Sqrt2f),
		float64(derived.Ln2Hi32), float64(derived.Ln2Lo32), float64(vmath.NaN32), widen(derived.LogCoeffs32)
}

// Log emits dst = log(x) lane by lane, the operations of vmath.Log64/Log32. x is left
// unchanged; dst must differ from x.
func (p *Prec) Log(x, dst VecVirtual, dom LogDomain) {
	tiny, scale, expMagic, sqrt2, ln2hi, ln2lo, nan, a := p.logConsts()
	one := p.C(1)
	xs := x
	var adj VecVirtual
	if dom == LogAll {
		xs, adj = p.logScaleSubnormals(x, tiny, scale)
	}
	e, m, t, big := p.logSplit(xs, adj, one, scale, expMagic, sqrt2)
	f := p.logSeries(e, m, t, big, one, a, ln2hi, ln2lo)
	if dom == LogAll {
		p.logSpecials(x, f, nan)
	}
	p.Movu(f, dst)
}

// logScaleSubnormals returns x with its subnormal lanes scaled by 2^MantBits, and the
// amount (-MantBits there, 0 elsewhere) to take off their exponent.
func (p *Prec) logScaleSubnormals(x VecVirtual, tiny, scale float64) (scaled, adj VecVirtual) {
	mask := p.Mask()
	scaled, adj = p.Vec(), p.Vec()
	p.Cmp(operand.U8(CmpLT), p.C(tiny), x, mask)
	p.Mul(p.C(scale), x, scaled)
	p.Blend(mask, scaled, x, scaled)
	if p.EVEX {
		p.Zero(adj)
		p.Blend(mask, p.C(-float64(p.MantBits)), adj, adj)
	} else {
		p.And(p.C(-float64(p.MantBits)), mask, adj)
	}
	return scaled, adj
}

// logSplit splits the positive normal xs into its exponent e (plus adj, when set) and
// its mantissa m in [sqrt(1/2), sqrt(2)); t and big are registers it leaves free.
func (p *Prec) logSplit(xs, adj VecVirtual, one operand.Op, scale, expMagic, sqrt2 float64) (e, m, t VecVirtual, big Register) {
	e = p.Vec()
	p.ShiftRight(operand.U8(p.MantBits), xs, e)
	p.Or(p.C(scale), e, e) // 2^MantBits + the biased exponent
	p.Sub(p.C(expMagic), e, e)
	if adj != nil {
		p.Add(adj, e, e)
	}
	m = p.Vec()
	p.And(p.Bits(p.mantMask()), xs, m)
	p.Or(one, m, m)
	big, t = p.Mask(), p.Vec()
	p.Cmp(operand.U8(CmpGT), p.C(sqrt2), m, big)
	p.Mul(p.C(0.5), m, t)
	p.Blend(big, t, m, m)
	if p.EVEX {
		p.Add(one, e, big, e) // merge-masked: only where big
	} else {
		p.And(one, big, big)
		p.Add(big, e, e)
	}
	return e, m, t, big
}

// logSeries returns log(m) + e ln2 = f - s (f - R(s^2)) + e ln2, f = m - 1, s = f/(2+f),
// in m's register; t and big are free registers.
func (p *Prec) logSeries(e, m, t VecVirtual, big Register, one operand.Op, a []float64, ln2hi, ln2lo float64) VecVirtual {
	f := m // m - 1
	p.Sub(one, m, f)
	s := p.reuse(big)
	p.Add(p.C(2), f, t)
	p.Div(t, f, s)
	z := t
	p.Mul(s, s, z)
	rz := p.Vec()
	p.Movu(p.C(a[len(a)-1]), rz)
	for j := len(a) - 2; j >= 0; j-- {
		p.FMAdd213(p.C(a[j]), z, rz)
	}
	p.Mul(z, rz, rz)
	p.Sub(rz, f, rz) // f - R
	p.FNMAdd231(s, rz, f)
	p.FMAdd231(p.C(ln2lo), e, f)
	p.FMAdd231(p.C(ln2hi), e, f)
	return f
}

// logSpecials sets the lanes of f whose x is 0, +Inf, negative or NaN to log's value
// there.
func (p *Prec) logSpecials(x, f VecVirtual, nan float64) {
	mask := p.Mask()
	for _, c := range []struct {
		pred int
		cmp  operand.Op
		val  operand.Op
	}{
		{CmpEQ, p.C(0), p.C(math.Inf(-1))},
		{CmpEQ, p.C(math.Inf(1)), p.C(math.Inf(1))},
		{CmpLT, p.C(0), p.C(nan)},
		{CmpUnord, x, x},
	} {
		p.Cmp(operand.U8(c.pred), c.cmp, x, mask)
		p.Blend(mask, c.val, f, f)
	}
}

// mantMask is the mask of the explicit mantissa bits.
func (p *Prec) mantMask() uint64 { return 1<<p.MantBits - 1 }

// Log2 returns the base-2 logarithm of a power of two.
func Log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}

// Ptr is a pointer that a loop advances by Step bytes an iteration.
type Ptr struct {
	Reg  Register
	Step int
}

// VectorLoop emits a loop that runs body once per whole register of n elements (n, a
// general-purpose register holding an element count, is consumed), then advances each of
// ptrs by its step. Labels are prefixed with name.
func (p *Prec) VectorLoop(name string, n Register, ptrs []Ptr, body func()) {
	SHRQ(operand.U8(Log2(p.Lanes)), n)
	Label(name + "loop")
	TESTQ(n, n)
	JZ(operand.LabelRef(name + "done"))
	body()
	for _, r := range ptrs {
		if r.Step > 255 {
			ADDQ(operand.U32(r.Step), r.Reg)
		} else {
			ADDQ(operand.U8(r.Step), r.Reg)
		}
	}
	DECQ(n)
	JMP(operand.LabelRef(name + "loop"))
	Label(name + "done")
}

// LogJoint emits dst = cnst - halfPrec*(x - mean)^2, the weighted normal log-density,
// as Generic computes it: d = x - mean, then one fused multiply-add of -(halfPrec*d)*d
// onto cnst. cnst, mean and halfPrec are full-register operands.
//
// With lin (float32 lanes, nil otherwise), the mean is split in two, mean + lo, whose
// second part float32 cannot hold beside the first: cnst is Const - halfPrec lo^2, lin
// is 2 halfPrec lo, and dst = cnst - d (halfPrec d - lin), which is
// Const - halfPrec (x - mean - lo)^2, with the same three operations on the arithmetic
// ports (a load more).
func (p *Prec) LogJoint(x, dst VecVirtual, cnst, mean, halfPrec, lin operand.Op) {
	d := p.Vec()
	p.Sub(mean, x, d)
	if lin == nil {
		p.Mul(halfPrec, d, dst)
	} else {
		p.Movu(lin, dst)
		p.FMSub231(halfPrec, d, dst)
	}
	p.FNMAdd213(cnst, d, dst)
}

// Widen returns half 0 (low) or 1 (high) of a float32 register as a register of float64.
func (isa *ISA) Widen(v VecVirtual, half int) VecVirtual {
	out := isa.Vec()
	switch {
	case half == 0 && isa.EVEX:
		VCVTPS2PD(v.AsY(), out)
	case half == 0:
		VCVTPS2PD(v.AsX(), out)
	case isa.EVEX:
		hi := YMM()
		VEXTRACTF64X4(operand.U8(1), v, hi)
		VCVTPS2PD(hi, out)
	default:
		hi := XMM()
		VEXTRACTF128(operand.U8(1), v, hi)
		VCVTPS2PD(hi, out)
	}
	return out
}

// LoadWeights loads a register's worth of float64 weights from w as a register of p's
// type (float32 lanes narrow them).
func (p *Prec) LoadWeights(w operand.Mem) VecVirtual {
	v := p.Vec()
	switch {
	case p.Is64():
		VMOVUPD(w, v)
	case p.EVEX:
		hi := YMM()
		VCVTPD2PS(w, v.AsY())
		VCVTPD2PS(w.Offset(64), hi)
		VINSERTF64X4(operand.U8(1), hi, v, v)
	default:
		hi := XMM()
		VCVTPD2PSY(w, v.AsX())
		VCVTPD2PSY(w.Offset(32), hi)
		VINSERTF128(operand.U8(1), hi, v, v)
	}
	return v
}

// StoreLabels writes the lanes of idx, whole numbers below 65536 as floating-point
// values, as uint16 at dst.
func (p *Prec) StoreLabels(idx VecVirtual, dst operand.Mem) {
	switch {
	case p.Is64() && p.EVEX:
		w, hi := YMM(), XMM()
		VCVTTPD2DQ(idx, w)
		VEXTRACTI128(operand.U8(1), w, hi)
		VPACKUSDW(hi, w.AsX(), hi)
		VMOVDQU(hi, dst)
	case p.EVEX:
		w, out := ZMM(), YMM()
		VCVTTPS2DQ(idx, w)
		VPMOVDW(w, out)
		VMOVDQU(out, dst)
	case p.Is64():
		w := XMM()
		VCVTTPD2DQY(idx, w)
		VPACKUSDW(w, w, w)
		VMOVQ(w, dst)
	default:
		w, hi := YMM(), XMM()
		VCVTTPS2DQ(idx, w)
		VEXTRACTI128(operand.U8(1), w, hi)
		VPACKUSDW(hi, w.AsX(), hi)
		VMOVDQU(hi, dst)
	}
}

// Products are the float64 products of exp-sums S by which the unweighted E-step kernels
// take the log-likelihood: sum log S = log prod S, one log a block instead of one a sample.
type Products struct {
	p, dbl *Prec
	regs   []VecVirtual
}

// NewProducts starts products at 1 for registers of p (dbl is float64 on p's instruction
// set): one register, or one per half of a float32 register.
func (p *Prec) NewProducts(dbl *Prec) *Products {
	pr := &Products{p: p, dbl: dbl, regs: []VecVirtual{dbl.Vec()}}
	if !p.Is64() {
		pr.regs = append(pr.regs, dbl.Vec())
	}
	for _, r := range pr.regs {
		VMOVUPD(dbl.C(1), r)
	}
	return pr
}

// Add multiplies a register of exp-sums s into the products and adds the register of
// maxima m into the float64 lanes ll (a float32 register's halves widened and added
// together; see AddLanes). m is consumed.
func (pr *Products) Add(m, s VecVirtual, ll operand.Op) {
	if pr.p.Is64() {
		VMULPD(s, pr.regs[0], pr.regs[0])
		AddLanes(m, ll)
		return
	}
	lo, hi := pr.p.Widen(s, 0), pr.p.Widen(s, 1)
	VMULPD(lo, pr.regs[0], pr.regs[0])
	VMULPD(hi, pr.regs[1], pr.regs[1])
	mlo, mhi := pr.p.Widen(m, 0), pr.p.Widen(m, 1)
	VADDPD(mlo, mhi, mlo)
	AddLanes(mlo, ll)
}

// AddLanes adds the float64 lanes v into ll: a register, or memory (read, added to and
// written; v is then consumed). A loop that adds into the same lanes every iteration
// keeps them in a register: through memory, each addition waits for the last one's
// store to be forwarded.
func AddLanes(v VecVirtual, ll operand.Op) {
	if mem, ok := ll.(operand.Mem); ok {
		VADDPD(mem, v, v)
		VMOVUPD(v, mem)
		return
	}
	VADDPD(v, ll, ll)
}

// Flush adds the logs of the products (of the domain dom) into the float64 lanes at ll,
// and with reset starts them at 1 again.
func (pr *Products) Flush(ll operand.Mem, dom LogDomain, reset bool) {
	for _, r := range pr.regs {
		l := pr.dbl.Vec()
		pr.dbl.Log(r, l, dom)
		VADDPD(ll, l, l)
		VMOVUPD(l, ll)
		if reset {
			VMOVUPD(pr.dbl.C(1), r)
		}
	}
}

// ExpSumTerm replaces the register at mem, a log-joint, by exp(it - m) (m a register or
// memory; exp one of ExpFlushed's domain, such as FlushedExp or TableExp.Exp) and adds
// that to sum: one term of the stable exp-sum.
func (p *Prec) ExpSumTerm(mem operand.Mem, m operand.Op, sum VecVirtual, exp func(x, dst VecVirtual)) {
	a, e := p.Vec(), p.Vec()
	p.Movu(mem, a)
	p.Sub(m, a, a)
	exp(a, e)
	p.Movu(e, mem)
	p.Add(e, sum, sum)
}
