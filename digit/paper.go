package digit

import "slices"

// paper is the background's luma across the picture, the plane A + B·(x−X0) + C·(y−Y0) in
// pixel indices (X0, Y0 the picture's centre, which keeps the fit well conditioned on a
// large photo): a photo's paper is rarely lit evenly, and a plane follows the usual light
// fall-off from one side.
type paper struct{ A, B, C, X0, Y0 float64 }

func (p paper) at(x, y int) float64 { return p.A + p.B*(float64(x)-p.X0) + p.C*(float64(y)-p.Y0) }

// fitPaper fits the paper to the outermost rows and columns of the w×h values v by least
// squares. A stroke that reaches the border weighs little among its 2(w+h) pixels (a
// digit cut by the bottom edge of a 400×400 picture moves the result by less than 1e-4
// per pixel). A picture less than 3 pixels wide or high has too few points to fit a
// slope and gets its border's median as a flat paper.
func fitPaper(v []float32, w, h int) paper {
	var xs, ys []int
	for x := 0; x < w; x++ {
		xs, ys = append(xs, x), append(ys, 0)
		if h > 1 {
			xs, ys = append(xs, x), append(ys, h-1)
		}
	}
	for y := 1; y < h-1; y++ {
		xs, ys = append(xs, 0), append(ys, y)
		if w > 1 {
			xs, ys = append(xs, w-1), append(ys, y)
		}
	}
	lum := make([]float64, len(xs))
	for i := range xs {
		lum[i] = float64(v[ys[i]*w+xs[i]])
	}
	if w < 3 || h < 3 {
		slices.Sort(lum)
		return paper{A: lum[len(lum)/2]}
	}
	return fitPlane(xs, ys, lum, float64(w-1)/2, float64(h-1)/2)
}

// fitPlane is the least-squares plane through the points (x, y, lum), centred on (x0, y0);
// the points include three corners of a rectangle at least 3×3, so the plane is determined.
func fitPlane(xs, ys []int, lum []float64, x0, y0 float64) paper {
	// Normal equations M·(A, B, C) = r with M = Σ (1, x, y)ᵀ(1, x, y), solved by Cramer's rule.
	var m [3][3]float64
	var r [3]float64
	for i := range xs {
		u := [3]float64{1, float64(xs[i]) - x0, float64(ys[i]) - y0}
		for j := range 3 {
			for k := range 3 {
				m[j][k] += u[j] * u[k]
			}
			r[j] += u[j] * lum[i]
		}
	}
	det := det3(m)
	var sol [3]float64
	for c := range 3 {
		mc := m
		for j := range 3 {
			mc[j][c] = r[j]
		}
		sol[c] = det3(mc) / det
	}
	return paper{A: sol[0], B: sol[1], C: sol[2], X0: x0, Y0: y0}
}

func det3(m [3][3]float64) float64 {
	return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
}
