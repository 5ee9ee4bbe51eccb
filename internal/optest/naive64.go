package optest

import (
	"math"

	"vkcnn/internal/rng"
	"vkcnn/model"
)

// Float64 forward (and, for the convolution, backward) maths written straight from the
// formulas of package cpu's documentation, one output at a time with explicit bounds tests:
// slow and obviously right, and independent of the reference's loop structure. The CPU
// gradient checks differentiate the forward ones numerically, the CPU shape sweeps compare
// the fast float32 functions with them, and this package's own test runs the suite against
// them to show that its tolerances admit an exact implementation.

// To64 converts x to float64.
func To64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// Conv2DForward64 computes out[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j w[o,c,i,j]·in[n,c,y+i−PadH,x+j−PadW].
func Conv2DForward64(in, w, b []float64, s model.ConvShape) []float64 {
	oh, ow := s.OH(), s.OW()
	out := make([]float64, s.OutLen())
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
	return out
}

// Conv2DBackwardData64 computes dIn[n,c,y,x] = Σ_o Σ_i Σ_j w[o,c,i,j]·dOut[n,o,y−i+PadH,x−j+PadW].
func Conv2DBackwardData64(dOut, w []float64, s model.ConvShape) []float64 {
	oh, ow := s.OH(), s.OW()
	dIn := make([]float64, s.InLen())
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
	return dIn
}

// Conv2DBackwardFilter64 computes dW[o,c,i,j] = Σ_n Σ_y Σ_x dOut[n,o,y,x]·in[n,c,y+i−PadH,x+j−PadW],
// dB[o] = Σ_n Σ_y Σ_x dOut[n,o,y,x].
func Conv2DBackwardFilter64(dOut, in []float64, s model.ConvShape) (dW, dB []float64) {
	oh, ow := s.OH(), s.OW()
	dW, dB = make([]float64, s.WeightLen()), make([]float64, s.OC)
	for n := range s.N {
		for o := range s.OC {
			for y := range oh {
				for x := range ow {
					d := dOut[((n*s.OC+o)*oh+y)*ow+x]
					dB[o] += d
					for c := range s.C {
						for i := range s.KH {
							for j := range s.KW {
								yy, xx := y+i-s.PadH, x+j-s.PadW
								if yy >= 0 && yy < s.H && xx >= 0 && xx < s.W {
									dW[((o*s.C+c)*s.KH+i)*s.KW+j] += d * in[((n*s.C+c)*s.H+yy)*s.W+xx]
								}
							}
						}
					}
				}
			}
		}
	}
	return dW, dB
}

// Pool64 computes max pooling (isMax) or average pooling: the window maximum or mean.
func Pool64(in []float64, s model.PoolShape, isMax bool) []float64 {
	oh, ow := s.OH(), s.OW()
	out := make([]float64, s.OutLen())
	for p := range s.N * s.C {
		for y := range oh {
			for x := range ow {
				m, sum := math.Inf(-1), 0.0
				for i := range s.Size {
					for j := range s.Size {
						v := in[(p*s.H+y*s.Size+i)*s.W+x*s.Size+j]
						m, sum = math.Max(m, v), sum+v
					}
				}
				if isMax {
					out[(p*oh+y)*ow+x] = m
				} else {
					out[(p*oh+y)*ow+x] = sum / float64(s.Size*s.Size)
				}
			}
		}
	}
	return out
}

// ReLU64 computes max(in, 0).
func ReLU64(in []float64) []float64 {
	out := make([]float64, len(in))
	for i, v := range in {
		out[i] = math.Max(v, 0)
	}
	return out
}

// Sigmoid64 computes 1/(1+e^−in).
func Sigmoid64(in []float64) []float64 {
	out := make([]float64, len(in))
	for i, v := range in {
		out[i] = 1 / (1 + math.Exp(-v))
	}
	return out
}

// Dropout64 computes in·Scale where rng.DropoutBits keeps the element, else 0.
func Dropout64(in []float64, d model.DropoutParams) []float64 {
	out := make([]float64, len(in))
	for i, v := range in {
		if rng.DropoutBits(d.Seed, d.Step, uint32(i)) >= d.Threshold {
			out[i] = v * float64(d.Scale)
		}
	}
	return out
}

// Dense64 computes out[n,o] = b[o] + Σ_i w[o,i]·in[n,i].
func Dense64(in, w, b []float64, s model.DenseShape) []float64 {
	out := make([]float64, s.N*s.Out)
	for n := range s.N {
		for o := range s.Out {
			sum := b[o]
			for i := range s.In {
				sum += w[o*s.In+i] * in[n*s.In+i]
			}
			out[n*s.Out+o] = sum
		}
	}
	return out
}

// CrossEntropy64 returns every sample's −log softmax(z_n)[y_n].
func CrossEntropy64(z []float64, labels []int32, n, k int) []float64 {
	loss := make([]float64, n)
	for s := range n {
		row := z[s*k : (s+1)*k]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(v - m)
		}
		loss[s] = math.Log(sum) + m - row[labels[s]]
	}
	return loss
}
