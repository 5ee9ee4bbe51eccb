package gpu

import "vkcnn/model"

// DenseForward runs dense_forward.comp, one thread per output value:
// in (N,In), w (Out,In), b (Out) → out (N,Out).
func (o *Ops) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	return o.denseForwardAct(out, in, w, b, s, actNone)
}

// denseForwardAct is DenseForward with the activation a fused: out = a(dense).
func (o *Ops) denseForwardAct(out, in, w, b []float32, s model.DenseShape, a act) error {
	need(len(out), s.N*s.Out)
	need(len(in), s.N*s.In)
	need(len(w), s.Out*s.In)
	need(len(b), s.Out)
	return o.run(denseForwardCall(s, a),
		output("out", out), input("in", in), input("w", w), input("b", b))
}

// DenseBackwardData runs dense_backward_data.comp, one thread per input value:
// dIn (N,In) = dOut·w.
func (o *Ops) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	return o.denseBackwardDataAct(dIn, dOut, w, noAct, s, actNone)
}

// denseBackwardDataAct is DenseBackwardData of dOut·a'(y), where y (N,Out) is the fused
// activation's output (unread, any length, for actNone).
func (o *Ops) denseBackwardDataAct(dIn, dOut, w, y []float32, s model.DenseShape, a act) error {
	need(len(dIn), s.N*s.In)
	need(len(dOut), s.N*s.Out)
	need(len(w), s.Out*s.In)
	needAct(len(y), s.N*s.Out, a)
	return o.run(denseBackwardDataCall(s, a),
		output("dIn", dIn), input("dOut", dOut), input("w", w), input("y", y))
}

// DenseBackwardWeights runs dense_backward_weights.comp, one thread per weight and then
// per bias: dW (Out,In) = dOutᵀ·in, dB (Out) = Σ_n dOut.
func (o *Ops) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	return o.denseBackwardWeightsAct(dW, dB, dOut, in, noAct, s, actNone)
}

// denseBackwardWeightsAct is DenseBackwardWeights of dOut·a'(y), where y (N,Out) is the
// fused activation's output (unread, any length, for actNone).
func (o *Ops) denseBackwardWeightsAct(dW, dB, dOut, in, y []float32, s model.DenseShape, a act) error {
	need(len(dW), s.Out*s.In)
	need(len(dB), s.Out)
	need(len(dOut), s.N*s.Out)
	need(len(in), s.N*s.In)
	needAct(len(y), s.N*s.Out, a)
	return o.run(denseBackwardWeightsCall(s, a),
		output("dW", dW), output("dB", dB), input("dOut", dOut), input("in", in), input("y", y))
}

// noAct is the y argument of a backward kernel run without a fused activation: a
// one-word buffer the shader never reads.
var noAct = []float32{0}

// needAct checks y's length n against want where the fused activation a reads y.
func needAct(n, want int, a act) {
	if a != actNone {
		need(n, want)
	}
}
