//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"unsafe"

	"github.com/vkcnn/vkcnn/model"
)

// The convolutions on 16 float32 lanes, where the CPU has AVX-512 (F, CD, BW, DQ, VL) and
// the SIMD convolutions are on; the 8-lane AVX2 kernels of ops_conv_simd.go run on CPUs
// without it. All three ops are matrix products over one sample's patch matrix
//
//	col[k, p] = in[c, y+i−PadH, x+j−PadW]   (zero outside the input)
//
// with k = (c·KH + i)·KW + j < K = C·KH·KW and p = y·OW + x < P = OH·OW, so that a vector
// runs along p through whole output planes (lenet's 8×8 and 24×24 maps are 4 and 36 full
// vectors, where a row of 8 fills half an AVX-512 vector):
//
//	forward  out[o, p]  = b[o] + Σ_k w[o, k]·col[k, p]
//	data     dcol[k, p] = Σ_o w[o, k]·dOut[o, p], then dIn[c, y+i−PadH, x+j−PadW] += dcol[k, p]
//	filter   dW[o, k]   = Σ_n Σ_p dOut[n, o, p]·col_n[k, p]
//
// The input gradient thus costs the forward's multiply-adds, not those of a correlation over
// the zero-padded dOut. Every output is summed in a fixed order, independent of threads.

// simd512 is whether the SIMD convolutions (when simdConv is on) take the 16-lane kernels
// of this file rather than the 8-lane ones.
var simd512 = archsimd.X86.AVX512()

// filterGroupLen bounds, in float32 values (1 MiB), the patch matrices of the samples that
// the AVX-512 weight gradient holds at a time: as many samples as fit, at least one (all 8
// of an engine chunk for lenet-16-32's second convolution).
const filterGroupLen = 1 << 18

// load16 returns the 16 values at index i of the slice whose data p points to, unchecked.
func load16(p unsafe.Pointer, i int) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, 4*i)))
}

// bcast16 returns the value at index i of the slice whose data p points to in all 16 lanes,
// unchecked.
func bcast16(p unsafe.Pointer, i int) archsimd.Float32x16 {
	return archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p, 4*i)))
}

// convForward512 is Conv2DForward: per sample, the patch matrix, then out = w·col + b.
func convForward512(out, in, w, b []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	buf := getBuf(k*p + 16) // 16 values of slack for the last vector's dropped lanes
	defer putBuf(buf)
	col := *buf
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	for n := range s.N {
		im2col(col, in[n*inLen:(n+1)*inLen], s)
		gemm(out[n*outLen:(n+1)*outLen], col, w, b, s.OC, k, p, k, 1)
	}
	archsimd.ClearAVXUpperBits()
}

// convBackwardData512 is Conv2DBackwardData: per sample, dcol = wᵀ·dOut, then dcol is added
// back onto the input positions its patch entries came from (col2im).
func convBackwardData512(dIn, dOut, w []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	buf := getBuf(k*p + outLen + 16)
	defer putBuf(buf)
	// dOut of a sample, copied with the 16 values of slack that gemm reads.
	dcol, src := (*buf)[:k*p], (*buf)[k*p:]
	clear(dIn)
	for n := range s.N {
		copy(src, dOut[n*outLen:(n+1)*outLen])
		// dcol[k, p] = Σ_o w[o·K + k]·dOut[o·P + p]: filter k, weight step K, OC terms.
		gemm(dcol, src, w, nil, k, s.OC, p, 1, k)
		col2im(dIn[n*inLen:(n+1)*inLen], dcol, s)
	}
	archsimd.ClearAVXUpperBits()
}

// convBackwardFilter512 is the dW of Conv2DBackwardFilter: the patch matrices of a group of
// samples, then dW (+)= Σ_n dOut_n·col_nᵀ, the groups added in sample order.
func convBackwardFilter512(dW, dOut, in []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	group := min(s.N, max(1, filterGroupLen/(k*p)))
	buf := getBuf(group * k * p)
	defer putBuf(buf)
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	for n0 := 0; n0 < s.N; n0 += group {
		g := min(group, s.N-n0)
		for n := range g {
			im2col((*buf)[n*k*p:(n+1)*k*p], in[(n0+n)*inLen:(n0+n+1)*inLen], s)
		}
		gemmNT(dW, dOut[n0*outLen:(n0+g)*outLen], (*buf)[:g*k*p], s.OC, k, p, g, n0 > 0)
	}
	archsimd.ClearAVXUpperBits()
}

// im2col writes one sample's patch matrix col[k·P + p] (see the file's comment) for the
// input positions inside img (C,H,W); the entries of positions outside are left as they
// are, so col must hold zeros there (a fresh buffer, or one written for the same shape).
func im2col(col, img []float32, s model.ConvShape) {
	oh, ow := s.OH(), s.OW()
	p := oh * ow
	k := 0
	for c := range s.C {
		for i := range s.KH {
			// Output rows y whose input row y+i−PadH is inside.
			yLo, yHi := max(0, s.PadH-i), min(oh, s.H+s.PadH-i)
			for j := range s.KW {
				// Output columns x whose input column x+j−PadW is inside.
				xLo, xHi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j)
				if xLo < xHi && yLo < yHi {
					r := (c*s.H+yLo+i-s.PadH)*s.W + xLo + j - s.PadW // img[c, yLo+i−PadH, xLo+j−PadW]
					copyRows(col[k*p+yLo*ow+xLo:], img[r:], ow, s.W, yHi-yLo, xHi-xLo)
				}
				k++
			}
		}
	}
}

// col2im adds a sample's dcol (K, P) onto dIn (C,H,W): dIn[c, y+i−PadH, x+j−PadW] +=
// dcol[k·P + y·OW + x] for the positions inside, in the order of k, then y.
func col2im(dIn, dcol []float32, s model.ConvShape) {
	oh, ow := s.OH(), s.OW()
	p := oh * ow
	k := 0
	for c := range s.C {
		for i := range s.KH {
			yLo, yHi := max(0, s.PadH-i), min(oh, s.H+s.PadH-i)
			for j := range s.KW {
				xLo, xHi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j)
				if xLo < xHi && yLo < yHi {
					r := (c*s.H+yLo+i-s.PadH)*s.W + xLo + j - s.PadW
					addRows(dIn[r:], dcol[k*p+yLo*ow+xLo:], s.W, ow, yHi-yLo, xHi-xLo)
				}
				k++
			}
		}
	}
}

// copyRows copies rows ≥ 1 runs of n ≥ 1 values, src[y·ss + x] to dst[y·ds + x], eight at a
// time (a run's last eight overlapping the one before).
func copyRows(dst, src []float32, ds, ss, rows, n int) {
	checkSpan(dst, 0, (rows-1)*ds+n)
	checkSpan(src, 0, (rows-1)*ss+n)
	if n < 8 {
		for y := range rows {
			copy(dst[y*ds:y*ds+n], src[y*ss:y*ss+n])
		}
		return
	}
	pd, ps := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	for y := 0; y < rows; y, pd, ps = y+1, unsafe.Add(pd, 4*ds), unsafe.Add(ps, 4*ss) {
		for x := 0; x < n-8; x += 8 {
			load8(ps, x).Store((*[8]float32)(unsafe.Add(pd, 4*x)))
		}
		load8(ps, n-8).Store((*[8]float32)(unsafe.Add(pd, 4*(n-8))))
	}
}

// addRows adds rows ≥ 1 runs of n ≥ 1 values, src[y·ss + x] to dst[y·ds + x], eight at a
// time and the last n mod 8 one by one.
func addRows(dst, src []float32, ds, ss, rows, n int) {
	checkSpan(dst, 0, (rows-1)*ds+n)
	checkSpan(src, 0, (rows-1)*ss+n)
	pd, ps := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	n8 := n &^ 7
	for y := range rows {
		d, s := unsafe.Add(pd, 4*y*ds), unsafe.Add(ps, 4*y*ss)
		for x := 0; x < n8; x += 8 {
			load8(d, x).Add(load8(s, x)).Store((*[8]float32)(unsafe.Add(d, 4*x)))
		}
		for x := n8; x < n; x++ {
			dst[y*ds+x] += src[y*ss+x]
		}
	}
}
