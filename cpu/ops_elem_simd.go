//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"simd/archsimd"
	"unsafe"

	"github.com/vkcnn/vkcnn/model"
)

// ReLU and the 2×2 max-pool on 8 lanes (AVX2), where the SIMD convolutions are on: the
// same values, bit for bit, as the scalar loops of ops_act.go and ops_pool.go (they only
// select and compare, and keep those loops' rules for −0, NaN and ties), which run the
// last len mod 8 values and every other pool size. Also the engine's update (sumSGD).

// reluForwardSIMD is ReLUForward's out[i] = max(in[i], 0) as Go's max computes it: v
// where v > 0, +0 for ±0 and the negatives, and Go's NaN (0x7fc00000) for every NaN. (Not
// VMAXPS: which operand it returns on a NaN depends on the order the compiler gives the
// operands of the commutative Max.) It returns how many leading values it did, a multiple
// of 8.
func reluForwardSIMD(out, in []float32) int {
	if !simdConv {
		return 0
	}
	n := len(in) &^ 7
	if n == 0 {
		return 0
	}
	checkSpan(out, 0, n)
	po, pi := unsafe.Pointer(unsafe.SliceData(out)), unsafe.Pointer(unsafe.SliceData(in))
	var zero archsimd.Float32x8
	nan := archsimd.BroadcastFloat32x8(math.Float32frombits(0x7fc00000))
	for i := 0; i < n; i += 8 {
		v := load8(pi, i)
		nan.Merge(v.Masked(v.Greater(zero)), v.IsNaN()).Store((*[8]float32)(unsafe.Add(po, 4*i)))
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// reluBackwardSIMD is ReLUBackward's dIn[i] = dOut[i] where out[i] > 0 (false for ±0 and
// NaN), else +0; it returns how many leading values it did, a multiple of 8.
func reluBackwardSIMD(dIn, dOut, out []float32) int {
	if !simdConv {
		return 0
	}
	n := len(dOut) &^ 7
	if n == 0 {
		return 0
	}
	checkSpan(dIn, 0, n)
	checkSpan(out, 0, n)
	pi, pd, po := unsafe.Pointer(unsafe.SliceData(dIn)), unsafe.Pointer(unsafe.SliceData(dOut)), unsafe.Pointer(unsafe.SliceData(out))
	var zero archsimd.Float32x8
	for i := 0; i < n; i += 8 {
		load8(pd, i).Masked(load8(po, i).Greater(zero)).Store((*[8]float32)(unsafe.Add(pi, 4*i)))
	}
	archsimd.ClearAVXUpperBits()
	return n
}

// poolLanes: the output column of each lane after the even/odd split of maxPool2Row (two
// shuffles within 128-bit halves), and the permutation back to column order.
var (
	poolCols  = [8]int32{0, 2, 8, 10, 4, 6, 12, 14} // 2·x of each lane
	poolOrder = [8]uint32{0, 1, 4, 5, 2, 3, 6, 7}   // self-inverse
)

// maxPool2SIMD is maxPoolForward for Size 2 on the blocks of 8 output columns of every
// row, and one of 4 after them where at least 4 are left, with ReLU applied to the maxima
// when relu is set; it returns how many leading columns of each row it did (0: none, it
// did not run), leaving the rest to the caller.
func maxPool2SIMD(out []float32, argmax []int32, in []float32, s model.PoolShape, relu bool) int {
	if !simdConv || s.Size != 2 || s.OW() < 4 {
		return 0
	}
	oh, ow := s.OH(), s.OW()
	done := ow &^ 3
	plane, oPlane := s.H*s.W, oh*ow
	cols := archsimd.LoadInt32x8(&poolCols)
	order := archsimd.LoadUint32x8(&poolOrder)
	for p := range s.N * s.C {
		src := in[p*plane : (p+1)*plane]
		for y := range oh {
			r0 := src[2*y*s.W : (2*y+2)*s.W]
			d := out[p*oPlane+y*ow : p*oPlane+(y+1)*ow]
			a := argmax[p*oPlane+y*ow : p*oPlane+(y+1)*ow]
			base := int32(p*plane + 2*y*s.W)
			for x := 0; x < done; x += 8 {
				m := min(8, done-x) // 8, or the last 4
				maxPool2Row(d[x:x+m], a[x:x+m], r0[2*x:2*x+2*m], r0[s.W+2*x:s.W+2*x+2*m], base+int32(2*x), int32(s.W), cols, order, relu)
			}
		}
	}
	archsimd.ClearAVXUpperBits()
	return done
}

// maxPool2Row pools len(d) = 8 or 4 windows: rows u and v (2·len(d) columns each) into d
// with the flat input indices of the maxima in a: base + the window's column + its offset
// (0, 1, w, w+1 in row-major order; the first maximum wins, a NaN only where it comes
// first). For 4 windows the upper 8 columns are the lower 8 again, and the lanes that
// come out of them are dropped. With relu, d gets reluForwardSIMD's max(m, 0) of each
// maximum m instead.
func maxPool2Row(d []float32, a []int32, u, v []float32, base, w int32, cols archsimd.Int32x8, order archsimd.Uint32x8, relu bool) {
	u0, v0 := archsimd.LoadFloat32x8Slice(u[:8]), archsimd.LoadFloat32x8Slice(v[:8])
	u1, v1 := u0, v0
	if len(d) == 8 {
		u1, v1 = archsimd.LoadFloat32x8Slice(u[8:16]), archsimd.LoadFloat32x8Slice(v[8:16])
	}
	// Even and odd columns, lanes in poolCols' order.
	m := u0.SelectFromPairGrouped(0, 2, 4, 6, u1)
	off := archsimd.BroadcastInt32x8(0)
	x := u0.SelectFromPairGrouped(1, 3, 5, 7, u1)
	g := x.Greater(m)
	m, off = x.Merge(m, g), archsimd.BroadcastInt32x8(1).Merge(off, g)
	x = v0.SelectFromPairGrouped(0, 2, 4, 6, v1)
	g = x.Greater(m)
	m, off = x.Merge(m, g), archsimd.BroadcastInt32x8(w).Merge(off, g)
	x = v0.SelectFromPairGrouped(1, 3, 5, 7, v1)
	g = x.Greater(m)
	m, off = x.Merge(m, g), archsimd.BroadcastInt32x8(w+1).Merge(off, g)
	if relu {
		var zero archsimd.Float32x8
		nan := archsimd.BroadcastFloat32x8(math.Float32frombits(0x7fc00000))
		m = nan.Merge(m.Masked(m.Greater(zero)), m.IsNaN())
	}
	m.Permute(order).StoreSlicePart(d)
	off.Add(cols).Add(archsimd.BroadcastInt32x8(base)).Permute(order).StoreSlicePart(a)
}

// sumSGDSIMD is sumSGD on the first len(w) &^ 7 values, 8 at a time: each lane sums its
// parts in increasing order and takes the step with a rounded product before each add or
// subtract, as the scalar loop does. It returns how many leading values it did.
func sumSGDSIMD(w, v []float32, parts [][]float32, off int, lr, momentum float32) int {
	if !simdConv {
		return 0
	}
	n := len(w) &^ 7
	if n == 0 {
		return 0
	}
	pw := unsafe.Pointer(unsafe.SliceData(w))
	pv := unsafe.Pointer(unsafe.SliceData(v))
	lrv, mv := archsimd.BroadcastFloat32x8(lr), archsimd.BroadcastFloat32x8(momentum)
	for i := 0; i < n; i += 8 {
		g := load8At(unsafe.Pointer(unsafe.SliceData(parts[0])), off+i)
		for _, p := range parts[1:] {
			g = g.Add(load8At(unsafe.Pointer(unsafe.SliceData(p)), off+i))
		}
		if momentum != 0 {
			g = mv.Mul(load8At(pv, i)).Add(g)
			store8At(pv, i, g)
		}
		store8At(pw, i, load8At(pw, i).Sub(lrv.Mul(g)))
	}
	archsimd.ClearAVXUpperBits()
	return n
}
