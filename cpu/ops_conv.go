package cpu

import "vkcnn/model"

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
// Each output row is cut into blocks of 8 (then 4) columns whose taps all lie inside the
// input row; a block keeps its sums in registers over every c, i, j and reads the input as
// contiguous 8-wide runs. Border and leftover columns take the clipped scalar path.
func Conv2DForward(out, in, w, b []float32, s model.ConvShape) {
	if len(out) != s.OutLen() || len(in) != s.InLen() || len(w) != s.WeightLen() || len(b) != s.OC {
		panic(errConvForward)
	}
	checkPad(s)
	oh, ow := s.OH(), s.OW()
	imgLen, plane, wLen := s.C*s.H*s.W, oh*ow, s.C*s.KH*s.KW
	// Columns x in [xLo, xHi) read input columns x−PadW … x−PadW+KW−1, all inside the row.
	xLo, xHi := min(s.PadW, ow), min(s.W+s.PadW-s.KW+1, ow)
	for n := range s.N {
		img := in[n*imgLen : (n+1)*imgLen]
		for o := range s.OC {
			wo := w[o*wLen : (o+1)*wLen]
			bias := b[o]
			dst := out[(n*s.OC+o)*plane : (n*s.OC+o+1)*plane]
			for y := range oh {
				iLo, iHi := max(0, s.PadH-y), min(s.KH, s.H+s.PadH-y)
				ry := y - s.PadH
				row := dst[y*ow : (y+1)*ow]
				x := 0
				for ; x < xLo; x++ {
					row[x] = bias + convAt(img, wo, s, iLo, iHi, ry, x-s.PadW)
				}
				for ; x+8 <= xHi; x += 8 {
					a0, a1, a2, a3, a4, a5, a6, a7 := corr8(img, wo, s, iLo, iHi, ry, x-s.PadW)
					r := row[x : x+8 : x+8]
					r[0], r[1], r[2], r[3] = bias+a0, bias+a1, bias+a2, bias+a3
					r[4], r[5], r[6], r[7] = bias+a4, bias+a5, bias+a6, bias+a7
				}
				for ; x+4 <= xHi; x += 4 {
					a0, a1, a2, a3 := corr4(img, wo, s, iLo, iHi, ry, x-s.PadW)
					r := row[x : x+4 : x+4]
					r[0], r[1], r[2], r[3] = bias+a0, bias+a1, bias+a2, bias+a3
				}
				for ; x < ow; x++ {
					row[x] = bias + convAt(img, wo, s, iLo, iHi, ry, x-s.PadW)
				}
			}
		}
	}
}

// corr8 returns Σ_c Σ_{i∈[iLo,iHi)} Σ_j w[c,i,j]·img[c,ry+i,rx+j+k] for k = 0..7, where img
// is one (C,H,W) sample and w one filter (C,KH,KW); every column read must be inside the row.
func corr8(img, w []float32, s model.ConvShape, iLo, iHi, ry, rx int) (a0, a1, a2, a3, a4, a5, a6, a7 float32) {
	for c := range s.C {
		for i := iLo; i < iHi; i++ {
			row := img[(c*s.H+ry+i)*s.W+rx : (c*s.H+ry+i+1)*s.W]
			wr := w[(c*s.KH+i)*s.KW : (c*s.KH+i+1)*s.KW]
			for j, wv := range wr {
				v := row[j : j+8 : j+8]
				a0 += wv * v[0]
				a1 += wv * v[1]
				a2 += wv * v[2]
				a3 += wv * v[3]
				a4 += wv * v[4]
				a5 += wv * v[5]
				a6 += wv * v[6]
				a7 += wv * v[7]
			}
		}
	}
	return
}

// corr4 is corr8 for 4 columns.
func corr4(img, w []float32, s model.ConvShape, iLo, iHi, ry, rx int) (a0, a1, a2, a3 float32) {
	for c := range s.C {
		for i := iLo; i < iHi; i++ {
			row := img[(c*s.H+ry+i)*s.W+rx : (c*s.H+ry+i+1)*s.W]
			wr := w[(c*s.KH+i)*s.KW : (c*s.KH+i+1)*s.KW]
			for j, wv := range wr {
				v := row[j : j+4 : j+4]
				a0 += wv * v[0]
				a1 += wv * v[1]
				a2 += wv * v[2]
				a3 += wv * v[3]
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

// Conv2DBackwardData computes the gradient with respect to the input,
//
//	dIn[n,c,y,x] = Σ_o Σ_i Σ_j w[o,c,i,j]·dOut[n,o,y−i+PadH,x−j+PadW]
//
// with dOut taken as zero outside (N,OC,OH,OW). dOut is (N,OC,OH,OW), w is (OC,C,KH,KW),
// dIn is (N,C,H,W) and is overwritten.
//
// It scatters: every dOut row, scaled by one weight, is added to a contiguous run of a dIn
// row (a saxpy), which needs no clipping inside the run.
func Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) {
	if len(dIn) != s.InLen() || len(dOut) != s.OutLen() || len(w) != s.WeightLen() {
		panic(errConvData)
	}
	checkPad(s)
	oh, ow := s.OH(), s.OW()
	inPlane, outPlane, kLen := s.H*s.W, oh*ow, s.KH*s.KW
	clear(dIn)
	for n := range s.N {
		for c := range s.C {
			dst := dIn[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
			for o := range s.OC {
				src := dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane]
				wk := w[(o*s.C+c)*kLen : (o*s.C+c+1)*kLen]
				for y := range oh {
					dRow := src[y*ow : (y+1)*ow]
					iLo, iHi := max(0, s.PadH-y), min(s.KH, s.H+s.PadH-y)
					for i := iLo; i < iHi; i++ {
						yi := y + i - s.PadH
						rowFullConv(dst[yi*s.W:(yi+1)*s.W], dRow, wk[i*s.KW:(i+1)*s.KW], s.PadW)
					}
				}
			}
		}
	}
}

// rowFullConv adds Σ_j wr[j]·src[x] to dst[x+j−pad] for every x and j with x+j−pad inside
// dst: one (dOut row, weight row) pair's contribution to a dIn row.
func rowFullConv(dst, src, wr []float32, pad int) {
	for j, wv := range wr {
		// src columns x with 0 ≤ x+j−pad < len(dst).
		lo, hi := max(0, pad-j), min(len(src), len(dst)+pad-j)
		if lo < hi {
			axpy(dst[lo+j-pad:hi+j-pad], wv, src[lo:hi])
		}
	}
}

// Conv2DBackwardFilter computes the gradients with respect to the weights and the bias,
// summed over the batch,
//
//	dW[o,c,i,j] = Σ_n Σ_y Σ_x dOut[n,o,y,x]·in[n,c,y+i−PadH,x+j−PadW]
//	dB[o]       = Σ_n Σ_y Σ_x dOut[n,o,y,x]
//
// with in taken as zero outside (N,C,H,W). dW is (OC,C,KH,KW) and dB (OC), both
// overwritten.
//
// Each weight is a sum of dot products of a dOut row with a shifted input row; four
// neighbouring taps j share one pass over the rows.
func Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) {
	if len(dW) != s.WeightLen() || len(dB) != s.OC || len(dOut) != s.OutLen() || len(in) != s.InLen() {
		panic(errConvFilter)
	}
	checkPad(s)
	oh, ow := s.OH(), s.OW()
	inPlane, outPlane := s.H*s.W, oh*ow
	for o := range s.OC {
		var sum float32
		for n := range s.N {
			sum += sumf(dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane])
		}
		dB[o] = sum
		for c := range s.C {
			for i := range s.KH {
				// dOut rows y whose input row y+i−PadH is inside.
				yLo, yHi := max(0, s.PadH-i), min(oh, s.H+s.PadH-i)
				dw := dW[((o*s.C+c)*s.KH+i)*s.KW : ((o*s.C+c)*s.KH+i+1)*s.KW]
				j := 0
				for ; j+4 <= s.KW; j += 4 {
					// Columns x whose taps j … j+3 are all inside, then the clipped rest.
					xLo, xHi := min(max(0, s.PadW-j), ow), max(min(ow, s.W+s.PadW-j-3), 0)
					xLo = min(xLo, xHi)
					var a0, a1, a2, a3 float32
					for n := range s.N {
						src := dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane]
						img := in[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
						for y := yLo; y < yHi; y++ {
							d := src[y*ow : (y+1)*ow]
							r := img[(y+i-s.PadH)*s.W : (y+i-s.PadH+1)*s.W]
							if xLo < xHi {
								b0, b1, b2, b3 := dot4(d[xLo:xHi], r[xLo+j-s.PadW:])
								a0, a1, a2, a3 = a0+b0, a1+b1, a2+b2, a3+b3
							}
							a0 += dotClipped(d, r, j-s.PadW, xLo, xHi)
							a1 += dotClipped(d, r, j+1-s.PadW, xLo, xHi)
							a2 += dotClipped(d, r, j+2-s.PadW, xLo, xHi)
							a3 += dotClipped(d, r, j+3-s.PadW, xLo, xHi)
						}
					}
					dw[j], dw[j+1], dw[j+2], dw[j+3] = a0, a1, a2, a3
				}
				for ; j < s.KW; j++ {
					// Columns x whose input column x+j−PadW is inside.
					xLo, xHi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j)
					var a float32
					for n := range s.N {
						src := dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane]
						img := in[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
						for y := yLo; y < yHi && xLo < xHi; y++ {
							d := src[y*ow : (y+1)*ow]
							r := img[(y+i-s.PadH)*s.W : (y+i-s.PadH+1)*s.W]
							a += dot(d[xLo:xHi], r[xLo+j-s.PadW:])
						}
					}
					dw[j] = a
				}
			}
		}
	}
}

// dotClipped returns Σ d[x]·r[x+shift] over the x outside [xLo, xHi) whose r index is
// inside r: the border columns that dot4 left out for one tap.
func dotClipped(d, r []float32, shift, xLo, xHi int) float32 {
	var a float32
	for x := max(0, -shift); x < xLo; x++ {
		a += d[x] * r[x+shift]
	}
	for x := xHi; x < min(len(d), len(r)-shift); x++ {
		a += d[x] * r[x+shift]
	}
	return a
}
