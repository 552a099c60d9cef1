// Package minimum holds the element-wise minimum of two rows of levels, the inner loop of
// the segmentation's minimum filters (a 5x5 erosion is eight of them per row). It is not a
// mixture kernel: it picks its own implementation once, the fastest this CPU runs, and a
// minimum is exact, so every implementation gives the same levels.
package minimum

// Into sets dst[i] = min(dst[i], src[i]) for every i < len(dst); src must be at least as
// long as dst.
func Into(dst, src []uint16) { into(dst, src) }

// Name is the implementation Into runs: "avx2" or "generic".
func Name() string { return name }

// generic is the pure-Go Into, and the twin that the others are tested against.
func generic(dst, src []uint16) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = min(dst[i], v)
	}
}
