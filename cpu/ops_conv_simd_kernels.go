//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"unsafe"
)

// The 8-wide AVX2+FMA kernels under ops_conv_simd.go. Each keeps a block of accumulator
// vectors in registers across its whole reduction (2×4 of them: few enough that the
// compiler keeps them, the loaded operands and the broadcast weights in the 16 vector
// registers) and sums every lane in a fixed order, so that results do not depend on the
// caller's threads.
//
// Their inner loops load through load8 and bcast, which do not check bounds (a checked
// load costs as much as the multiply-adds it feeds: the kernels run twice as fast
// without). Instead each kernel first checks, with checkSpan, that the whole region its
// loop reads lies inside each slice.

const errSIMDSpan = "cpu: SIMD conv kernel: a block reads outside its slice"

// checkSpan panics unless s[lo:hi] lies inside len(s).
func checkSpan(s []float32, lo, hi int) {
	if lo < 0 || lo > hi || hi > len(s) {
		panic(errSIMDSpan)
	}
}

// load8 returns the 8 values at index i of the slice whose data p points to, unchecked.
func load8(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 4*i)))
}

// bcast returns the value at index i of the slice whose data p points to in all 8 lanes,
// unchecked.
func bcast(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p, 4*i)))
}

// corrGeom is the geometry of a valid correlation of a (C, rows, RowW) source with
// (C, KH, KW) filters: src[c,y,x] is src[c·Plane + y·RowW + x], out[y,x] is out[y·OW + x].
// Source rows outside [Y0, Y1) are zero (padding), and the kernel rows that would read
// only those are skipped.
type corrGeom struct {
	C, KH, KW   int
	Plane, RowW int
	OH, OW      int
	Y0, Y1      int
}

// corrBlock is one call of corrVec2x4: two filters and four output vectors of 8 columns.
type corrBlock struct {
	w0, w1   []float32 // the filters, (C,KH,KW) each
	d0, d1   []float32 // their (OH,OW) output planes
	b0, b1   float32   // added to every output of the filter
	src, dst [4]int    // src[c=0,y,x] and out[y,x] of each vector
	n        [4]int    // columns each vector stores (8, or fewer at a row's end)
	iLo, iHi int       // the kernel rows i that may read a nonzero row for some vector
}

// corrVec2x4 computes, for the filters f < 2 and the output vectors q < 4 of blk,
//
//	d_f[dst_q + k] = b_f + Σ_c Σ_{i∈[iLo,iHi)} Σ_j w_f[(c·KH+i)·KW + j]·src[src_q + c·Plane + i·RowW + j + k]
//
// for the lanes k < n_q. Every vector reads 8 values of src past each tap: src must hold
// them (the lanes past n_q are computed and dropped).
func corrVec2x4(src []float32, blk *corrBlock, g *corrGeom) {
	wLen := g.C * g.KH * g.KW
	checkSpan(blk.w0, 0, wLen)
	checkSpan(blk.w1, 0, wLen)
	s0, s1, s2, s3 := blk.src[0], blk.src[1], blk.src[2], blk.src[3]
	if blk.iLo < blk.iHi {
		// From the first vector's row iLo to 8 values past the last vector's last tap.
		lo := min(s0, s1, s2, s3) + blk.iLo*g.RowW
		hi := max(s0, s1, s2, s3) + (g.C-1)*g.Plane + (blk.iHi-1)*g.RowW + g.KW + 7
		checkSpan(src, lo, hi)
	}
	ps := unsafe.Pointer(unsafe.SliceData(src))
	pw0, pw1 := unsafe.Pointer(unsafe.SliceData(blk.w0)), unsafe.Pointer(unsafe.SliceData(blk.w1))
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x8
	for c := range g.C {
		for i := blk.iLo; i < blk.iHi; i++ {
			r := c*g.Plane + i*g.RowW // src[c,i,0]
			k := (c*g.KH + i) * g.KW  // w_f[c,i,0]
			p0, p1 := unsafe.Add(ps, 4*(r+s0)), unsafe.Add(ps, 4*(r+s1))
			p2, p3 := unsafe.Add(ps, 4*(r+s2)), unsafe.Add(ps, 4*(r+s3))
			q0, q1 := unsafe.Add(pw0, 4*k), unsafe.Add(pw1, 4*k)
			// One tap j: four source vectors times the two filters' weights.
			for j := range g.KW {
				x0 := load8(p0, j)
				x1 := load8(p1, j)
				x2 := load8(p2, j)
				x3 := load8(p3, j)
				v := bcast(q0, j)
				a00 = x0.MulAdd(v, a00)
				a01 = x1.MulAdd(v, a01)
				a02 = x2.MulAdd(v, a02)
				a03 = x3.MulAdd(v, a03)
				v = bcast(q1, j)
				a10 = x0.MulAdd(v, a10)
				a11 = x1.MulAdd(v, a11)
				a12 = x2.MulAdd(v, a12)
				a13 = x3.MulAdd(v, a13)
			}
		}
	}
	b := archsimd.BroadcastFloat32x8(blk.b0)
	store8(blk.d0, blk.dst[0], blk.n[0], a00.Add(b))
	store8(blk.d0, blk.dst[1], blk.n[1], a01.Add(b))
	store8(blk.d0, blk.dst[2], blk.n[2], a02.Add(b))
	store8(blk.d0, blk.dst[3], blk.n[3], a03.Add(b))
	b = archsimd.BroadcastFloat32x8(blk.b1)
	store8(blk.d1, blk.dst[0], blk.n[0], a10.Add(b))
	store8(blk.d1, blk.dst[1], blk.n[1], a11.Add(b))
	store8(blk.d1, blk.dst[2], blk.n[2], a12.Add(b))
	store8(blk.d1, blk.dst[3], blk.n[3], a13.Add(b))
}

// store8 writes the first n ≤ 8 lanes of v to d[i:].
func store8(d []float32, i, n int, v archsimd.Float32x8) {
	if n == 8 {
		v.StoreSlice(d[i:])
	} else {
		v.StoreSlicePart(d[i : i+n])
	}
}

// filterBlock is one call of filterVec2x4: two dOut planes and four taps.
type filterBlock struct {
	d0, d1 []float32 // dOut[n=0,o,·,·] of the two filters; sample n at n·DStride
	tap    [4]int    // src offset c·Plane + i·RowW + j of each tap
}

// filterGeom is the geometry of filterVec2x4: N samples of dOut planes (OH, OW) and of
// sources (C, rows, RowW); OW8 is the columns it sums, a multiple of 8 and at most OW.
type filterGeom struct {
	N, OH, OW, OW8 int
	DStride        int // dOut values from one sample's plane to the next's
	SrcLen         int // src values from one sample to the next
	Plane, RowW    int // src values from one channel, one row to the next
}

// filterVec2x4 returns, for the filters f < 2 and the taps t < 4 of blk,
//
//	Σ_n Σ_y Σ_{x<OW8} d_f[n·DStride + y·OW + x]·src[n·SrcLen + y·RowW + x + tap_t]
//
// as lane t of s0 (f = 0) and s1 (f = 1). It needs N ≥ 1 and OW8 ≥ 8.
func filterVec2x4(src []float32, blk *filterBlock, g *filterGeom) (s0, s1 archsimd.Float32x4) {
	dLen := (g.N-1)*g.DStride + (g.OH-1)*g.OW + g.OW8
	checkSpan(blk.d0, 0, dLen)
	checkSpan(blk.d1, 0, dLen)
	t0, t1, t2, t3 := blk.tap[0], blk.tap[1], blk.tap[2], blk.tap[3]
	checkSpan(src, min(t0, t1, t2, t3), max(t0, t1, t2, t3)+(g.N-1)*g.SrcLen+(g.OH-1)*g.RowW+g.OW8)
	pd0, pd1 := unsafe.Pointer(unsafe.SliceData(blk.d0)), unsafe.Pointer(unsafe.SliceData(blk.d1))
	ps := unsafe.Pointer(unsafe.SliceData(src))
	p0, p1 := unsafe.Add(ps, 4*t0), unsafe.Add(ps, 4*t1) // src[tap_t]
	p2, p3 := unsafe.Add(ps, 4*t2), unsafe.Add(ps, 4*t3)
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x8
	for n := range g.N {
		d, r := n*g.DStride, n*g.SrcLen // d_f[n,0,0], src[n,0,0]
		for y := 0; y < g.OH; y, d, r = y+1, d+g.OW, r+g.RowW {
			// Eight columns: two dOut vectors times four shifted source vectors.
			for x := 0; x < g.OW8; x += 8 {
				u, v := load8(pd0, d+x), load8(pd1, d+x)
				x0 := load8(p0, r+x)
				a00 = x0.MulAdd(u, a00)
				a10 = x0.MulAdd(v, a10)
				x1 := load8(p1, r+x)
				a01 = x1.MulAdd(u, a01)
				a11 = x1.MulAdd(v, a11)
				x2 := load8(p2, r+x)
				a02 = x2.MulAdd(u, a02)
				a12 = x2.MulAdd(v, a12)
				x3 := load8(p3, r+x)
				a03 = x3.MulAdd(u, a03)
				a13 = x3.MulAdd(v, a13)
			}
		}
	}
	return sum4(a00, a01, a02, a03), sum4(a10, a11, a12, a13)
}

// sum4 returns the sums of the 8 lanes of a, b, c and d, in that order:
// ((v0+v1) + (v2+v3)) + ((v4+v5) + (v6+v7)) for each.
func sum4(a, b, c, d archsimd.Float32x8) archsimd.Float32x4 {
	ab := a.AddPairsGrouped(b)     // a0+a1 a2+a3 b0+b1 b2+b3 | a4+a5 a6+a7 b4+b5 b6+b7
	cd := c.AddPairsGrouped(d)     // the same for c and d
	abcd := ab.AddPairsGrouped(cd) // a0..3 b0..3 c0..3 d0..3 | a4..7 b4..7 c4..7 d4..7
	return abcd.GetLo().Add(abcd.GetHi())
}
