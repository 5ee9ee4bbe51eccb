//go:build goexperiment.simd && amd64

package cpu

import "vkcnn/model"

// SetSIMD turns the SIMD convolutions on or off and returns the previous setting.
func SetSIMD(on bool) bool {
	was := simdConv
	simdConv = on
	return was
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
