package cpu

import (
	"math"

	"github.com/vkcnn/vkcnn/model"
)

const (
	errPoolLen    = "cpu: pool: a slice length does not match the PoolShape"
	errPoolSize   = "cpu: pool: the window size must be positive"
	errPoolArgmax = "cpu: MaxPoolBackward: an argmax index is outside dIn"
)

func checkPool(s model.PoolShape, inLen, outLen int) {
	if s.Size < 1 {
		panic(errPoolSize)
	}
	if inLen != s.InLen() || outLen != s.OutLen() || s.InLen() > math.MaxInt32 {
		panic(errPoolLen)
	}
}

// MaxPoolForward computes out[n,c,y,x] = max_{i,j<Size} in[n,c,y·Size+i,x·Size+j] and
// argmax[n,c,y,x] = the flat index into in of the first maximum of the window in row-major
// order. in is (N,C,H,W); out and argmax are (N,C,H/Size,W/Size).
func MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) {
	maxPoolForward(out, argmax, in, s, false)
}

// maxPoolForward is MaxPoolForward, with out[j] = max(out[j], 0) (ReLUForward's rule) as
// well when relu is set: the fused pass of a ReLU next to a max-pool (passMaxPoolReLU).
func maxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape, relu bool) {
	checkPool(s, len(in), len(out))
	if len(argmax) != len(out) {
		panic(errPoolLen)
	}
	if maxPool2AVX512(out, argmax, in, s, relu) {
		return
	}
	oh, ow, k := s.OH(), s.OW(), s.Size
	plane, oPlane := s.H*s.W, oh*ow
	x0 := maxPool2SIMD(out, argmax, in, s, relu) // the columns before x0 of every row are done
	for p := range s.N * s.C {
		src := in[p*plane : (p+1)*plane]
		dst := out[p*oPlane : (p+1)*oPlane]
		arg := argmax[p*oPlane : (p+1)*oPlane]
		for y := range oh {
			for x := x0; x < ow; x++ {
				best := y*k*s.W + x*k
				m := src[best]
				for i := range k {
					row := src[(y*k+i)*s.W+x*k : (y*k+i)*s.W+x*k+k]
					for j, v := range row {
						if v > m {
							m, best = v, (y*k+i)*s.W+x*k+j
						}
					}
				}
				if relu {
					m = max(m, 0)
				}
				dst[y*ow+x] = m
				arg[y*ow+x] = int32(p*plane + best)
			}
		}
	}
}

// MinPoolForward computes out[n,c,y,x] = min_{i,j<Size} in[n,c,y·Size+i,x·Size+j] and
// argmin[n,c,y,x] = the flat index into in of the first minimum of the window in row-major
// order (a later equal value does not replace it). Shapes as MaxPoolForward; its backward
// pass is MaxPoolBackward with argmin. A scalar loop: min-pool is no preset's layer.
func MinPoolForward(out []float32, argmin []int32, in []float32, s model.PoolShape) {
	checkPool(s, len(in), len(out))
	if len(argmin) != len(out) {
		panic(errPoolLen)
	}
	oh, ow, k := s.OH(), s.OW(), s.Size
	plane, oPlane := s.H*s.W, oh*ow
	for p := range s.N * s.C {
		src := in[p*plane : (p+1)*plane]
		dst := out[p*oPlane : (p+1)*oPlane]
		arg := argmin[p*oPlane : (p+1)*oPlane]
		for y := range oh {
			for x := range ow {
				best := y*k*s.W + x*k
				m := src[best]
				for i := range k {
					row := src[(y*k+i)*s.W+x*k : (y*k+i)*s.W+x*k+k]
					for j, v := range row {
						if v < m {
							m, best = v, (y*k+i)*s.W+x*k+j
						}
					}
				}
				dst[y*ow+x] = m
				arg[y*ow+x] = int32(p*plane + best)
			}
		}
	}
}

// MaxPoolBackward computes dIn = 0 except dIn[argmax[j]] = dOut[j], with argmax from
// MaxPoolForward. dOut and argmax are (N,C,H/Size,W/Size), dIn is (N,C,H,W).
func MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) {
	checkPool(s, len(dIn), len(dOut))
	if len(argmax) != len(dOut) {
		panic(errPoolLen)
	}
	clear(dIn)
	argmax = argmax[:len(dOut)]
	for j, d := range dOut {
		a := argmax[j]
		if a < 0 || int(a) >= len(dIn) {
			panic(errPoolArgmax)
		}
		dIn[a] = d
	}
}

// maxPoolReLUBackward is the backward pass of maxPoolForward with relu set: dIn = 0
// except dIn[argmax[j]] = dOut[j] where out[j] > 0 (false for ±0 and NaN), with out and
// argmax from that forward pass. Shapes as MaxPoolBackward. With the 16-lane kernels on,
// Size 2 takes one pass that writes every value of dIn once (ops_pool_avx512.go).
func maxPoolReLUBackward(dIn, dOut, out []float32, argmax []int32, s model.PoolShape) {
	checkPool(s, len(dIn), len(dOut))
	if len(argmax) != len(dOut) || len(out) != len(dOut) {
		panic(errPoolLen)
	}
	if maxPoolReLU2AVX512(dIn, dOut, out, argmax, s) {
		return
	}
	clear(dIn)
	argmax, out = argmax[:len(dOut)], out[:len(dOut)]
	for j, d := range dOut {
		a := argmax[j]
		if a < 0 || int(a) >= len(dIn) {
			panic(errPoolArgmax)
		}
		// dOut[j] where out[j] > 0, else +0, without a branch: ReLUBackward's mask.
		b := int32(math.Float32bits(out[j]))
		keep := uint32((-b & ^b & (b - 0x7f800001)) >> 31)
		dIn[a] = math.Float32frombits(math.Float32bits(d) & keep)
	}
}

// AvgPoolForward computes out[n,c,y,x] = (Σ_{i,j<Size} in[n,c,y·Size+i,x·Size+j])·(1/Size²).
// in is (N,C,H,W), out is (N,C,H/Size,W/Size).
func AvgPoolForward(out, in []float32, s model.PoolShape) {
	checkPool(s, len(in), len(out))
	oh, ow, k := s.OH(), s.OW(), s.Size
	plane, oPlane := s.H*s.W, oh*ow
	inv := 1 / float32(k*k)
	for p := range s.N * s.C {
		src := in[p*plane : (p+1)*plane]
		dst := out[p*oPlane : (p+1)*oPlane]
		for y := range oh {
			for x := range ow {
				var sum float32
				for i := range k {
					for _, v := range src[(y*k+i)*s.W+x*k : (y*k+i)*s.W+x*k+k] {
						sum += v
					}
				}
				dst[y*ow+x] = sum * inv
			}
		}
	}
}

// AvgPoolBackward computes dIn[n,c,y,x] = dOut[n,c,y/Size,x/Size]·(1/Size²) for every input
// inside a window, and 0 for the trailing rows and columns that no window covers.
// dOut is (N,C,H/Size,W/Size), dIn is (N,C,H,W).
func AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) {
	checkPool(s, len(dIn), len(dOut))
	oh, ow, k := s.OH(), s.OW(), s.Size
	plane, oPlane := s.H*s.W, oh*ow
	inv := 1 / float32(k*k)
	for p := range s.N * s.C {
		src := dOut[p*oPlane : (p+1)*oPlane]
		dst := dIn[p*plane : (p+1)*plane]
		for y := range s.H {
			row := dst[y*s.W : (y+1)*s.W]
			if y >= oh*k {
				clear(row)
				continue
			}
			g := src[(y/k)*ow : (y/k+1)*ow]
			for x := range ow {
				d := g[x] * inv
				for j := range k {
					row[x*k+j] = d
				}
			}
			clear(row[ow*k:])
		}
	}
}
