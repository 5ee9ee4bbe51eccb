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
