//go:build goexperiment.simd && amd64

package cpu_test

import "github.com/vkcnn/vkcnn/cpu"

// kernelPaths are the convolution kernels of this build, best first: AVX-512 (16 lanes),
// AVX2+FMA (8 lanes) and scalar, each with whether this CPU can run it.
func kernelPaths() []kernelPath {
	return []kernelPath{
		{name: "avx512", can: cpu.HasAVX512(), why: "this CPU has no AVX-512 (F, CD, BW, DQ, VL)", use: func() func() {
			s, w := cpu.SetSIMD(true), cpu.SetAVX512(true)
			return func() { cpu.SetAVX512(w); cpu.SetSIMD(s) }
		}},
		{name: "avx2", can: cpu.HasSIMD(), why: "this CPU has no AVX2+FMA", use: func() func() {
			s, w := cpu.SetSIMD(true), cpu.SetAVX512(false)
			return func() { cpu.SetAVX512(w); cpu.SetSIMD(s) }
		}},
		{name: "scalar", can: true, use: func() func() {
			s := cpu.SetSIMD(false)
			return func() { cpu.SetSIMD(s) }
		}},
	}
}
