//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"simd/archsimd"
	"unsafe"

	"github.com/vkcnn/vkcnn/model"
)

// The 2×2 max-pool (alone or fused with a ReLU) on 16 lanes, where the 16-lane kernels
// are on: up to 16 windows of one output row per vector, the row's two input rows split
// into even and odd columns by two-source permutes, so that lane x holds window x's four
// values. The same bits as the scalar loops of ops_pool.go: the window's values are taken
// in row-major order, a later one replacing the maximum only when greater (so ties and
// NaNs go as there), and ReLU is reluForwardSIMD's.

var (
	pool16Even = [16]uint32{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}
	pool16Odd  = [16]uint32{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}
	pool16Cols = [16]int32{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}
	// Interleave the lanes of two vectors a, b: a0 b0 a1 b1 … (low: lanes 0–7, high: 8–15).
	pool16ZipLo = [16]uint32{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23}
	pool16ZipHi = [16]uint32{8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}
)

// Rows of 8 inputs (4 windows, the second pool of every preset) go 4 output rows at a
// time: 8 input rows, 64 values in 4 vectors L0…L3 (L_r = input rows 2r and 2r+1), lane
// l = 4r + x holding window (r, x). pool8Sel[l] is where its first value lies in L0:L1
// (rows 0–1, lanes 0–7) or in L2:L3 (rows 2–3, lanes 8–15): (r mod 2)·16 + 2x; the other
// three lie 1, 8 and 9 further. pool8Pos[l] = r·16 + 2x is its place in the 64 values.
// pool8Zip[k] (k < 16) gives, for the backward pass, value k of L0 from the lanes of
// (a, b) for k < 8 and of (c, d) for k ≥ 8: ((k mod 2)·16) + (k mod 8)/2; L_r adds 4r.
var (
	pool8Sel = [16]uint32{0, 2, 4, 6, 16, 18, 20, 22, 0, 2, 4, 6, 16, 18, 20, 22}
	pool8Pos = [16]int32{0, 2, 4, 6, 16, 18, 20, 22, 32, 34, 36, 38, 48, 50, 52, 54}
	pool8Zip = [16]uint32{0, 16, 1, 17, 2, 18, 3, 19, 0, 16, 1, 17, 2, 18, 3, 19}
)

// upper8 selects lanes 8–15.
var upper8 = archsimd.Mask32x16FromBits(0xff00)

// poolBlock is the masks of a block of n ≤ 16 windows of one output row: the n outputs,
// and the 2n values of each input row, the first 16 (lo) and the rest (hi).
type poolBlock struct {
	n           int
	out, lo, hi archsimd.Mask32x16
}

func newPoolBlock(n int) poolBlock {
	m := func(k int) archsimd.Mask32x16 { return archsimd.Mask32x16FromBits(uint16(uint32(1)<<k - 1)) }
	return poolBlock{n: n, out: m(n), lo: m(min(16, 2*n)), hi: m(max(0, 2*n-16))}
}

// f32x16 is the 16 values at index i of the slice whose data p points to, unchecked.
func f32x16(p unsafe.Pointer, i int) *[16]float32 { return (*[16]float32)(unsafe.Add(p, 4*i)) }

// i32x16 is the 16 values at index i of the slice whose data p points to, unchecked.
func i32x16(p unsafe.Pointer, i int) *[16]int32 { return (*[16]int32)(unsafe.Add(p, 4*i)) }

// loadPair returns the 2·b.n values at index i as two vectors, zeros past them.
func loadPair(p unsafe.Pointer, i int, b *poolBlock) (lo, hi archsimd.Float32x16) {
	lo = archsimd.LoadMaskedFloat32x16(f32x16(p, i), b.lo)
	if b.n > 8 {
		hi = archsimd.LoadMaskedFloat32x16(f32x16(p, i+16), b.hi)
	}
	return lo, hi
}

// storePair stores the first 2·b.n values of lo then hi at index i.
func storePair(p unsafe.Pointer, i int, b *poolBlock, lo, hi archsimd.Float32x16) {
	lo.StoreMasked(f32x16(p, i), b.lo)
	if b.n > 8 {
		hi.StoreMasked(f32x16(p, i+16), b.hi)
	}
}

// maxPool2AVX512 is maxPoolForward for Size 2 on every window; it reports whether it ran
// (the 16-lane kernels are on and Size is 2). The lengths are the caller's to check.
func maxPool2AVX512(out []float32, argmax []int32, in []float32, s model.PoolShape, relu bool) bool {
	if !simdConv || !simd512 || s.Size != 2 {
		return false
	}
	oh, ow, w := s.OH(), s.OW(), s.W
	if oh == 0 || ow == 0 {
		return true
	}
	full, last := newPoolBlock(16), newPoolBlock(ow-(ow-1)/16*16)
	even, odd := archsimd.LoadUint32x16(&pool16Even), archsimd.LoadUint32x16(&pool16Odd)
	cols := archsimd.LoadInt32x16(&pool16Cols)
	offB, offC, offD := archsimd.BroadcastInt32x16(1), archsimd.BroadcastInt32x16(int32(w)), archsimd.BroadcastInt32x16(int32(w+1))
	var zero archsimd.Float32x16
	nan := archsimd.BroadcastFloat32x16(math.Float32frombits(0x7fc00000))
	pin, pout, parg := unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out)), unsafe.Pointer(unsafe.SliceData(argmax))
	sel := archsimd.LoadUint32x16(&pool8Sel)
	pos := archsimd.LoadInt32x16(&pool8Pos)
	one, eight, nine := archsimd.BroadcastUint32x16(1), archsimd.BroadcastUint32x16(8), archsimd.BroadcastUint32x16(9)
	for row := 0; row < s.N*s.C*oh; row++ {
		iu := row/oh*s.H*w + row%oh*2*w // the window row's first input: plane, then row 2y
		if w == 8 && row%oh+4 <= oh {
			// Output rows row…row+3, all in this plane: 16 windows, 64 inputs at iu.
			l0, l1 := archsimd.LoadFloat32x16(f32x16(pin, iu)), archsimd.LoadFloat32x16(f32x16(pin, iu+16))
			l2, l3 := archsimd.LoadFloat32x16(f32x16(pin, iu+32)), archsimd.LoadFloat32x16(f32x16(pin, iu+48))
			pick := func(idx archsimd.Uint32x16) archsimd.Float32x16 {
				return l2.ConcatPermute(l3, idx).Merge(l0.ConcatPermute(l1, idx), upper8)
			}
			m := pick(sel)
			var off archsimd.Int32x16
			c := pick(sel.Add(one))
			g := c.Greater(m)
			m, off = c.Merge(m, g), offB.Merge(off, g)
			c = pick(sel.Add(eight))
			g = c.Greater(m)
			m, off = c.Merge(m, g), offC.Merge(off, g)
			c = pick(sel.Add(nine))
			g = c.Greater(m)
			m, off = c.Merge(m, g), offD.Merge(off, g)
			if relu {
				m = nan.Merge(m.Masked(m.Greater(zero)), m.IsNaN())
			}
			m.Store(f32x16(pout, row*4))
			off.Add(pos).Add(archsimd.BroadcastInt32x16(int32(iu))).Store(i32x16(parg, row*4))
			row += 3
			continue
		}
		for x := 0; x < ow; x += 16 {
			b := &full
			if x+16 >= ow {
				b = &last
			}
			ul, uh := loadPair(pin, iu+2*x, b)
			vl, vh := loadPair(pin, iu+w+2*x, b)
			m := ul.ConcatPermute(uh, even)
			var off archsimd.Int32x16
			c := ul.ConcatPermute(uh, odd)
			g := c.Greater(m)
			m, off = c.Merge(m, g), offB.Merge(off, g)
			c = vl.ConcatPermute(vh, even)
			g = c.Greater(m)
			m, off = c.Merge(m, g), offC.Merge(off, g)
			c = vl.ConcatPermute(vh, odd)
			g = c.Greater(m)
			m, off = c.Merge(m, g), offD.Merge(off, g)
			if relu {
				m = nan.Merge(m.Masked(m.Greater(zero)), m.IsNaN())
			}
			m.StoreMasked(f32x16(pout, row*ow+x), b.out)
			off.Add(cols).Add(archsimd.BroadcastInt32x16(int32(iu+2*x))).StoreMasked(i32x16(parg, row*ow+x), b.out)
		}
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// maxPoolReLU2AVX512 is maxPoolReLUBackward for Size 2 in one pass that writes every value
// of dIn once: each window's four inputs get dOut[j] where argmax[j] names them and
// out[j] > 0, else +0, and the rows and columns no window covers +0. It reports whether it
// ran: for Size 2 with rows of at least 8 windows, or inputs 8 wide (4 output rows at a
// time, as maxPool2AVX512); other narrow rows keep clearing dIn and scattering, which was
// faster there than a vector per row. argmax must come from maxPoolForward (an index
// outside its window is dropped).
func maxPoolReLU2AVX512(dIn, dOut, out []float32, argmax []int32, s model.PoolShape) bool {
	if !simdConv || !simd512 || s.Size != 2 || (s.OW() < 8 && s.W != 8) {
		return false
	}
	oh, ow, w := s.OH(), s.OW(), s.W
	plane := s.H * w
	if ow == 0 {
		clear(dIn)
		return true
	}
	full, last := newPoolBlock(16), newPoolBlock(ow-(ow-1)/16*16)
	cols := archsimd.LoadInt32x16(&pool16Cols)
	zipLo, zipHi := archsimd.LoadUint32x16(&pool16ZipLo), archsimd.LoadUint32x16(&pool16ZipHi)
	offB, offC, offD := archsimd.BroadcastInt32x16(1), archsimd.BroadcastInt32x16(int32(w)), archsimd.BroadcastInt32x16(int32(w+1))
	var zero archsimd.Float32x16
	var offA archsimd.Int32x16
	pd, pg, po, pa := unsafe.Pointer(unsafe.SliceData(dIn)), unsafe.Pointer(unsafe.SliceData(dOut)), unsafe.Pointer(unsafe.SliceData(out)), unsafe.Pointer(unsafe.SliceData(argmax))
	zip := archsimd.LoadUint32x16(&pool8Zip)
	four := archsimd.BroadcastUint32x16(4)
	pos := archsimd.LoadInt32x16(&pool8Pos)
	for p := range s.N * s.C {
		for y := 0; y < oh; y++ {
			row, iu := p*oh+y, p*plane+2*y*w
			if w == 8 && y+4 <= oh {
				// Output rows y…y+3: 16 windows, the 64 inputs at iu (8 rows, no column
				// left uncovered), lane l = 4r + x.
				j := row * 4
				ov := archsimd.LoadFloat32x16(f32x16(po, j))
				gv := archsimd.LoadFloat32x16(f32x16(pg, j)).Masked(ov.Greater(zero))
				off := archsimd.LoadInt32x16(i32x16(pa, j)).Sub(pos).Sub(archsimd.BroadcastInt32x16(int32(iu)))
				ga, gb := gv.Masked(off.Equal(offA)), gv.Masked(off.Equal(offB))
				gc, gd := gv.Masked(off.Equal(offC)), gv.Masked(off.Equal(offD))
				z := zip
				for r := range 4 {
					gc.ConcatPermute(gd, z).Merge(ga.ConcatPermute(gb, z), upper8).Store(f32x16(pd, iu+16*r))
					z = z.Add(four)
				}
				y += 3
				continue
			}
			for x := 0; x < ow; x += 16 {
				b := &full
				if x+16 >= ow {
					b = &last
				}
				j := row*ow + x
				ov := archsimd.LoadMaskedFloat32x16(f32x16(po, j), b.out)
				gv := archsimd.LoadMaskedFloat32x16(f32x16(pg, j), b.out).Masked(ov.Greater(zero))
				off := archsimd.LoadMaskedInt32x16(i32x16(pa, j), b.out).Sub(cols).Sub(archsimd.BroadcastInt32x16(int32(iu + 2*x)))
				ga, gb := gv.Masked(off.Equal(offA)), gv.Masked(off.Equal(offB))
				gc, gd := gv.Masked(off.Equal(offC)), gv.Masked(off.Equal(offD))
				storePair(pd, iu+2*x, b, ga.ConcatPermute(gb, zipLo), ga.ConcatPermute(gb, zipHi))
				storePair(pd, iu+w+2*x, b, gc.ConcatPermute(gd, zipLo), gc.ConcatPermute(gd, zipHi))
			}
			if w > 2*ow { // the column no window covers
				dIn[iu+2*ow], dIn[iu+w+2*ow] = 0, 0
			}
		}
		clear(dIn[p*plane+2*oh*w : (p+1)*plane]) // the row no window covers
	}
	archsimd.ClearAVXUpperBits()
	return true
}
