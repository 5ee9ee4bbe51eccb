package gpu

// ReLUForward runs relu_forward.comp: out = max(in, 0).
func (o *Ops) ReLUForward(out, in []float32) error {
	need(len(out), len(in))
	p := nParams{N: u32(len(in))}
	return o.run("relu_forward", Bytes(&p), dispatch{total: len(in)},
		output("out", out), input("in", in))
}

// ReLUBackward runs relu_backward.comp: dIn = dOut where out > 0, else 0.
func (o *Ops) ReLUBackward(dIn, dOut, out []float32) error {
	need(len(dIn), len(out))
	need(len(dOut), len(out))
	p := nParams{N: u32(len(out))}
	return o.run("relu_backward", Bytes(&p), dispatch{total: len(out)},
		output("dIn", dIn), input("dOut", dOut), input("out", out))
}

// SigmoidForward runs sigmoid_forward.comp: out = 1/(1+e^−in).
func (o *Ops) SigmoidForward(out, in []float32) error {
	need(len(out), len(in))
	p := nParams{N: u32(len(in))}
	return o.run("sigmoid_forward", Bytes(&p), dispatch{total: len(in)},
		output("out", out), input("in", in))
}

// SigmoidBackward runs sigmoid_backward.comp: dIn = dOut·out·(1−out).
func (o *Ops) SigmoidBackward(dIn, dOut, out []float32) error {
	need(len(dIn), len(out))
	need(len(dOut), len(out))
	p := nParams{N: u32(len(out))}
	return o.run("sigmoid_backward", Bytes(&p), dispatch{total: len(out)},
		output("dIn", dIn), input("dOut", dOut), input("out", out))
}
