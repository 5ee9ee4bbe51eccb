package gpu

import "vkcnn/model"

// DenseForward runs dense_forward.comp, one thread per output value:
// in (N,In), w (Out,In), b (Out) → out (N,Out).
func (o *Ops) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	need(len(out), s.N*s.Out)
	need(len(in), s.N*s.In)
	need(len(w), s.Out*s.In)
	need(len(b), s.Out)
	return o.run(denseForwardCall(s),
		output("out", out), input("in", in), input("w", w), input("b", b))
}

// DenseBackwardData runs dense_backward_data.comp, one thread per input value:
// dIn (N,In) = dOut·w.
func (o *Ops) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	need(len(dIn), s.N*s.In)
	need(len(dOut), s.N*s.Out)
	need(len(w), s.Out*s.In)
	return o.run(denseBackwardDataCall(s),
		output("dIn", dIn), input("dOut", dOut), input("w", w))
}

// DenseBackwardWeights runs dense_backward_weights.comp, one thread per weight and then
// per bias: dW (Out,In) = dOutᵀ·in, dB (Out) = Σ_n dOut.
func (o *Ops) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	need(len(dW), s.Out*s.In)
	need(len(dB), s.Out)
	need(len(dOut), s.N*s.Out)
	need(len(in), s.N*s.In)
	return o.run(denseBackwardWeightsCall(s),
		output("dW", dW), output("dB", dB), input("dOut", dOut), input("in", in))
}
