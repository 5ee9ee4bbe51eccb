package cpu_test

import (
	"testing"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// The non-GEMM ops of a training step at the shapes the engine hands them, a chunk of 8
// samples of lenet-16-32: the fused max-pool and ReLU of both pools, forward and backward,
// and the dense layer (512 → 10).

var benchPools = []struct {
	name string
	s    model.PoolShape
}{
	{"pool1", model.PoolShape{N: 8, C: 16, H: 24, W: 24, Size: 2}},
	{"pool2", model.PoolShape{N: 8, C: 32, H: 8, W: 8, Size: 2}},
}

func BenchmarkMaxPoolReLU(b *testing.B) {
	for _, p := range benchPools {
		src := rng.New(1)
		s := p.s
		in, dOut := randSlice(src, s.InLen()), randSlice(src, s.OutLen())
		out, arg, dIn := make([]float32, s.OutLen()), make([]int32, s.OutLen()), make([]float32, s.InLen())
		benchPaths(b, p.name+"/forward", func(b *testing.B) {
			for b.Loop() {
				cpu.MaxPoolReLUForward(out, arg, in, s)
			}
			b.SetBytes(int64(4 * s.InLen()))
		})
		benchPaths(b, p.name+"/backward", func(b *testing.B) {
			cpu.MaxPoolReLUForward(out, arg, in, s)
			for b.Loop() {
				cpu.MaxPoolReLUBackward(dIn, dOut, out, arg, s)
			}
			b.SetBytes(int64(4 * s.InLen()))
		})
	}
}

func BenchmarkDense(b *testing.B) {
	s := model.DenseShape{N: 8, In: 512, Out: 10}
	src := rng.New(1)
	in, w, bias := randSlice(src, s.N*s.In), randSlice(src, s.Out*s.In), randSlice(src, s.Out)
	out, dOut := make([]float32, s.N*s.Out), randSlice(src, s.N*s.Out)
	dIn, dW, dB := make([]float32, s.N*s.In), make([]float32, s.Out*s.In), make([]float32, s.Out)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			cpu.DenseForward(out, in, w, bias, s)
		}
	})
	b.Run("data", func(b *testing.B) {
		for b.Loop() {
			cpu.DenseBackwardData(dIn, dOut, w, s)
		}
	})
	b.Run("weights", func(b *testing.B) {
		for b.Loop() {
			cpu.DenseBackwardWeights(dW, dB, dOut, in, s)
		}
	})
}
