package segment

// Opening is the morphological opening of a plane (erosion, then dilation) with a square of
// side 2r+1: it removes bright specks smaller than the square.
func Opening(p *Plane, r int) {
	tmp := make([]uint16, len(p.Levels))
	rank(p, r, false, tmp)
	rank(p, r, true, tmp)
}

// Closing is the morphological closing (dilation, then erosion) with a square of side 2r+1:
// it fills dark specks smaller than the square.
func Closing(p *Plane, r int) {
	tmp := make([]uint16, len(p.Levels))
	rank(p, r, true, tmp)
	rank(p, r, false, tmp)
}

// rank replaces every level of p by the minimum (erosion) or maximum (dilation) over the
// square of side 2r+1 centred on it. Pixels outside the image are ignored, as OpenCV does
// by default. The square is separable: rows into tmp, then columns back into p.
func rank(p *Plane, r int, takeMax bool, tmp []uint16) {
	w, h := p.Width, p.Height
	pick := func(a, b uint16) uint16 { return min(a, b) }
	if takeMax {
		pick = func(a, b uint16) uint16 { return max(a, b) }
	}
	for y := range h {
		src, dst := p.Levels[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range w {
			v := src[x]
			for _, u := range src[max(x-r, 0):min(x+r+1, w)] {
				v = pick(v, u)
			}
			dst[x] = v
		}
	}
	for y := range h {
		dst := p.Levels[y*w : (y+1)*w]
		copy(dst, tmp[y*w:(y+1)*w])
		for yy := max(y-r, 0); yy < min(y+r+1, h); yy++ {
			for x, u := range tmp[yy*w : (yy+1)*w] {
				dst[x] = pick(dst[x], u)
			}
		}
	}
}
