package cpu

import "github.com/vkcnn/vkcnn/model"

const (
	errConvForward = "cpu: Conv2DForward: a slice length does not match the ConvShape"
	errConvData    = "cpu: Conv2DBackwardData: a slice length does not match the ConvShape"
	errConvFilter  = "cpu: Conv2DBackwardFilter: a slice length does not match the ConvShape"
	errConvPad     = "cpu: conv: padding must be in [0, kernel size)"
)

func checkPad(s model.ConvShape) {
	if s.PadH < 0 || s.PadW < 0 || s.PadH >= s.KH || s.PadW >= s.KW {
		panic(errConvPad)
	}
}

// Conv2DForward computes
//
//	out[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j w[o,c,i,j]·in[n,c,y+i−PadH,x+j−PadW]
//
// with in taken as zero outside (N,C,H,W). in is (N,C,H,W), w is (OC,C,KH,KW), b is (OC),
// out is (N,OC,OH,OW).
//
// Two filters at a time, each output row is cut into blocks of 4 columns whose taps all
// lie inside the input row; a block keeps its 2×4 sums in registers over every c, i, j
// and reads the input as contiguous 4-wide runs shared by both filters. Border and
// leftover columns take the clipped scalar path. An odd last filter runs as a pair with
// itself. Where the CPU has AVX2 and FMA and the build has GOEXPERIMENT=simd, the
// 8-wide kernels of ops_conv_simd.go run instead.
func Conv2DForward(out, in, w, b []float32, s model.ConvShape) {
	if len(out) != s.OutLen() || len(in) != s.InLen() || len(w) != s.WeightLen() || len(b) != s.OC {
		panic(errConvForward)
	}
	checkPad(s)
	if convForwardSIMD(out, in, w, b, s) {
		return
	}
	oh, ow := s.OH(), s.OW()
	imgLen, plane, wLen := s.C*s.H*s.W, oh*ow, s.C*s.KH*s.KW
	// Columns x in [xLo, xHi) read input columns x−PadW … x−PadW+KW−1, all inside the row.
	xLo, xHi := min(s.PadW, ow), min(s.W+s.PadW-s.KW+1, ow)
	for n := range s.N {
		img := in[n*imgLen : (n+1)*imgLen]
		for o := 0; o < s.OC; o += 2 {
			o1 := min(o+1, s.OC-1)
			w0, w1 := w[o*wLen:(o+1)*wLen], w[o1*wLen:(o1+1)*wLen]
			b0, b1 := b[o], b[o1]
			p0 := out[(n*s.OC+o)*plane : (n*s.OC+o+1)*plane]
			p1 := out[(n*s.OC+o1)*plane : (n*s.OC+o1+1)*plane]
			for y := range oh {
				iLo, iHi := max(0, s.PadH-y), min(s.KH, s.H+s.PadH-y)
				ry := y - s.PadH
				r0, r1 := p0[y*ow:(y+1)*ow], p1[y*ow:(y+1)*ow]
				x := 0
				for ; x < xLo; x++ {
					r0[x] = b0 + convAt(img, w0, s, iLo, iHi, ry, x-s.PadW)
					r1[x] = b1 + convAt(img, w1, s, iLo, iHi, ry, x-s.PadW)
				}
				for ; x+4 <= xHi; x += 4 {
					a0, a1, a2, a3, c0, c1, c2, c3 := corr2x4(img, w0, w1, s, iLo, iHi, ry, x-s.PadW)
					q := r0[x : x+4 : x+4]
					q[0], q[1], q[2], q[3] = b0+a0, b0+a1, b0+a2, b0+a3
					q = r1[x : x+4 : x+4]
					q[0], q[1], q[2], q[3] = b1+c0, b1+c1, b1+c2, b1+c3
				}
				for ; x < ow; x++ {
					r0[x] = b0 + convAt(img, w0, s, iLo, iHi, ry, x-s.PadW)
					r1[x] = b1 + convAt(img, w1, s, iLo, iHi, ry, x-s.PadW)
				}
			}
		}
	}
}

// corr2x4 returns, for k = 0..3, Σ_c Σ_{i∈[iLo,iHi)} Σ_j w0[c,i,j]·img[c,ry+i,rx+j+k] as
// a0…a3 and the same with w1 as b0…b3, where img is one (C,H,W) sample and w0, w1 two
// (C,KH,KW) filters; every column read must lie inside its row.
func corr2x4(img, w0, w1 []float32, s model.ConvShape, iLo, iHi, ry, rx int) (a0, a1, a2, a3, b0, b1, b2, b3 float32) {
	w1 = w1[:len(w0)]
	kw := s.KW
	for c := range s.C {
		r := (c*s.H+ry+iLo)*s.W + rx // img[c,ry+i,rx]
		k := (c*s.KH + iLo) * kw     // w[c,i,0]
		for i := iLo; i < iHi; i, r, k = i+1, r+s.W, k+kw {
			row := img[r : r+kw+3]
			p, q := w0[k:k+kw], w1[k:k+kw]
			q = q[:len(p)]
			for j, u := range p {
				v := row[j : j+4 : j+4]
				t := q[j]
				x0, x1, x2, x3 := v[0], v[1], v[2], v[3]
				a0 += u * x0
				b0 += t * x0
				a1 += u * x1
				b1 += t * x1
				a2 += u * x2
				b2 += t * x2
				a3 += u * x3
				b3 += t * x3
			}
		}
	}
	return
}

// convAt returns Σ_c Σ_{i∈[iLo,iHi)} Σ_j w[c,i,j]·img[c,ry+i,rx+j] over the taps j whose
// column rx+j lies inside the row: one output value with its columns clipped.
func convAt(img, w []float32, s model.ConvShape, iLo, iHi, ry, rx int) float32 {
	jLo, jHi := max(0, -rx), min(s.KW, s.W-rx)
	var a float32
	for c := range s.C {
		for i := iLo; i < iHi; i++ {
			row := img[(c*s.H+ry+i)*s.W : (c*s.H+ry+i+1)*s.W]
			wr := w[(c*s.KH+i)*s.KW : (c*s.KH+i+1)*s.KW]
			for j := jLo; j < jHi; j++ {
				a += wr[j] * row[rx+j]
			}
		}
	}
	return a
}
