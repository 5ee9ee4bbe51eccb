package ref

import (
	"math"

	"github.com/vkcnn/vkcnn/model"
)

const (
	errPoolLen    = "ref: pool: a slice length does not match the PoolShape"
	errPoolArgmax = "ref: MaxPoolBackward: an argmax index is outside dIn"
)

func checkPool(s model.PoolShape, in, out int, more ...int) {
	if s.Size < 1 || s.N < 0 || s.C < 1 || in != s.InLen() || out != s.OutLen() {
		panic(errPoolLen)
	}
	checkSame(errPoolLen, out, more...)
}

// MaxPoolForward computes, for every window of Size×Size inputs at stride Size,
//
//	out[n,c,y,x]    = max_{i,j<Size} in[n,c,y·Size+i,x·Size+j]
//	argmax[n,c,y,x] = the flat index into in, ((n·C+c)·H + y·Size+i)·W + x·Size+j, of the
//	                  window's first maximum in row-major (i, then j) order.
//
// in is (N,C,H,W); out and argmax are (N,C,OH,OW) with OH = ⌊H/Size⌋, OW = ⌊W/Size⌋.
func MaxPoolForward(out []float64, argmax []int32, in []float64, s model.PoolShape) {
	selectPool(out, argmax, in, s, func(v, best float64) bool { return v > best })
}

// MinPoolForward is MaxPoolForward with the minimum:
//
//	out[n,c,y,x]    = min_{i,j<Size} in[n,c,y·Size+i,x·Size+j]
//	argmin[n,c,y,x] = the flat index into in of the window's first minimum in row-major
//	                  order (a later equal value does not replace it).
//
// Shapes as MaxPoolForward; min(x) = −max(−x), with the same argument.
func MinPoolForward(out []float64, argmin []int32, in []float64, s model.PoolShape) {
	selectPool(out, argmin, in, s, func(v, best float64) bool { return v < best })
}

// selectPool keeps, per window, the first value that no later one beats (better(v, best)).
func selectPool(out []float64, arg []int32, in []float64, s model.PoolShape, better func(v, best float64) bool) {
	checkPool(s, len(in), len(out), len(arg))
	if s.InLen() > math.MaxInt32 {
		panic(errPoolLen)
	}
	oh, ow := s.OH(), s.OW()
	for n := range s.N {
		for c := range s.C {
			for y := range oh {
				for x := range ow {
					best := -1
					for i := range s.Size {
						for j := range s.Size {
							k := ((n*s.C+c)*s.H+y*s.Size+i)*s.W + x*s.Size + j
							if best < 0 || better(in[k], in[best]) {
								best = k
							}
						}
					}
					o := ((n*s.C+c)*oh+y)*ow + x
					out[o], arg[o] = in[best], int32(best)
				}
			}
		}
	}
}

// MaxPoolBackward routes each output gradient to the input that was its window's maximum:
//
//	dIn[i] = Σ_j [argmax[j] = i]·dOut[j]
//
// (windows do not overlap, so at most one j names each i). dOut and argmax are
// (N,C,OH,OW), dIn is (N,C,H,W). An argmax outside [0, N·C·H·W) panics.
func MaxPoolBackward(dIn, dOut []float64, argmax []int32, s model.PoolShape) {
	checkPool(s, len(dIn), len(dOut), len(argmax))
	for _, a := range argmax {
		if a < 0 || int(a) >= len(dIn) {
			panic(errPoolArgmax)
		}
	}
	for i := range dIn {
		dIn[i] = 0
	}
	for j, a := range argmax {
		dIn[a] += dOut[j]
	}
}

// MinPoolBackward routes each output gradient to its window's minimum, argmin from
// MinPoolForward:
//
//	dIn[i] = Σ_j [argmin[j] = i]·dOut[j]
//
// the same scatter as MaxPoolBackward (the derivative of a window's min is 1 at the
// selected input and 0 elsewhere). An argmin outside [0, N·C·H·W) panics.
func MinPoolBackward(dIn, dOut []float64, argmin []int32, s model.PoolShape) {
	MaxPoolBackward(dIn, dOut, argmin, s)
}

// AvgPoolForward computes the window means
//
//	out[n,c,y,x] = (Σ_{i,j<Size} in[n,c,y·Size+i,x·Size+j]) / Size².
//
// in is (N,C,H,W), out is (N,C,⌊H/Size⌋,⌊W/Size⌋).
func AvgPoolForward(out, in []float64, s model.PoolShape) {
	checkPool(s, len(in), len(out))
	oh, ow := s.OH(), s.OW()
	for n := range s.N {
		for c := range s.C {
			for y := range oh {
				for x := range ow {
					var sum float64
					for i := range s.Size {
						for j := range s.Size {
							sum += in[((n*s.C+c)*s.H+y*s.Size+i)*s.W+x*s.Size+j]
						}
					}
					out[((n*s.C+c)*oh+y)*ow+x] = sum / float64(s.Size*s.Size)
				}
			}
		}
	}
}

// AvgPoolBackward computes, one input at a time,
//
//	dIn[n,c,y,x] = dOut[n,c,⌊y/Size⌋,⌊x/Size⌋] / Size²   if y < OH·Size and x < OW·Size
//	             = 0                                      otherwise (in no window).
//
// dOut is (N,C,OH,OW), dIn is (N,C,H,W).
func AvgPoolBackward(dIn, dOut []float64, s model.PoolShape) {
	checkPool(s, len(dIn), len(dOut))
	oh, ow := s.OH(), s.OW()
	for n := range s.N {
		for c := range s.C {
			for y := range s.H {
				for x := range s.W {
					v := 0.0
					if y < oh*s.Size && x < ow*s.Size {
						v = dOut[((n*s.C+c)*oh+y/s.Size)*ow+x/s.Size] / float64(s.Size*s.Size)
					}
					dIn[((n*s.C+c)*s.H+y)*s.W+x] = v
				}
			}
		}
	}
}
