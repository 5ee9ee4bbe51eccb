package cpu

// The vector kernels under the ops. Each reslices its operands to the lengths it reads so
// that the compiler drops the bounds checks inside the loop, and unrolls by four with
// independent accumulators so that successive additions do not wait on each other.

// dot returns Σ_i x[i]·y[i] over len(x) values; y must hold at least len(x).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := x[i:i+4:i+4], y[i:i+4:i+4]
		a0 += xs[0] * ys[0]
		a1 += xs[1] * ys[1]
		a2 += xs[2] * ys[2]
		a3 += xs[3] * ys[3]
	}
	for ; i < len(x); i++ {
		a0 += x[i] * y[i]
	}
	return (a0 + a1) + (a2 + a3)
}

// dot4 returns Σ_x d[x]·r[x+k] for k = 0..3; r must hold at least len(d)+3 values.
func dot4(d, r []float32) (a0, a1, a2, a3 float32) {
	r = r[:len(d)+3]
	var b0, b1, b2, b3 float32
	x := 0
	// Two columns per iteration into separate sums halve the chain of dependent additions.
	for ; x+2 <= len(d); x += 2 {
		v := r[x : x+5 : x+5]
		d0, d1 := d[x], d[x+1]
		a0 += d0 * v[0]
		a1 += d0 * v[1]
		a2 += d0 * v[2]
		a3 += d0 * v[3]
		b0 += d1 * v[1]
		b1 += d1 * v[2]
		b2 += d1 * v[3]
		b3 += d1 * v[4]
	}
	if x < len(d) {
		v := r[x : x+4 : x+4]
		d0 := d[x]
		a0 += d0 * v[0]
		a1 += d0 * v[1]
		a2 += d0 * v[2]
		a3 += d0 * v[3]
	}
	return a0 + b0, a1 + b1, a2 + b2, a3 + b3
}

// sumf returns Σ_i x[i].
func sumf(x []float32) float32 {
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs := x[i : i+4 : i+4]
		a0 += xs[0]
		a1 += xs[1]
		a2 += xs[2]
		a3 += xs[3]
	}
	for ; i < len(x); i++ {
		a0 += x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

// axpy adds a·x[i] to dst[i] for every i < len(x); dst must hold at least len(x).
func axpy(dst []float32, a float32, x []float32) {
	dst = dst[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		ds, xs := dst[i:i+4:i+4], x[i:i+4:i+4]
		ds[0] += a * xs[0]
		ds[1] += a * xs[1]
		ds[2] += a * xs[2]
		ds[3] += a * xs[3]
	}
	for ; i < len(x); i++ {
		dst[i] += a * x[i]
	}
}

// scale sets dst[i] = a·x[i] for every i < len(x); dst must hold at least len(x).
func scale(dst []float32, a float32, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = a * v
	}
}
