package emit

import (
	"fmt"
	"maps"
	"math"
	"slices"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

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
