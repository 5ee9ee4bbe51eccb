//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"
	"sync"

	"github.com/vkcnn/vkcnn/model"
)

// The convolutions on 8 float32 lanes with fused multiply-adds, where the CPU has AVX2 and
// FMA (built with GOEXPERIMENT=simd on amd64). They compute the sums of ops_conv.go and
// ops_conv_backward.go, which stay the reference, with each output's terms added in another
// fixed order and fused; every function reports false, having written nothing, where it
// does not apply, and its caller then runs the scalar kernels.

// simdConv is whether the convolutions take the SIMD kernels; the tests turn it off to
// compare them with the scalar ones on the same machine.
var simdConv = archsimd.X86.AVX2() && archsimd.X86.FMA()

// simdGroupLen bounds, in float32 values (48 KiB), the zero-padded samples that
// Conv2DBackwardFilter's SIMD kernel holds at a time: as many as fit, at least one.
const simdGroupLen = 12288

// simdBufs holds the SIMD convolutions' scratch buffers (*[]float32: the zero-padded
// sources and the flipped weights), one per concurrent call; a buffer grows to the largest
// shape it has served and is zeroed before every use.
var simdBufs sync.Pool

// getBuf returns a pooled buffer of n zeros; putBuf gives it back.
func getBuf(n int) *[]float32 {
	p, _ := simdBufs.Get().(*[]float32)
	if p == nil || cap(*p) < n {
		b := make([]float32, n)
		return &b
	}
	*p = (*p)[:n]
	clear(*p)
	return p
}

func putBuf(p *[]float32) { simdBufs.Put(p) }

// convForwardSIMD is Conv2DForward as a valid correlation of each sample, zero-padded by
// PadH rows and PadW columns, with the filters, 8 output columns per vector (corrPlanes).
// A valid convolution whose rows are whole vectors reads its input in place; any other
// copies each sample into a padded pooled buffer first.
func convForwardSIMD(out, in, w, b []float32, s model.ConvShape) bool {
	if !simdConv || s.N == 0 {
		return false
	}
	if simd512 {
		convForward512(out, in, w, b, s)
		return true
	}
	if s.PadH > 0 || s.PadW > 0 || s.OW()%8 != 0 {
		return convForwardPadded(out, in, w, b, s)
	}
	g := corrGeom{C: s.C, KH: s.KH, KW: s.KW, Plane: s.H * s.W, RowW: s.W, OH: s.OH(), OW: s.OW(), Y0: 0, Y1: s.H}
	imgLen, outLen := s.C*s.H*s.W, s.OC*s.OH()*s.OW()
	for n := range s.N {
		corrPlanes(out[n*outLen:(n+1)*outLen], in[n*imgLen:(n+1)*imgLen], w, b, s.OC, &g)
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// convForwardPadded is convForwardSIMD through a padded buffer, which also holds the 8
// values past the last row that the dropped lanes of its last vector read.
func convForwardPadded(out, in, w, b []float32, s model.ConvShape) bool {
	hp, wp := s.H+2*s.PadH, s.W+2*s.PadW
	buf := getBuf(s.C*hp*wp + 8)
	defer putBuf(buf)
	pad := *buf
	g := corrGeom{C: s.C, KH: s.KH, KW: s.KW, Plane: hp * wp, RowW: wp, OH: s.OH(), OW: s.OW(),
		Y0: s.PadH, Y1: s.PadH + s.H}
	imgLen, outLen := s.C*s.H*s.W, s.OC*s.OH()*s.OW()
	for n := range s.N {
		padPlanes(pad, in[n*imgLen:(n+1)*imgLen], s.C, s.H, s.W, s.PadH, s.PadW)
		corrPlanes(out[n*outLen:(n+1)*outLen], pad, w, b, s.OC, &g)
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// convBackwardDataSIMD is Conv2DBackwardData as the valid correlation of each sample's dOut,
// zero-padded by KH−1−PadH rows and KW−1−PadW columns, with the flipped kernels
// wt[c,o,i,j] = w[o,c,KH−1−i,KW−1−j]: dIn[c,y,x] = Σ_o Σ_i Σ_j wt[c,o,i,j]·pad[o,y+i,x+j].
// Both live in one pooled buffer.
func convBackwardDataSIMD(dIn, dOut, w []float32, s model.ConvShape) bool {
	if !simdConv || s.N == 0 {
		return false
	}
	if simd512 {
		convBackwardData512(dIn, dOut, w, s)
		return true
	}
	mh, mw := s.KH-1-s.PadH, s.KW-1-s.PadW
	ph, pw := s.H+s.KH-1, s.W+s.KW-1 // = OH+2·mh, OW+2·mw
	wLen, padLen := s.WeightLen(), s.OC*ph*pw+8
	buf := getBuf(wLen + padLen)
	defer putBuf(buf)
	wt, pad := (*buf)[:wLen], (*buf)[wLen:wLen+padLen]
	kk := s.KH * s.KW
	for o := range s.OC {
		for c := range s.C {
			// Reversing a flattened KH×KW kernel flips both its axes.
			src, dst := w[(o*s.C+c)*kk:(o*s.C+c+1)*kk], wt[(c*s.OC+o)*kk:(c*s.OC+o+1)*kk]
			for t, v := range src {
				dst[kk-1-t] = v
			}
		}
	}
	g := corrGeom{C: s.OC, KH: s.KH, KW: s.KW, Plane: ph * pw, RowW: pw, OH: s.H, OW: s.W,
		Y0: mh, Y1: mh + s.OH()}
	inLen, outLen := s.C*s.H*s.W, s.OC*s.OH()*s.OW()
	for n := range s.N {
		padPlanes(pad, dOut[n*outLen:(n+1)*outLen], s.OC, s.OH(), s.OW(), mh, mw)
		corrPlanes(dIn[n*inLen:(n+1)*inLen], pad, wt, nil, s.C, &g)
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// padPlanes copies c planes of h×w values from src into dst as planes of
// (h+2·ph)×(w+2·pw) values with the source at row ph, column pw. dst's border must already
// be zero: it is left as it is.
func padPlanes(dst, src []float32, c, h, w, ph, pw int) {
	wp := w + 2*pw
	d := ph*wp + pw // dst[0,ph,pw]
	for r := 0; r < c*h; r++ {
		if r > 0 && r%h == 0 { // the next plane
			d += 2 * ph * wp
		}
		copy(dst[d:d+w], src[r*w:(r+1)*w])
		d += wp
	}
}

// corrPlanes computes, for the nf filters of w (nf,C,KH,KW),
//
//	dst[f,y,x] = b[f] + Σ_c Σ_i Σ_j w[f,c,i,j]·src[c·Plane + (y+i)·RowW + x+j]
//
// into dst (nf,OH,OW), with b nil for no bias: two filters and four vectors of 8 columns
// at a time (corrVec2x4). An odd last filter runs as a pair with itself and the last vector
// is repeated to fill the last block; both store the same values twice.
func corrPlanes(dst, src, w, b []float32, nf int, g *corrGeom) {
	wLen, plane := g.C*g.KH*g.KW, g.OH*g.OW
	nv := g.OH * ((g.OW + 7) / 8) // output vectors
	var blk corrBlock
	for f := 0; f < nf; f += 2 {
		f1 := min(f+1, nf-1)
		blk.w0, blk.w1 = w[f*wLen:(f+1)*wLen], w[f1*wLen:(f1+1)*wLen]
		blk.d0, blk.d1 = dst[f*plane:(f+1)*plane], dst[f1*plane:(f1+1)*plane]
		if b != nil {
			blk.b0, blk.b1 = b[f], b[f1]
		}
		y, x := 0, 0 // output vector v starts at column x of row y
		for v := 0; v < nv; v += 4 {
			blk.iLo, blk.iHi = g.KH, 0
			for q := range 4 {
				blk.src[q], blk.dst[q], blk.n[q] = y*g.RowW+x, y*g.OW+x, min(8, g.OW-x)
				// Kernel rows i whose source row y+i is in [Y0, Y1).
				blk.iLo, blk.iHi = min(blk.iLo, max(0, g.Y0-y)), max(blk.iHi, min(g.KH, g.Y1-y))
				if v+q < nv-1 {
					if x += 8; x >= g.OW {
						x, y = 0, y+1
					}
				}
			}
			corrVec2x4(src, &blk, g)
		}
	}
}

// convBackwardFilterSIMD is the dW of Conv2DBackwardFilter: every dW[o,c,i,j] is a sum of
// dot products of dOut rows with input rows shifted by the tap, taken 8 columns at a time
// by filterVec2x4 for two filters and four taps (flattened over c, i, j) at once; the columns
// past the last whole vector of a row are added one by one. A valid convolution reads its
// input in place; any other copies a group of zero-padded samples at a time into a pooled
// buffer and adds their sums to dW in sample order. It needs rows of at least 8 columns.
func convBackwardFilterSIMD(dW, dOut, in []float32, s model.ConvShape) bool {
	if !simdConv || s.N == 0 {
		return false
	}
	if simd512 {
		convBackwardFilter512(dW, dOut, in, s)
		return true
	}
	if s.OW() < 8 {
		return false
	}
	if s.PadH > 0 || s.PadW > 0 {
		return convBackwardFilterPadded(dW, dOut, in, s)
	}
	g := filterGeom{N: s.N, OH: s.OH(), OW: s.OW(), OW8: s.OW() &^ 7, DStride: s.OC * s.OH() * s.OW(),
		SrcLen: s.C * s.H * s.W, Plane: s.H * s.W, RowW: s.W}
	filterPlanes(dW, dOut, in, s, &g, false)
	archsimd.ClearAVXUpperBits()
	return true
}

// convBackwardFilterPadded is convBackwardFilterSIMD through a padded buffer of up to
// simdGroupLen values' worth of samples (at least one).
func convBackwardFilterPadded(dW, dOut, in []float32, s model.ConvShape) bool {
	hp, wp := s.H+2*s.PadH, s.W+2*s.PadW
	imgLen := s.C * hp * wp
	group := min(s.N, max(1, simdGroupLen/imgLen)) // samples per pass
	b := getBuf(group * imgLen)
	defer putBuf(b)
	buf := *b
	g := filterGeom{OH: s.OH(), OW: s.OW(), OW8: s.OW() &^ 7, DStride: s.OC * s.OH() * s.OW(),
		SrcLen: imgLen, Plane: hp * wp, RowW: wp}
	inLen := s.C * s.H * s.W
	for n0 := 0; n0 < s.N; n0 += group {
		g.N = min(group, s.N-n0)
		for n := range g.N {
			padPlanes(buf[n*imgLen:(n+1)*imgLen], in[(n0+n)*inLen:(n0+n+1)*inLen], s.C, s.H, s.W, s.PadH, s.PadW)
		}
		filterPlanes(dW, dOut[n0*g.DStride:], buf[:g.N*imgLen], s, &g, n0 > 0)
	}
	archsimd.ClearAVXUpperBits()
	return true
}

// filterPlanes writes (add false) or adds (add true) to dW (OC,C,KH,KW)
//
//	Σ_n Σ_y Σ_x dOut[n,o,y,x]·src[n·SrcLen + c·Plane + (y+i)·RowW + x+j]
//
// over the g.N samples of dOut and src. An odd last filter runs as a pair with itself and
// the last block of taps repeats the last tap; neither stores its copies.
func filterPlanes(dW, dOut, src []float32, s model.ConvShape, g *filterGeom, add bool) {
	kk := s.KH * s.KW
	taps := s.C * kk
	plane := g.OH * g.OW
	var blk filterBlock
	for o := 0; o < s.OC; o += 2 {
		o1 := min(o+1, s.OC-1)
		blk.d0, blk.d1 = dOut[o*plane:], dOut[o1*plane:]
		c, i, j := 0, 0, 0 // tap t
		for t := 0; t < taps; t += 4 {
			for q := range 4 {
				blk.tap[q] = c*g.Plane + i*g.RowW + j
				if t+q < taps-1 {
					if j++; j == s.KW {
						if j, i = 0, i+1; i == s.KH {
							i, c = 0, c+1
						}
					}
				}
			}
			s0, s1 := filterVec2x4(src, &blk, g)
			m := min(4, taps-t)
			storeTaps(dW[o*taps+t:o*taps+t+m], s0, add)
			if o1 != o {
				storeTaps(dW[o1*taps+t:o1*taps+t+m], s1, add)
			}
		}
	}
	if g.OW8 == g.OW {
		return
	}
	// The columns x ≥ OW8, one product at a time.
	for o := range s.OC {
		for t := range taps {
			c, i, j := t/kk, t%kk/s.KW, t%s.KW
			var a float32
			for n := range g.N {
				for y := range g.OH {
					d := dOut[n*g.DStride+o*plane+y*g.OW : n*g.DStride+o*plane+(y+1)*g.OW]
					r := src[n*g.SrcLen+c*g.Plane+(y+i)*g.RowW+j:]
					for x := g.OW8; x < g.OW; x++ {
						a += d[x] * r[x]
					}
				}
			}
			dW[o*taps+t] += a
		}
	}
}

// storeTaps writes (add false) or adds (add true) the first len(d) ≤ 4 lanes of v to d.
func storeTaps(d []float32, v archsimd.Float32x4, add bool) {
	if add {
		v = v.Add(archsimd.LoadFloat32x4SlicePart(d))
	}
	v.StoreSlicePart(d)
}
