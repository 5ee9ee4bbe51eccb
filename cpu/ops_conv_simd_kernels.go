//go:build goexperiment.simd && amd64

package cpu

import "simd/archsimd"

// The 8-wide AVX2+FMA kernels under ops_conv_simd.go. Each keeps a block of accumulator
// vectors in registers across its whole reduction (2×4 of them: few enough that the
// compiler keeps them, the loaded operands and the broadcast weights in the 16 vector
// registers) and sums every lane in a fixed order, so that results do not depend on the
// caller's threads.

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
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x8
	w0, w1 := blk.w0, blk.w1[:len(blk.w0)]
	n := g.KW + 7 // the values one kernel row's taps read per vector
	for c := range g.C {
		for i := blk.iLo; i < blk.iHi; i++ {
			r := c*g.Plane + i*g.RowW
			k := (c*g.KH + i) * g.KW // w_f[c,i,0]
			s0 := src[r+blk.src[0] : r+blk.src[0]+n]
			s1 := src[r+blk.src[1] : r+blk.src[1]+n]
			s2 := src[r+blk.src[2] : r+blk.src[2]+n]
			s3 := src[r+blk.src[3] : r+blk.src[3]+n]
			p, q := w0[k:k+g.KW], w1[k:k+g.KW]
			q = q[:len(p)]
			// One tap j: four source vectors times the two filters' weights.
			for j, u := range p {
				x0 := archsimd.LoadFloat32x8Slice(s0[j:])
				x1 := archsimd.LoadFloat32x8Slice(s1[j:])
				x2 := archsimd.LoadFloat32x8Slice(s2[j:])
				x3 := archsimd.LoadFloat32x8Slice(s3[j:])
				v := archsimd.BroadcastFloat32x8(u)
				a00 = x0.MulAdd(v, a00)
				a01 = x1.MulAdd(v, a01)
				a02 = x2.MulAdd(v, a02)
				a03 = x3.MulAdd(v, a03)
				v = archsimd.BroadcastFloat32x8(q[j])
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
// as lane t of s0 (f = 0) and s1 (f = 1).
func filterVec2x4(src []float32, blk *filterBlock, g *filterGeom) (s0, s1 archsimd.Float32x4) {
	var a00, a01, a02, a03, a10, a11, a12, a13 archsimd.Float32x8
	for n := range g.N {
		for y := range g.OH {
			d := n*g.DStride + y*g.OW
			r := n*g.SrcLen + y*g.RowW
			d0, d1 := blk.d0[d:d+g.OW8], blk.d1[d:d+g.OW8]
			d1 = d1[:len(d0)]
			t0 := src[r+blk.tap[0] : r+blk.tap[0]+len(d0)]
			t1 := src[r+blk.tap[1] : r+blk.tap[1]+len(d0)]
			t2 := src[r+blk.tap[2] : r+blk.tap[2]+len(d0)]
			t3 := src[r+blk.tap[3] : r+blk.tap[3]+len(d0)]
			// Eight columns: two dOut vectors times four shifted source vectors.
			for x := 0; x < len(d0); x += 8 {
				u := archsimd.LoadFloat32x8Slice(d0[x:])
				v := archsimd.LoadFloat32x8Slice(d1[x:])
				x0 := archsimd.LoadFloat32x8Slice(t0[x:])
				a00 = x0.MulAdd(u, a00)
				a10 = x0.MulAdd(v, a10)
				x1 := archsimd.LoadFloat32x8Slice(t1[x:])
				a01 = x1.MulAdd(u, a01)
				a11 = x1.MulAdd(v, a11)
				x2 := archsimd.LoadFloat32x8Slice(t2[x:])
				a02 = x2.MulAdd(u, a02)
				a12 = x2.MulAdd(v, a12)
				x3 := archsimd.LoadFloat32x8Slice(t3[x:])
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
