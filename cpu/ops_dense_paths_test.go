package cpu_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// wideSlice is n values of random sign and magnitudes from 2^−20 to 2^20, a tenth of them
// ±0: sums of such values depend on their order in their last bits, so a kernel that adds
// in another order (or fuses a multiply-add) gives other bits.
func wideSlice(src *rng.Source, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		v := float32(math.Ldexp(1+float64(src.Float32()), src.Intn(41)-20))
		if src.Intn(2) == 0 {
			v = -v
		}
		if src.Intn(10) == 0 {
			v = float32(math.Copysign(0, float64(v)))
		}
		x[i] = v
	}
	return x
}

// TestDenseEveryKernelPathIsTheScalarBits: the dense layer's three products give, on every
// kernel path, the scalar loops' bits (their order of additions, no fused multiply-add),
// at shapes that leave every tail of the vector loops: In mod 4, mod 8 and mod 32, Out
// mod 4, one sample and several.
func TestDenseEveryKernelPathIsTheScalarBits(t *testing.T) {
	shapes := []model.DenseShape{
		{N: 8, In: 512, Out: 10}, {N: 1, In: 192, Out: 10}, {N: 3, In: 67, Out: 7},
		{N: 2, In: 5, Out: 3}, {N: 5, In: 45, Out: 64}, {N: 1, In: 3, Out: 1}, {N: 4, In: 40, Out: 4},
	}
	src := rng.New(3)
	forEachPath(t, func(t *testing.T) {
		for _, s := range shapes {
			in, w, b := wideSlice(src, s.N*s.In), wideSlice(src, s.Out*s.In), wideSlice(src, s.Out)
			dOut := wideSlice(src, s.N*s.Out)
			run := func() (out, dIn, dW, dB []float32) {
				out, dIn = nanSlice(s.N*s.Out), nanSlice(s.N*s.In)
				dW, dB = nanSlice(s.Out*s.In), nanSlice(s.Out)
				cpu.DenseForward(out, in, w, b, s)
				cpu.DenseBackwardData(dIn, dOut, w, s)
				cpu.DenseBackwardWeights(dW, dB, dOut, in, s)
				return
			}
			out, dIn, dW, dB := run()
			var wOut, wdIn, wdW, wdB []float32
			onScalarPath(func() { wOut, wdIn, wdW, wdB = run() })
			assert.Equal(t, bits(wOut), bits(out), "forward %+v", s)
			assert.Equal(t, bits(wdIn), bits(dIn), "data gradient %+v", s)
			assert.Equal(t, bits(wdW), bits(dW), "weight gradient %+v", s)
			assert.Equal(t, bits(wdB), bits(dB), "bias gradient %+v", s)
		}
	})
}

// onScalarPath runs f with the scalar kernels, then restores the kernel path it found.
func onScalarPath(f func()) {
	for _, p := range kernelPaths() {
		if p.name == "scalar" {
			defer p.use()()
			f()
			return
		}
	}
	panic("no scalar kernel path")
}
