package gpu

import (
	"fmt"

	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/vulkan"
)

// DropoutForward runs dropout_forward.comp with a Control buffer whose step fields make the
// shader's step d.Step: out[i] = in[i]·Scale if rng.DropoutBits(Seed, Step, Offset+i) ≥
// Threshold, else 0.
func (o *Ops) DropoutForward(out, in []float32, d model.DropoutParams) error {
	if err := same("DropoutForward", []string{"out", "in"}, len(out), len(in)); err != nil {
		return err
	}
	ctrl := Control{GlobalStepBase: d.Step}
	return o.run(dropoutForwardCall(len(in), d, 0),
		output("out", out), input("in", in), controlArg(&ctrl))
}

// DropoutBackward runs dropout_backward.comp: dIn[i] = dOut[i]·Scale where the same mask
// keeps element i, else 0.
func (o *Ops) DropoutBackward(dIn, dOut []float32, d model.DropoutParams) error {
	return o.dropoutBackwardAct(dIn, dOut, noAct, d, actNone)
}

// dropoutBackwardAct is DropoutBackward with dIn multiplied by a'(x), where x, the
// dropout's input, is the output of the activation a (unread, any length, for actNone).
func (o *Ops) dropoutBackwardAct(dIn, dOut, x []float32, d model.DropoutParams, a act) error {
	if err := same("DropoutBackward", []string{"dIn", "dOut"}, len(dIn), len(dOut)); err != nil {
		return err
	}
	if err := checkAct("DropoutBackward", len(x), len(dOut), a); err != nil {
		return err
	}
	ctrl := Control{GlobalStepBase: d.Step}
	return o.run(dropoutBackwardCall(len(dOut), d, 0, a),
		output("dIn", dIn), input("dOut", dOut), controlArg(&ctrl), input("x", x))
}

// controlArg is a Control value as a read-only buffer argument.
func controlArg(c *Control) arg {
	return arg{name: "ctrl", data: vulkan.Bytes(c)}
}

// SoftmaxCrossEntropy runs softmax_cross_entropy.comp, one thread per sample: logits (N,K),
// labels (N) → loss (N), dLogits (N,K) scaled by scale, correct (N).
func (o *Ops) SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) error {
	if err := check("SoftmaxCrossEntropy", length{"loss", len(loss), n}, length{"dLogits", len(dLogits), n * k},
		length{"correct", len(correct), n}, length{"logits", len(logits), n * k}, length{"labels", len(labels), n}); err != nil {
		return err
	}
	for i, y := range labels {
		if y < 0 || int(y) >= k {
			return fmt.Errorf("gpu: SoftmaxCrossEntropy: labels[%d] = %d is outside [0, %d)", i, y, k)
		}
	}
	return o.run(softmaxCall(n, k, scale),
		output("loss", loss), output("dLogits", dLogits), output("correct", correct),
		input("logits", logits), input("labels", labels))
}

// SGDUpdate runs sgd_update.comp with a one-element learning-rate array and a Control
// buffer at step 0: w −= lr·g, or with momentum v = μ·v + g, w −= lr·v. w and v are updated
// in place.
func (o *Ops) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	if err := same("SGDUpdate", []string{"w", "v", "g"}, len(w), len(v), len(g)); err != nil {
		return err
	}
	var ctrl Control
	return o.run(sgdCall(len(w), momentum, 0),
		inout("w", w), inout("v", v), input("g", g), input("lrs", []float32{lr}), controlArg(&ctrl))
}
