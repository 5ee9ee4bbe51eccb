package gpu

// ReLUForward runs relu_forward.comp: out = max(in, 0).
func (o *Ops) ReLUForward(out, in []float32) error {
	if err := same("ReLUForward", []string{"out", "in"}, len(out), len(in)); err != nil {
		return err
	}
	return o.run(elementwiseCall("relu_forward", len(in)),
		output("out", out), input("in", in))
}

// ReLUBackward runs relu_backward.comp: dIn = dOut where out > 0, else 0.
func (o *Ops) ReLUBackward(dIn, dOut, out []float32) error {
	if err := same("ReLUBackward", []string{"dIn", "dOut", "out"}, len(dIn), len(dOut), len(out)); err != nil {
		return err
	}
	return o.run(elementwiseCall("relu_backward", len(out)),
		output("dIn", dIn), input("dOut", dOut), input("out", out))
}

// SigmoidForward runs sigmoid_forward.comp: out = 1/(1+e^−in).
func (o *Ops) SigmoidForward(out, in []float32) error {
	if err := same("SigmoidForward", []string{"out", "in"}, len(out), len(in)); err != nil {
		return err
	}
	return o.run(elementwiseCall("sigmoid_forward", len(in)),
		output("out", out), input("in", in))
}

// SigmoidBackward runs sigmoid_backward.comp: dIn = dOut·out·(1−out).
func (o *Ops) SigmoidBackward(dIn, dOut, out []float32) error {
	if err := same("SigmoidBackward", []string{"dIn", "dOut", "out"}, len(dIn), len(dOut), len(out)); err != nil {
		return err
	}
	return o.run(elementwiseCall("sigmoid_backward", len(out)),
		output("dIn", dIn), input("dOut", dOut), input("out", out))
}
