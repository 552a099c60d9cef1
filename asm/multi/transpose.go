package main

import (
	"fmt"

	"github.com/gmmsimd/gmmsimd/asm/internal/emit"
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transpose emits the AVX-512 transpose of a block's rows to planes (AVX2's permutes do
// not reach across its registers' halves; its kernels take Go's). A register of samples
// is d registers of rows, R_0 .. R_{d-1}; lane i of plane j is element i d + j of them
// all, in register (i d + j) / L (L lanes). Plane j is made from the pairs (R_0, R_1)
// and (R_2, R_3) by a two-table permute each (one register alone a pair of itself), and,
// for d > 2, a blend of the two by a mask of the lanes the second pair holds: 3
// permutes or blends a plane for d = 3 and 4, 1 for d = 2, against d loads and d stores
// an element for Go's loop. The index vectors are constants, held in registers (each
// permute overwrites a copy), the masks in mask registers.
func transpose(p *emit.Prec, d int) {
	fn := fmt.Sprintf("multiTranspose%s%sD%d", p.ISA.Name, p.Name, d)
	TEXT(fn, NOSPLIT, fmt.Sprintf("func(planes, x []%s, n int)", p.GoType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets plane j of planes (planes[j*n:(j+1)*n]) to feature j of the n samples of %d features in x, row-major "+
		"(n a multiple of %d).", fn, d, p.Lanes))
	l := p.Lanes
	pairs := (d + 1) / 2
	idx := make([][]VecVirtual, d) // idx[j][q]: plane j's lanes from pair q
	masks := make([]Register, d)   // plane j's lanes from pair 1
	tab := transposeTable(p, d)
	for j := range d {
		for q := range pairs {
			v := p.Vec()
			VMOVDQU64(tab.Offset((j*pairs+q)*p.Width), v)
			idx[j] = append(idx[j], v)
		}
		if pairs > 1 {
			bits := 0
			for i := range l {
				if (i*d+j)/l >= 2 {
					bits |= 1 << i
				}
			}
			g := GP32()
			MOVL(U32(bits), g)
			masks[j] = K()
			KMOVW(g, masks[j])
		}
	}
	pl := Load(Param("planes").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("n"), GP64())
	out := newPlanes(pl, n, d, p.Size)
	p.VectorLoop("", n, []emit.Ptr{{Reg: pl, Step: p.Width}, {Reg: x, Step: d * p.Width}}, func() {
		rows := make([]VecVirtual, d)
		for r := range rows {
			rows[r] = p.Vec()
			p.Movu(Mem{Base: x, Disp: r * p.Width}, rows[r])
		}
		for j := range d {
			var got []VecVirtual
			for q := range pairs {
				a, b := rows[2*q], rows[min(2*q+1, d-1)]
				v := p.Vec()
				VMOVDQA64(idx[j][q], v)
				if p.Is64() {
					VPERMI2PD(b, a, v)
				} else {
					VPERMI2PS(b, a, v)
				}
				got = append(got, v)
			}
			if pairs > 1 {
				p.Blend(masks[j], got[1], got[0], got[0])
			}
			p.Movu(got[0], out.at(j))
		}
	})
	VZEROUPPER()
	RET()
}

// transposeTable returns the symbol of transpose's index vectors for p's lanes and d
// features: for plane j and pair q, the lane of R_2q (0 to L-1) or R_2q+1 (L to 2L-1) that
// each lane of the plane takes (0 where another pair supplies it).
func transposeTable(p *emit.Prec, d int) Mem {
	l := p.Lanes
	pairs := (d + 1) / 2
	var vals []uint64
	for j := range d {
		for q := range pairs {
			for i := range l {
				v := 0
				if src := i*d + j; src/l/2 == q {
					v = src - 2*q*l
				}
				vals = append(vals, uint64(v))
			}
		}
	}
	return p.Elements(fmt.Sprintf("multitr%s%sD%d", p.ISA.Name, p.Name, d), vals)
}
