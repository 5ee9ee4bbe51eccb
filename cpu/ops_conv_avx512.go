//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"unsafe"

	"github.com/vkcnn/vkcnn/model"
)

// The convolutions on 16 float32 lanes, where the CPU has AVX-512 (F, CD, BW, DQ, VL) and
// the SIMD convolutions are on; the 8-lane AVX2 kernels of ops_conv_simd.go run on CPUs
// without it. All three ops are matrix products (the assembly kernels of gemm_avx512.go)
// over the patch matrix of a group of g samples,
//
//	col[k, n·P + p] = in[n, c, y+i−PadH, x+j−PadW]   (zero outside the input)
//
// (K × g·P, rows g·P apart) with k = (c·KH + i)·KW + j < K = C·KH·KW and p = y·OW + x <
// P = OH·OW, so that a row runs along p through whole output planes and then through the
// group's samples: lenet-16-32's second convolution (P = 8·8) and conv3-16-32-32's third
// (P = 2·2) are one product over a chunk's 8 samples, not 8 narrow ones.
//
//	forward  out[n, o, p]    = b[o] + Σ_k w[o, k]·col[k, n·P + p]           gemm512, then (OC, g·P) → (g, OC, P)
//	data     dcol[k, n·P + p] = Σ_o w[o, k]·dOut[n, o, p]                  gemm512 with a = wᵀ
//	         dIn[n, c, y+i−PadH, x+j−PadW] += dcol[k, n·P + p]             col2im
//	filter   dW[o, k]       = Σ_n Σ_p dOut[n, o, p]·col[k, n·P + p]         dot512 over the g·P terms
//
// The input gradient thus costs the forward's multiply-adds, not those of a correlation over
// the zero-padded dOut. Every output is summed in a fixed order that depends on the shape
// only (the group size included), never on the threads.

// simd512 is whether the SIMD convolutions (when simdConv is on) take the 16-lane kernels
// of this file rather than the 8-lane ones.
var simd512 = archsimd.X86.AVX512()

// filterGroupLen bounds, in float32 values (1 MiB), the patch matrix of the samples that
// the AVX-512 ops hold at a time: as many samples as fit, at least one (all 8 of an engine
// chunk for lenet-16-32's convolutions).
const filterGroupLen = 1 << 18

// convGroup is the number of samples per patch matrix for shape s.
func convGroup(s model.ConvShape) int {
	return min(s.N, max(1, filterGroupLen/(s.C*s.KH*s.KW*s.OH()*s.OW())))
}

// convForward512 is Conv2DForward: per group of samples, the patch matrix, the product
// w·col + b into (OC, g·P) and its planes copied to their samples.
func convForward512(out, in, w, b []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	g := convGroup(s)
	gp := g * p
	buf := getBuf(k*gp + s.OC*gp)
	defer putBuf(buf)
	col, prod := (*buf)[:k*gp], (*buf)[k*gp:]
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	for n0 := 0; n0 < s.N; n0 += g {
		gg := min(g, s.N-n0)
		if gg == 1 { // one sample: the product is its output
			im2col(col, gp, in[n0*inLen:(n0+1)*inLen], s)
			gemm512(out[n0*outLen:(n0+1)*outLen], p, w, k, 1, col, gp, b, s.OC, p, k, false)
			continue
		}
		for n := range gg {
			im2col(col[n*p:], gp, in[(n0+n)*inLen:(n0+n+1)*inLen], s)
		}
		gemm512(prod, gp, w, k, 1, col, gp, b, s.OC, gg*p, k, false)
		for n := range gg {
			o := out[(n0+n)*outLen : (n0+n+1)*outLen]
			for f := range s.OC {
				copy(o[f*p:(f+1)*p], prod[f*gp+n*p:])
			}
		}
	}
	archsimd.ClearAVXUpperBits()
}

// convBackwardData512 is Conv2DBackwardData: per group of samples, dOut as one (OC, g·P)
// matrix, dcol = wᵀ·dOut, and dcol added back onto the input positions its patch entries
// came from (col2im).
func convBackwardData512(dIn, dOut, w []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	g := convGroup(s)
	gp := g * p
	buf := getBuf(k*gp + s.OC*gp)
	defer putBuf(buf)
	dcol, src := (*buf)[:k*gp], (*buf)[k*gp:]
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	clear(dIn)
	for n0 := 0; n0 < s.N; n0 += g {
		gg := min(g, s.N-n0)
		b, ldb := dOut[n0*outLen:(n0+1)*outLen], p // one sample: its dOut is the matrix
		if gg > 1 {
			gatherPlanes(src, gp, dOut[n0*outLen:(n0+gg)*outLen], s.OC, p, gg)
			b, ldb = src, gp
		}
		// dcol[k, n·P + p] = Σ_o w[o·K + k]·dOut[o, n·P + p]: row step 1, term step K.
		gemm512(dcol, gp, w, 1, k, b, ldb, nil, k, gg*p, s.OC, false)
		for n := range gg {
			col2im(dIn[(n0+n)*inLen:(n0+n+1)*inLen], dcol[n*p:], gp, s)
		}
	}
	archsimd.ClearAVXUpperBits()
}

// convBackwardFilter512 is the dW of Conv2DBackwardFilter: per group of samples, the patch
// matrix and dOut as one (OC, g·P) matrix, then dW (+)= dOut·colᵀ, the groups added in
// sample order.
func convBackwardFilter512(dW, dOut, in []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	g := convGroup(s)
	gp := g * p
	buf := getBuf(k*gp + s.OC*gp)
	defer putBuf(buf)
	col, src := (*buf)[:k*gp], (*buf)[k*gp:]
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	for n0 := 0; n0 < s.N; n0 += g {
		gg := min(g, s.N-n0)
		for n := range gg {
			im2col(col[n*p:], gp, in[(n0+n)*inLen:(n0+n+1)*inLen], s)
		}
		a, lda := dOut[n0*outLen:(n0+1)*outLen], p // one sample: its dOut is the matrix
		if gg > 1 {
			gatherPlanes(src, gp, dOut[n0*outLen:(n0+gg)*outLen], s.OC, p, gg)
			a, lda = src, gp
		}
		dot512(dW, k, a, lda, col, gp, s.OC, k, gg*p, n0 > 0)
	}
	archsimd.ClearAVXUpperBits()
}

// gatherPlanes copies g samples of nf planes of P values, src[n, f, p], into dst[f·ld +
// n·P + p] (nf rows of ld ≥ g·P).
func gatherPlanes(dst []float32, ld int, src []float32, nf, p, g int) {
	for n := range g {
		for f := range nf {
			copy(dst[f*ld+n*p:f*ld+(n+1)*p], src[(n*nf+f)*p:(n*nf+f+1)*p])
		}
	}
}

// im2col writes one sample's patch matrix col[k·ld + p] (see the file's comment; ld ≥ P is
// the group's row length) for the input positions inside img (C,H,W); the entries of
// positions outside are left as they are, so col must hold zeros there (a fresh buffer, or
// one written for the same shape and ld).
func im2col(col []float32, ld int, img []float32, s model.ConvShape) {
	oh, ow := s.OH(), s.OW()
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
					copyRows(col[k*ld+yLo*ow+xLo:], img[r:], ow, s.W, yHi-yLo, xHi-xLo)
				}
				k++
			}
		}
	}
}

// col2im adds a sample's dcol (K rows ld apart, P used) onto dIn (C,H,W): dIn[c, y+i−PadH,
// x+j−PadW] += dcol[k·ld + y·OW + x] for the positions inside, in the order of k, then y.
func col2im(dIn, dcol []float32, ld int, s model.ConvShape) {
	oh, ow := s.OH(), s.OW()
	k := 0
	for c := range s.C {
		for i := range s.KH {
			yLo, yHi := max(0, s.PadH-i), min(oh, s.H+s.PadH-i)
			for j := range s.KW {
				xLo, xHi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j)
				if xLo < xHi && yLo < yHi {
					r := (c*s.H+yLo+i-s.PadH)*s.W + xLo + j - s.PadW
					addRows(dIn[r:], dcol[k*ld+yLo*ow+xLo:], s.W, ow, yHi-yLo, xHi-xLo)
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
