//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"unsafe"

	"github.com/vkcnn/vkcnn/model"
)

// The dense layer's three products on vectors where the SIMD kernels are on (AVX2 and up):
// the same values, bit for bit, as the scalar loops of ops_dense.go, because each output
// keeps their order of additions and every product is rounded before it is added (Mul
// then Add, never a fused multiply-add), as Go's scalar float32 code does on amd64.

// load4At returns the 4 values at index i of the slice whose data p points to, unchecked.
func load4At(p unsafe.Pointer, i int) archsimd.Float32x4 {
	return archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(p, 4*i)))
}

// load8At returns the 8 values at index i of the slice whose data p points to, unchecked.
func load8At(p unsafe.Pointer, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 4*i)))
}

// store8At stores v at index i of the slice whose data p points to, unchecked.
func store8At(p unsafe.Pointer, i int, v archsimd.Float32x8) {
	v.Store((*[8]float32)(unsafe.Add(p, 4*i)))
}

// denseForwardSIMD is DenseForward: out[n,o] = b[o] + dot(w[o,:], in[n,:]) in dot's order,
// four partial sums a_j over the i ≡ j (mod 4) in increasing i (the 4 lanes of one
// vector), the last In mod 4 products added to a_0, then (a_0+a_1)+(a_2+a_3). Four outputs
// at a time share each load of a sample's inputs. It reports whether it ran (the SIMD
// kernels are on); the lengths are the caller's to check.
func denseForwardSIMD(out, in, w, b []float32, s model.DenseShape) bool {
	if !simdConv {
		return false
	}
	nIn := s.In
	n4 := nIn &^ 3
	pw := unsafe.Pointer(unsafe.SliceData(w))
	for n := range s.N {
		x := in[n*nIn : (n+1)*nIn]
		px := unsafe.Pointer(unsafe.SliceData(x))
		dst := out[n*s.Out : (n+1)*s.Out]
		o := 0
		for ; o+4 <= s.Out; o += 4 {
			p0, p1 := unsafe.Add(pw, 4*o*nIn), unsafe.Add(pw, 4*(o+1)*nIn)
			p2, p3 := unsafe.Add(pw, 4*(o+2)*nIn), unsafe.Add(pw, 4*(o+3)*nIn)
			var a0, a1, a2, a3 archsimd.Float32x4
			for i := 0; i < n4; i += 4 {
				xv := load4At(px, i)
				a0 = a0.Add(load4At(p0, i).Mul(xv))
				a1 = a1.Add(load4At(p1, i).Mul(xv))
				a2 = a2.Add(load4At(p2, i).Mul(xv))
				a3 = a3.Add(load4At(p3, i).Mul(xv))
			}
			dst[o] = b[o] + dotFinish(a0, w[o*nIn:(o+1)*nIn], x, n4)
			dst[o+1] = b[o+1] + dotFinish(a1, w[(o+1)*nIn:(o+2)*nIn], x, n4)
			dst[o+2] = b[o+2] + dotFinish(a2, w[(o+2)*nIn:(o+3)*nIn], x, n4)
			dst[o+3] = b[o+3] + dotFinish(a3, w[(o+3)*nIn:(o+4)*nIn], x, n4)
		}
		for ; o < s.Out; o++ {
			p0 := unsafe.Add(pw, 4*o*nIn)
			var a0 archsimd.Float32x4
			for i := 0; i < n4; i += 4 {
				a0 = a0.Add(load4At(p0, i).Mul(load4At(px, i)))
			}
			dst[o] = b[o] + dotFinish(a0, w[o*nIn:(o+1)*nIn], x, n4)
		}
	}
	return true
}

// dotFinish ends dot: the lanes of a are its four partial sums over the first from values;
// the products of the rest of wr and x go to the first, then (a_0+a_1)+(a_2+a_3).
func dotFinish(a archsimd.Float32x4, wr, x []float32, from int) float32 {
	a0, a1, a2, a3 := a.GetElem(0), a.GetElem(1), a.GetElem(2), a.GetElem(3)
	x = x[:len(wr)]
	for i := from; i < len(wr); i++ {
		a0 += wr[i] * x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

// denseBackwardDataSIMD is DenseBackwardData: dIn[n,i] = Σ_o dOut[n,o]·w[o,i], the sum in
// increasing o from +0 as the scalar clear-then-axpy does (combineRows). It reports
// whether it ran.
func denseBackwardDataSIMD(dIn, dOut, w []float32, s model.DenseShape) bool {
	if !simdConv {
		return false
	}
	for n := range s.N {
		combineRows(dIn[n*s.In:(n+1)*s.In], dOut, n*s.Out, 1, s.Out, w, s.In)
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// denseBackwardWeightsSIMD is DenseBackwardWeights: dW[o,i] = Σ_n dOut[n,o]·in[n,i] in
// increasing n from +0 (combineRows), and dB[o] = Σ_n dOut[n,o] as the scalar loop sums
// it. It reports whether it ran.
func denseBackwardWeightsSIMD(dW, dB, dOut, in []float32, s model.DenseShape) bool {
	if !simdConv {
		return false
	}
	for o := range s.Out {
		var sum float32
		for n := range s.N {
			sum += dOut[n*s.Out+o]
		}
		dB[o] = sum
		combineRows(dW[o*s.In:(o+1)*s.In], dOut, o, s.Out, s.N, in, s.In)
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// combineRows writes, for i < len(dst),
//
//	dst[i] = Σ_{t<count} c[first + t·cs]·rows[t·rs + i]
//
// the sum in increasing t from +0 with each product rounded before its add (no fused
// multiply-add), as the scalar loops sum it: 32 values of i at a time held in registers
// over every t, then 8, then the last len(dst) mod 8 one by one.
func combineRows(dst, c []float32, first, cs, count int, rows []float32, rs int) {
	if count == 0 {
		clear(dst)
		return
	}
	nIn := len(dst)
	checkSpan(rows, 0, (count-1)*rs+nIn)
	checkSpan(c, first, first+(count-1)*cs+1)
	n8 := nIn &^ 7
	pr, pd := unsafe.Pointer(unsafe.SliceData(rows)), unsafe.Pointer(unsafe.SliceData(dst))
	i := 0
	for ; i+32 <= n8; i += 32 {
		var c0, c1, c2, c3 archsimd.Float32x8
		for t := range count {
			gv := archsimd.BroadcastFloat32x8(c[first+t*cs])
			row := unsafe.Add(pr, 4*(t*rs+i))
			c0 = c0.Add(gv.Mul(load8At(row, 0)))
			c1 = c1.Add(gv.Mul(load8At(row, 8)))
			c2 = c2.Add(gv.Mul(load8At(row, 16)))
			c3 = c3.Add(gv.Mul(load8At(row, 24)))
		}
		store8At(pd, i, c0)
		store8At(pd, i+8, c1)
		store8At(pd, i+16, c2)
		store8At(pd, i+24, c3)
	}
	for ; i < n8; i += 8 {
		var c0 archsimd.Float32x8
		for t := range count {
			c0 = c0.Add(archsimd.BroadcastFloat32x8(c[first+t*cs]).Mul(load8At(pr, t*rs+i)))
		}
		store8At(pd, i, c0)
	}
	for ; i < nIn; i++ {
		var v float32
		for t := range count {
			v += c[first+t*cs] * rows[t*rs+i]
		}
		dst[i] = v
	}
}
