//go:build goexperiment.simd && amd64

package cpu

import (
	"simd/archsimd"

	"github.com/vkcnn/vkcnn/model"
)

// cpuHasSIMD reports whether this CPU has AVX2 and FMA, which the SIMD convolutions need;
// PretendNoSIMD replaces it to play a CPU without them.
var cpuHasSIMD = func() bool { return archsimd.X86.AVX2() && archsimd.X86.FMA() }

// HasSIMD reports whether the SIMD convolutions can run on this CPU (AVX2 and FMA).
func HasSIMD() bool { return cpuHasSIMD() }

// SetSIMD turns the SIMD convolutions on or off and returns the previous setting. On a CPU
// without AVX2 and FMA they stay off: they would die on an illegal instruction.
func SetSIMD(on bool) bool {
	was := simdConv
	simdConv = on && cpuHasSIMD()
	return was
}

// cpuHasAVX512 reports whether this CPU has AVX-512 (F, CD, BW, DQ, VL), which the
// 16-lane convolutions need.
var cpuHasAVX512 = func() bool { return archsimd.X86.AVX512() }

// HasAVX512 reports whether the 16-lane convolutions can run on this CPU.
func HasAVX512() bool { return cpuHasAVX512() }

// SetAVX512 makes the SIMD convolutions take the 16-lane kernels (on) or the 8-lane ones
// (off) and returns the previous setting. On a CPU without AVX-512 they stay 8-lane.
func SetAVX512(on bool) bool {
	was := simd512
	simd512 = on && cpuHasAVX512()
	return was
}

// PretendNoSIMD makes HasSIMD and SetSIMD behave as on a CPU without AVX2 and FMA, with
// the SIMD convolutions off, until the returned function restores both.
func PretendNoSIMD() (restore func()) {
	has, was := cpuHasSIMD, simdConv
	cpuHasSIMD, simdConv = func() bool { return false }, false
	return func() { cpuHasSIMD, simdConv = has, was }
}

// SIMDTakes reports which of the three convolutions of shape s the SIMD kernels compute
// (rather than leaving them to the scalar ones), running each once on zeros.
func SIMDTakes(s model.ConvShape) (forward, data, filter bool) {
	in, out, w := make([]float32, s.InLen()), make([]float32, s.OutLen()), make([]float32, s.WeightLen())
	forward = convForwardSIMD(out, in, w, make([]float32, s.OC), s)
	data = convBackwardDataSIMD(in, out, w, s)
	filter = convBackwardFilterSIMD(w, out, in, s)
	return forward, data, filter
}
