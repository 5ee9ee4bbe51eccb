package cpu_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// specials are the float32 values whose ReLU and max-pool rules differ between a naive
// vector kernel and Go's scalar code: signed zeros, NaNs, infinities, denormals.
func specials() []float32 {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	return []float32{0, float32(math.Copysign(0, -1)), nan, -nan, inf, -inf, 1e-45, -1e-45, 1, -1, math.MaxFloat32, -math.MaxFloat32}
}

// drawSpecial returns n values, each a special one or one of few small integers (ties),
// from src.
func drawSpecial(src *rng.Source, n int) []float32 {
	sp := specials()
	x := make([]float32, n)
	for i := range x {
		if src.Intn(3) == 0 {
			x[i] = sp[src.Intn(len(sp))]
		} else {
			x[i] = float32(src.Intn(5) - 2)
		}
	}
	return x
}

// bits are the IEEE bits of x, so that NaNs and signed zeros compare exactly.
func bits(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}

// TestElementwiseSpecialValuesEveryKernelPath: ReLU (both directions) and the max-pool give
// the same bits on every kernel path as Go's definitions (max(v, 0), out > 0, the first
// maximum of a window in row-major order), for signed zeros, NaNs, infinities, denormals
// and ties, at lengths and widths that leave a tail to the scalar loop.
func TestElementwiseSpecialValuesEveryKernelPath(t *testing.T) {
	src := rng.New(11)
	in, dOut := drawSpecial(src, 1003), drawSpecial(src, 1003)
	wantFwd, wantBwd := make([]float32, len(in)), make([]float32, len(in))
	for i, v := range in {
		wantFwd[i] = max(v, 0)
		if in[i] > 0 {
			wantBwd[i] = dOut[i]
		}
	}
	pools := []model.PoolShape{
		{N: 3, C: 2, H: 24, W: 24, Size: 2}, // lenet's first pool: 12 columns, 8 + 4
		{N: 2, C: 3, H: 9, W: 35, Size: 2},  // odd sizes: a dropped row and column, 17 = 16 + 1
		{N: 2, C: 3, H: 8, W: 8, Size: 2},   // lenet-16-32's second pool: 4 columns
		{N: 1, C: 2, H: 4, W: 31, Size: 2},  // 15 = 8 + 4 + 3
		{N: 1, C: 2, H: 6, W: 9, Size: 3},   // another size: the scalar loop
	}
	forEachPath(t, func(t *testing.T) {
		out := nanSlice(len(in))
		cpu.ReLUForward(out, in)
		assert.Equal(t, bits(wantFwd), bits(out), "ReLU forward")
		dIn := nanSlice(len(in))
		cpu.ReLUBackward(dIn, dOut, in)
		assert.Equal(t, bits(wantBwd), bits(dIn), "ReLU backward (out = in)")
		for _, s := range pools {
			x := drawSpecial(src, s.InLen())
			got, arg := nanSlice(s.OutLen()), make([]int32, s.OutLen())
			cpu.MaxPoolForward(got, arg, x, s)
			want, wantArg := make([]float32, s.OutLen()), make([]int32, s.OutLen())
			oh, ow := s.OH(), s.OW()
			for p := range s.N * s.C {
				for y := range oh {
					for xo := range ow {
						o, best := (p*oh+y)*ow+xo, p*s.H*s.W+y*s.Size*s.W+xo*s.Size
						for i := range s.Size {
							for j := range s.Size {
								if k := p*s.H*s.W + (y*s.Size+i)*s.W + xo*s.Size + j; x[k] > x[best] {
									best = k
								}
							}
						}
						want[o], wantArg[o] = x[best], int32(best)
					}
				}
			}
			require.Equal(t, wantArg, arg, "max-pool argmax %+v", s)
			assert.Equal(t, bits(want), bits(got), "max-pool %+v", s)
		}
	})
}
