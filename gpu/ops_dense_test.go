package gpu

import "github.com/vkcnn/vkcnn/model"

// DenseForward runs dense_forward.comp, one thread per output value:
// in (N,In), w (Out,In), b (Out) → out (N,Out).
func (o *Ops) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	return o.denseForwardAct(out, in, w, b, s, actNone)
}

// denseForwardAct is DenseForward with the activation a fused: out = a(dense).
func (o *Ops) denseForwardAct(out, in, w, b []float32, s model.DenseShape, a act) error {
	if err := check("DenseForward", length{"out", len(out), s.N * s.Out}, length{"in", len(in), s.N * s.In},
		length{"w", len(w), s.Out * s.In}, length{"b", len(b), s.Out}); err != nil {
		return err
	}
	return o.run(denseForwardCall(s, a),
		output("out", out), input("in", in), input("w", w), input("b", b))
}

// DenseBackwardData runs dense_backward_data.comp, one thread per input value:
// dIn (N,In) = dOut·w.
func (o *Ops) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	return o.denseBackwardDataAct(dIn, dOut, w, noAct, s, actNone)
}

// denseBackwardDataAct is DenseBackwardData with dIn multiplied by a'(x), where x (N,In),
// the layer's input, is the output of the activation a (unread, any length, for actNone).
func (o *Ops) denseBackwardDataAct(dIn, dOut, w, x []float32, s model.DenseShape, a act) error {
	if err := check("DenseBackwardData", length{"dIn", len(dIn), s.N * s.In}, length{"dOut", len(dOut), s.N * s.Out},
		length{"w", len(w), s.Out * s.In}); err != nil {
		return err
	}
	if err := checkAct("DenseBackwardData", len(x), s.N*s.In, a); err != nil {
		return err
	}
	return o.run(denseBackwardDataCall(s, a),
		output("dIn", dIn), input("dOut", dOut), input("w", w), input("x", x))
}

// DenseBackwardWeights runs dense_backward_weights.comp, one thread per weight and then
// per bias: dW (Out,In) = dOutᵀ·in, dB (Out) = Σ_n dOut.
func (o *Ops) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	if err := check("DenseBackwardWeights", length{"dW", len(dW), s.Out * s.In}, length{"dB", len(dB), s.Out},
		length{"dOut", len(dOut), s.N * s.Out}, length{"in", len(in), s.N * s.In}); err != nil {
		return err
	}
	return o.run(denseBackwardWeightsCall(s),
		output("dW", dW), output("dB", dB), input("dOut", dOut), input("in", in))
}

// noAct is the x argument of a backward kernel run without a fused activation (act 0): a
// one-word buffer the shader never reads.
var noAct = []float32{0}
