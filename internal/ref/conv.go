package ref

import "github.com/vkcnn/vkcnn/model"

const errConvLen = "ref: convolution: a slice length does not match the ConvShape"

// checkConv panics unless the lengths are those of s's input, weights, bias and output
// (a negative length is not checked) and s has an output.
func checkConv(s model.ConvShape, in, w, b, out int) {
	if s.N < 0 || s.C < 1 || s.OC < 1 || s.KH < 1 || s.KW < 1 || s.PadH < 0 || s.PadW < 0 || s.OH() < 1 || s.OW() < 1 {
		panic(errConvLen)
	}
	for _, p := range [][2]int{{in, s.InLen()}, {w, s.WeightLen()}, {b, s.OC}, {out, s.OutLen()}} {
		if p[0] >= 0 && p[0] != p[1] {
			panic(errConvLen)
		}
	}
}

// Conv2DForward computes the convolution of stride 1 with zero padding:
//
//	out[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j w[o,c,i,j]·in[n,c,y+i−PadH,x+j−PadW]
//
// in is (N,C,H,W), w is (OC,C,KH,KW), b is (OC), out is (N,OC,OH,OW) with
// OH = H+2·PadH−KH+1, OW = W+2·PadW−KW+1; terms in the padding are zero.
func Conv2DForward(out, in, w, b []float64, s model.ConvShape) {
	checkConv(s, len(in), len(w), len(b), len(out))
	oh, ow := s.OH(), s.OW()
	for n := range s.N {
		for o := range s.OC {
			for y := range oh {
				for x := range ow {
					sum := b[o]
					for c := range s.C {
						for i := range s.KH {
							for j := range s.KW {
								yy, xx := y+i-s.PadH, x+j-s.PadW
								if yy >= 0 && yy < s.H && xx >= 0 && xx < s.W {
									sum += w[((o*s.C+c)*s.KH+i)*s.KW+j] * in[((n*s.C+c)*s.H+yy)*s.W+xx]
								}
							}
						}
					}
					out[((n*s.OC+o)*oh+y)*ow+x] = sum
				}
			}
		}
	}
}

// Conv2DBackwardData computes the gradient of the loss with respect to the convolution's
// input, one input value at a time:
//
//	dIn[n,c,y,x] = Σ_o Σ_i Σ_j w[o,c,i,j]·dOut[n,o,y−i+PadH,x−j+PadW]
//
// over the output positions that exist. dOut is (N,OC,OH,OW), w is (OC,C,KH,KW), dIn is
// (N,C,H,W).
func Conv2DBackwardData(dIn, dOut, w []float64, s model.ConvShape) {
	checkConv(s, len(dIn), len(w), -1, len(dOut))
	oh, ow := s.OH(), s.OW()
	for n := range s.N {
		for c := range s.C {
			for y := range s.H {
				for x := range s.W {
					var sum float64
					for o := range s.OC {
						for i := range s.KH {
							for j := range s.KW {
								yy, xx := y-i+s.PadH, x-j+s.PadW
								if yy >= 0 && yy < oh && xx >= 0 && xx < ow {
									sum += w[((o*s.C+c)*s.KH+i)*s.KW+j] * dOut[((n*s.OC+o)*oh+yy)*ow+xx]
								}
							}
						}
					}
					dIn[((n*s.C+c)*s.H+y)*s.W+x] = sum
				}
			}
		}
	}
}

// Conv2DBackwardFilter computes the gradients of the loss with respect to the weights and
// the bias, summed over the batch, one weight at a time:
//
//	dW[o,c,i,j] = Σ_n Σ_y Σ_x dOut[n,o,y,x]·in[n,c,y+i−PadH,x+j−PadW]
//	dB[o]       = Σ_n Σ_y Σ_x dOut[n,o,y,x]
//
// dOut is (N,OC,OH,OW), in is (N,C,H,W), dW is (OC,C,KH,KW), dB is (OC). An empty batch
// (N = 0) gives zeros.
func Conv2DBackwardFilter(dW, dB, dOut, in []float64, s model.ConvShape) {
	checkConv(s, len(in), len(dW), len(dB), len(dOut))
	oh, ow := s.OH(), s.OW()
	for o := range s.OC {
		for c := range s.C {
			for i := range s.KH {
				for j := range s.KW {
					var sum float64
					for n := range s.N {
						for y := range oh {
							for x := range ow {
								yy, xx := y+i-s.PadH, x+j-s.PadW
								if yy >= 0 && yy < s.H && xx >= 0 && xx < s.W {
									sum += dOut[((n*s.OC+o)*oh+y)*ow+x] * in[((n*s.C+c)*s.H+yy)*s.W+xx]
								}
							}
						}
					}
					dW[((o*s.C+c)*s.KH+i)*s.KW+j] = sum
				}
			}
		}
		var sum float64
		for n := range s.N {
			for y := range oh {
				for x := range ow {
					sum += dOut[((n*s.OC+o)*oh+y)*ow+x]
				}
			}
		}
		dB[o] = sum
	}
}
