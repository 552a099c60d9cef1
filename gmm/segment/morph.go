package segment

// Opening is the morphological opening of a plane (erosion, then dilation) with a square of
// side 2r+1: it removes bright specks smaller than the square.
func Opening(p *Plane, r int) {
	tmp := make([]uint16, len(p.Levels))
	erode(p, r, tmp)
	dilate(p, r, tmp)
}

// Closing is the morphological closing (dilation, then erosion) with a square of side 2r+1:
// it fills dark specks smaller than the square.
func Closing(p *Plane, r int) {
	tmp := make([]uint16, len(p.Levels))
	dilate(p, r, tmp)
	erode(p, r, tmp)
}

// dilate is erosion of the complement: max(a, b) = ^min(^a, ^b).
func dilate(p *Plane, r int, tmp []uint16) {
	complement(p.Levels)
	erode(p, r, tmp)
	complement(p.Levels)
}

func complement(v []uint16) {
	for i := range v {
		v[i] = ^v[i]
	}
}

// erode replaces every level of p by the minimum over the square of side 2r+1 centred on
// it. Pixels outside the image are ignored, as OpenCV does by default. The square is
// separable: rows into tmp, then columns back into p.
func erode(p *Plane, r int, tmp []uint16) {
	w, h := p.Width, p.Height
	for y := range h {
		src, dst := p.Levels[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range dst {
			win := src[max(x-r, 0):min(x+r+1, w)]
			v := win[0]
			for _, u := range win[1:] {
				v = min(v, u)
			}
			dst[x] = v
		}
	}
	for y := range h {
		dst := p.Levels[y*w : (y+1)*w]
		copy(dst, tmp[y*w:(y+1)*w])
		for yy := max(y-r, 0); yy < min(y+r+1, h); yy++ {
			src := tmp[yy*w : (yy+1)*w]
			for x := range dst {
				dst[x] = min(dst[x], src[x])
			}
		}
	}
}
