package gpu

import "github.com/vkcnn/vkcnn/model"

// Conv2DForward runs conv2d_forward.comp, one thread per output value:
// in (N,C,H,W), w (OC,C,KH,KW), b (OC) → out (N,OC,OH,OW).
func (o *Ops) Conv2DForward(out, in, w, b []float32, s model.ConvShape) error {
	return o.conv2DForwardAct(out, in, w, b, s, actNone)
}

// conv2DForwardAct is Conv2DForward with the activation a fused: out = a(conv).
func (o *Ops) conv2DForwardAct(out, in, w, b []float32, s model.ConvShape, a act) error {
	if err := check("Conv2DForward", length{"out", len(out), s.OutLen()}, length{"in", len(in), s.InLen()},
		length{"w", len(w), s.WeightLen()}, length{"b", len(b), s.OC}); err != nil {
		return err
	}
	return o.run(convForwardCall(s, a),
		output("out", out), input("in", in), input("w", w), input("b", b))
}

// Conv2DBackwardData runs conv2d_backward_data.comp, one thread per input value:
// dOut (N,OC,OH,OW), w → dIn (N,C,H,W).
func (o *Ops) Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) error {
	return o.conv2DBackwardDataAct(dIn, dOut, w, noAct, s, actNone)
}

// conv2DBackwardDataAct is Conv2DBackwardData with dIn multiplied by a'(x), where x
// (N,C,H,W), the layer's input, is the output of the activation a (unread, any length,
// for actNone).
func (o *Ops) conv2DBackwardDataAct(dIn, dOut, w, x []float32, s model.ConvShape, a act) error {
	if err := check("Conv2DBackwardData", length{"dIn", len(dIn), s.InLen()}, length{"dOut", len(dOut), s.OutLen()},
		length{"w", len(w), s.WeightLen()}); err != nil {
		return err
	}
	if err := checkAct("Conv2DBackwardData", len(x), s.InLen(), a); err != nil {
		return err
	}
	return o.run(convBackwardDataCall(s, a),
		output("dIn", dIn), input("dOut", dOut), input("w", w), input("x", x))
}

// Conv2DBackwardFilter runs conv2d_backward_filter.comp, one workgroup per weight and
// then per bias, or for small sums conv2d_backward_filter_serial.comp, one thread per
// output (see convBackwardFilterCall): dOut, in → dW (OC,C,KH,KW), dB (OC), summed over
// the batch.
func (o *Ops) Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) error {
	if err := check("Conv2DBackwardFilter", length{"dW", len(dW), s.WeightLen()}, length{"dB", len(dB), s.OC},
		length{"dOut", len(dOut), s.OutLen()}, length{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	return o.run(convBackwardFilterCall(s),
		output("dW", dW), output("dB", dB), input("dOut", dOut), input("in", in))
}
