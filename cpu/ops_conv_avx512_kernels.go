//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"unsafe"
)

// The 16-lane matrix-product kernels under ops_conv_avx512.go. Each keeps a block of 4×2 or
// 2×4 accumulator vectors in registers across its whole reduction: with the loaded
// operands, 11 vector registers, as Go's register allocator gives out Z0–Z15 only (a 4×4
// block spilled its accumulators and ran at half the AVX2 kernels' speed). As the 8-lane kernels,
// they load unchecked after one checkSpan per slice.

// gemm computes, for f < nf and p < P,
//
//	dst[f·P + p] = b[f] + Σ_{r<R} w[f·fs + r·ws]·col[r·P + p]
//
// with b nil for no bias: four rows f and two vectors of 16 values p at a time (gemm4x2),
// every block of rows for one pair of vectors before the next pair, so that the pair's
// columns of col stay in the L1 cache. A last block of fewer rows or vectors repeats its
// last one, which stores the same values again. col must hold 16 values past R·P that the
// last vector's dropped lanes may read.
func gemm(dst, col, w, b []float32, nf, R, P, fs, ws int) {
	nv := (P + 15) / 16
	var blk gemmBlock
	for v := 0; v < nv; v += 2 {
		for q := range 2 {
			vq := min(v+q, nv-1)
			blk.p[q], blk.n[q] = 16*vq, min(16, P-16*vq)
		}
		for f := 0; f < nf; f += 4 {
			for q := range 4 {
				fq := min(f+q, nf-1)
				blk.w[q], blk.d[q] = fq*fs, fq*P
				if b != nil {
					blk.b[q] = b[fq]
				}
			}
			gemm4x2(dst, col, w, &blk, R, P, ws)
		}
	}
}

// gemmBlock is one call of gemm4x2: four rows f and two vectors.
type gemmBlock struct {
	w, d [4]int     // w[f·fs] and dst[f·P] of each row
	b    [4]float32 // each row's bias
	p, n [2]int     // each vector's first p, and how many of its lanes are stored (≤ 16)
}

// gemm4x2 computes, for the rows q < 4 and the vectors v < 2 of blk and the lanes l < n_v,
//
//	dst[d_q + p_v + l] = b_q + Σ_{r<R} w[w_q + r·ws]·col[r·P + p_v + l]
func gemm4x2(dst, col, w []float32, blk *gemmBlock, R, P, ws int) {
	p0, p1 := blk.p[0], blk.p[1]
	checkSpan(col, min(p0, p1), max(p0, p1)+(R-1)*P+16)
	w0, w1, w2, w3 := blk.w[0], blk.w[1], blk.w[2], blk.w[3]
	checkSpan(w, min(w0, w1, w2, w3), max(w0, w1, w2, w3)+(R-1)*ws+1)
	pc, pw := unsafe.Pointer(unsafe.SliceData(col)), unsafe.Pointer(unsafe.SliceData(w))
	c0, c1 := unsafe.Add(pc, 4*p0), unsafe.Add(pc, 4*p1)
	q0, q1, q2, q3 := unsafe.Add(pw, 4*w0), unsafe.Add(pw, 4*w1), unsafe.Add(pw, 4*w2), unsafe.Add(pw, 4*w3)
	var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float32x16
	for r, o, k := 0, 0, 0; r < R; r, o, k = r+1, o+P, k+ws {
		x0 := load16(c0, o)
		x1 := load16(c1, o)
		v := bcast16(q0, k)
		a00 = x0.MulAdd(v, a00)
		a01 = x1.MulAdd(v, a01)
		v = bcast16(q1, k)
		a10 = x0.MulAdd(v, a10)
		a11 = x1.MulAdd(v, a11)
		v = bcast16(q2, k)
		a20 = x0.MulAdd(v, a20)
		a21 = x1.MulAdd(v, a21)
		v = bcast16(q3, k)
		a30 = x0.MulAdd(v, a30)
		a31 = x1.MulAdd(v, a31)
	}
	store16Pair(dst, blk, 0, a00, a01)
	store16Pair(dst, blk, 1, a10, a11)
	store16Pair(dst, blk, 2, a20, a21)
	store16Pair(dst, blk, 3, a30, a31)
}

// store16Pair writes row q's two vectors plus its bias to dst, n_v lanes each.
func store16Pair(dst []float32, blk *gemmBlock, q int, a0, a1 archsimd.Float32x16) {
	b, d := archsimd.BroadcastFloat32x16(blk.b[q]), blk.d[q]
	store16(dst, d+blk.p[0], blk.n[0], a0.Add(b))
	store16(dst, d+blk.p[1], blk.n[1], a1.Add(b))
}

// store16 writes the first n ≤ 16 lanes of v to d[i:].
func store16(d []float32, i, n int, v archsimd.Float32x16) {
	if n == 16 {
		v.StoreSlice(d[i:])
	} else {
		v.StoreSlicePart(d[i : i+n])
	}
}

// gemmNT writes (add false) or adds (add true) to dW, for o < nf and k < K,
//
//	Σ_{n<G} Σ_{p<P} dOut[n·nf·P + o·P + p]·col[n·K·P + k·P + p]
//
// two rows o and four columns k at a time (nt2x4); a last block of fewer repeats its last
// one and does not store the copies.
func gemmNT(dW, dOut, col []float32, nf, K, P, G int, add bool) {
	var blk ntBlock
	for k := 0; k < K; k += 4 { // four patch rows, read from L1 by every pair of planes
		for q := range 4 {
			blk.c[q] = min(k+q, K-1) * P
		}
		for o := 0; o < nf; o += 2 {
			o1 := min(o+1, nf-1)
			blk.d = [2]int{o * P, o1 * P}
			s0, s1 := nt2x4(dOut, col, &blk, nf*P, K*P, P, G)
			m := min(4, K-k)
			storeTaps(dW[o*K+k:o*K+k+m], s0, add)
			if o1 != o {
				storeTaps(dW[o1*K+k:o1*K+k+m], s1, add)
			}
		}
	}
}

// ntBlock is one call of nt2x4: two dOut planes and four patch rows.
type ntBlock struct {
	d [2]int // dOut[n=0, o, 0] of each plane
	c [4]int // col[n=0, k, 0] of each patch row
}

// nt2x4 returns, as lane t of s_q,
//
//	Σ_{n<G} Σ_{p<P} dOut[n·ds + d_q + p]·col[n·cs + c_t + p]
//
// for q < 2, t < 4: the full vectors unchecked, a last partial one through checked loads.
func nt2x4(dOut, col []float32, blk *ntBlock, ds, cs, P, G int) (s0, s1 archsimd.Float32x4) {
	p16 := P &^ 15
	d0, d1 := blk.d[0], blk.d[1]
	checkSpan(dOut, min(d0, d1), max(d0, d1)+(G-1)*ds+P)
	c0, c1, c2, c3 := blk.c[0], blk.c[1], blk.c[2], blk.c[3]
	checkSpan(col, min(c0, c1, c2, c3), max(c0, c1, c2, c3)+(G-1)*cs+P)
	pd, pc := unsafe.Pointer(unsafe.SliceData(dOut)), unsafe.Pointer(unsafe.SliceData(col))
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x16
	for n := range G {
		pd0, pd1 := unsafe.Add(pd, 4*(n*ds+d0)), unsafe.Add(pd, 4*(n*ds+d1))
		pc0, pc1 := unsafe.Add(pc, 4*(n*cs+c0)), unsafe.Add(pc, 4*(n*cs+c1))
		pc2, pc3 := unsafe.Add(pc, 4*(n*cs+c2)), unsafe.Add(pc, 4*(n*cs+c3))
		for p := 0; p < p16; p += 16 {
			u := load16(pd0, p)
			v := load16(pd1, p)
			x := load16(pc0, p)
			a00 = u.MulAdd(x, a00)
			a10 = v.MulAdd(x, a10)
			x = load16(pc1, p)
			a01 = u.MulAdd(x, a01)
			a11 = v.MulAdd(x, a11)
			x = load16(pc2, p)
			a02 = u.MulAdd(x, a02)
			a12 = v.MulAdd(x, a12)
			x = load16(pc3, p)
			a03 = u.MulAdd(x, a03)
			a13 = v.MulAdd(x, a13)
		}
		if p16 < P { // the last p16 … P−1, zeros in the other lanes of both operands
			e, f := n*ds+P, n*cs+P
			u := archsimd.LoadFloat32x16SlicePart(dOut[n*ds+d0+p16 : e+d0])
			v := archsimd.LoadFloat32x16SlicePart(dOut[n*ds+d1+p16 : e+d1])
			x := archsimd.LoadFloat32x16SlicePart(col[n*cs+c0+p16 : f+c0])
			a00 = u.MulAdd(x, a00)
			a10 = v.MulAdd(x, a10)
			x = archsimd.LoadFloat32x16SlicePart(col[n*cs+c1+p16 : f+c1])
			a01 = u.MulAdd(x, a01)
			a11 = v.MulAdd(x, a11)
			x = archsimd.LoadFloat32x16SlicePart(col[n*cs+c2+p16 : f+c2])
			a02 = u.MulAdd(x, a02)
			a12 = v.MulAdd(x, a12)
			x = archsimd.LoadFloat32x16SlicePart(col[n*cs+c3+p16 : f+c3])
			a03 = u.MulAdd(x, a03)
			a13 = v.MulAdd(x, a13)
		}
	}
	return sum16x4(a00, a01, a02, a03), sum16x4(a10, a11, a12, a13)
}

// sum16x4 returns the sums of the 16 lanes of a, b, c and d, in that order: lanes l and
// l+8 first, then the 8 as sum4 adds them.
func sum16x4(a, b, c, d archsimd.Float32x16) archsimd.Float32x4 {
	return sum4(a.GetLo().Add(a.GetHi()), b.GetLo().Add(b.GetHi()), c.GetLo().Add(c.GetHi()), d.GetLo().Add(d.GetHi()))
}
