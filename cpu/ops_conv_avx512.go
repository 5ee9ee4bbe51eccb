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
// group's samples: conv3-16-32-32's third convolution (P = 2·2) is one product over a
// chunk's 8 samples, not 8 of 4 columns, and the weight gradient of lenet-16-32's second
// (P = 8·8) one sum of 512 terms per weight. The group is one sample where its plane
// fills the kernels' blocks (productGroup, filterOwnTerms).
//
//	forward  out[n, o, p]    = b[o] + Σ_k w[o, k]·col[k, n·P + p]           gemm512, then (OC, g·P) → (g, OC, P)
//	data     dcol[k, n·P + p] = Σ_o w[o, k]·dOut[n, o, p]                  gemm512 with a = wᵀ
//	         dIn[n, c, y+i−PadH, x+j−PadW] += dcol[k, n·P + p]             col2im512 (a gather per input row)
//	filter   dW[o, k]       = Σ_n Σ_p dOut[n, o, p]·col[k, n·P + p]         dot512 over the g·P terms
//	         dB[o]          = Σ_n Σ_p dOut[n, o, p]                          convBiasGradSIMD
//
// The input gradient thus costs the forward's multiply-adds, not those of a correlation over
// the zero-padded dOut. Every output is summed in a fixed order that depends on the shape
// only (the group size included), never on the threads.

// simd512 is whether the SIMD convolutions (when simdConv is on) take the 16-lane kernels
// of this file rather than the 8-lane ones.
var simd512 = archsimd.X86.AVX512()

// filterGroupLen bounds, in float32 values (1 MiB), the matrices of the samples that the
// AVX-512 weight gradient holds at a time (dOut, and the patch matrix of a padded
// convolution): as many samples as fit, at least one (all 8 of an engine chunk for the
// presets), so that its dot products run over as many terms as they can.
const filterGroupLen = 1 << 18

// filterOwnTerms is the plane size P from which the weight gradient of a valid
// convolution sums each sample on its own (P terms per pass, dOut in place) rather than
// gathering the planes of several samples into one matrix first (lenet's first
// convolution, P = 576; its second, P = 64, sums 8 samples at a time).
const filterOwnTerms = 256

// patchBlockLen bounds, in float32 values (256 KiB, a quarter of a Zen 5 core's L2
// cache), the block of patch rows of a valid convolution's weight gradient.
const patchBlockLen = 1 << 16

// productCols is the number of columns (g·P) the forward and data products take at least,
// one block of the kernels' 4 vectors: one sample where P ≥ 64, else as many samples as
// make 64 columns (conv3-16-32-32's third convolution: 16 samples of 2·2).
const productCols = 64

// productGroup is the number of samples per patch matrix of the forward and data products.
func productGroup(s model.ConvShape) int {
	p := s.OH() * s.OW()
	return min(s.N, max(1, min((productCols+p-1)/p, filterGroupLen/(s.C*s.KH*s.KW*p))))
}

// valid is whether s has no padding: every patch entry lies inside the input, and the
// assembly im2col512 and col2im512 apply.
func valid(s model.ConvShape) bool { return s.PadH == 0 && s.PadW == 0 }

// getScratch returns a pooled buffer of n values, zeroed only if zero (patch matrices of
// padded convolutions, whose entries outside the input im2col leaves as they are).
func getScratch(n int, zero bool) *[]float32 {
	p, _ := simdBufs.Get().(*[]float32)
	if p == nil || cap(*p) < n {
		b := make([]float32, n)
		return &b
	}
	*p = (*p)[:n]
	if zero {
		clear(*p)
	}
	return p
}

// patches writes one sample's patch matrix (rows ld apart) into col, which for a padded
// convolution must hold zeros at the entries outside the input.
func patches(col []float32, ld int, img []float32, s model.ConvShape) {
	if valid(s) {
		im2col512(col, ld, img, s, 0, s.C*s.KH*s.KW)
	} else {
		im2col(col, ld, img, s)
	}
}

// convForward512 is Conv2DForward: per group of samples, the patch matrix, the product
// w·col + b into (OC, g·P) and its planes copied to their samples.
func convForward512(out, in, w, b []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	g := productGroup(s)
	gp := g * p
	buf := getScratch(k*gp+s.OC*gp, !valid(s))
	defer putBuf(buf)
	col, prod := (*buf)[:k*gp], (*buf)[k*gp:]
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	for n0 := 0; n0 < s.N; n0 += g {
		gg := min(g, s.N-n0)
		if gg == 1 { // one sample: the product is its output
			patches(col, gp, in[n0*inLen:(n0+1)*inLen], s)
			gemm512(out[n0*outLen:(n0+1)*outLen], p, w, k, 1, col, gp, b, s.OC, p, k, false)
			continue
		}
		for n := range gg {
			patches(col[n*p:], gp, in[(n0+n)*inLen:(n0+n+1)*inLen], s)
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
// came from (col2im512, or col2im onto a cleared dIn where there is padding).
func convBackwardData512(dIn, dOut, w []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	g := productGroup(s)
	gp := g * p
	buf := getScratch(k*gp+s.OC*gp, false)
	defer putBuf(buf)
	dcol, src := (*buf)[:k*gp], (*buf)[k*gp:]
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	if !valid(s) {
		clear(dIn)
	}
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
			d := dIn[(n0+n)*inLen : (n0+n+1)*inLen]
			if valid(s) {
				col2im512(d, dcol[n*p:], gp, s)
			} else {
				col2im(d, dcol[n*p:], gp, s)
			}
		}
	}
	archsimd.ClearAVXUpperBits()
}

// convBackwardFilter512 is the dW of Conv2DBackwardFilter: per group of samples, dOut as
// one (OC, g·P) matrix and the patch matrix, dW (+)= dOut·colᵀ, the groups added in
// sample order. A valid convolution takes the patch rows patchBlockLen values at a time
// (kb rows of all g samples, written by im2col512 and summed into dW[:, k0:k0+kb] while
// they are in the L2 cache); a padded one the whole patch matrix of a group, at most
// filterGroupLen values.
func convBackwardFilter512(dW, dOut, in []float32, s model.ConvShape) {
	k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
	var g, kb int
	if valid(s) {
		g = min(s.N, max(1, filterGroupLen/(s.OC*p)))
		if p >= filterOwnTerms {
			g = 1 // a sample's dOut is the matrix a, without a copy
		}
		kb = ceilDiv(k, ceilDiv(k*g*p, patchBlockLen)) // rows per block, blocks of nearly equal size
	} else {
		g, kb = min(s.N, max(1, filterGroupLen/(k*p))), k
	}
	gp := g * p
	buf := getScratch(kb*gp+s.OC*gp, !valid(s))
	defer putBuf(buf)
	col, src := (*buf)[:kb*gp], (*buf)[kb*gp:]
	inLen, outLen := s.InLen()/s.N, s.OutLen()/s.N
	for n0 := 0; n0 < s.N; n0 += g {
		gg := min(g, s.N-n0)
		a, lda := dOut[n0*outLen:(n0+1)*outLen], p // one sample: its dOut is the matrix
		if gg > 1 {
			gatherPlanes(src, gp, dOut[n0*outLen:(n0+gg)*outLen], s.OC, p, gg)
			a, lda = src, gp
		}
		for k0 := 0; k0 < k; k0 += kb {
			k1 := min(k, k0+kb)
			for n := range gg {
				img := in[(n0+n)*inLen : (n0+n+1)*inLen]
				if valid(s) {
					im2col512(col[n*p:], gp, img, s, k0, k1)
				} else {
					im2col(col[n*p:], gp, img, s)
				}
			}
			dot512(dW[k0:], k, a, lda, col, gp, s.OC, k1-k0, gg*p, n0 > 0)
		}
	}
	archsimd.ClearAVXUpperBits()
}

// convBiasGradSIMD computes Conv2DBackwardFilter's dB[o] = Σ_n Σ_p dOut[n, o, p] on the
// AVX-512 path (reporting false, having written nothing, on the others): per o, four
// accumulators of 16 lanes take the planes of every sample in order, 64 values at a time
// (then 16, then the last 1…15), and are added as (0 + 1) + (2 + 3), then across lanes.
// The scalar sums (sumf) took 30% of lenet-16-32's first weight gradient.
func convBiasGradSIMD(dB, dOut []float32, s model.ConvShape) bool {
	if !simdConv || !simd512 || s.N == 0 {
		return false
	}
	p := s.OH() * s.OW()
	for o := range s.OC {
		var a0, a1, a2, a3 archsimd.Float32x16
		for n := range s.N {
			plane := dOut[(n*s.OC+o)*p : (n*s.OC+o+1)*p]
			i := 0
			for ; i+64 <= p; i += 64 {
				a0 = a0.Add(archsimd.LoadFloat32x16Slice(plane[i : i+16]))
				a1 = a1.Add(archsimd.LoadFloat32x16Slice(plane[i+16 : i+32]))
				a2 = a2.Add(archsimd.LoadFloat32x16Slice(plane[i+32 : i+48]))
				a3 = a3.Add(archsimd.LoadFloat32x16Slice(plane[i+48 : i+64]))
			}
			for ; i+16 <= p; i += 16 {
				a0 = a0.Add(archsimd.LoadFloat32x16Slice(plane[i : i+16]))
			}
			if i < p {
				a1 = a1.Add(archsimd.LoadFloat32x16SlicePart(plane[i:]))
			}
		}
		t := a0.Add(a1).Add(a2.Add(a3))
		h := t.GetLo().Add(t.GetHi())
		q := h.GetLo().Add(h.GetHi())
		dB[o] = (q.GetElem(0) + q.GetElem(1)) + (q.GetElem(2) + q.GetElem(3))
	}
	archsimd.ClearAVXUpperBits()
	return true
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
