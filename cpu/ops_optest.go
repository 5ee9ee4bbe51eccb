package cpu

import "vkcnn/model"

// Ops runs the reference functions behind the internal/optest.Ops contract; every method
// returns nil.
type Ops struct{}

// Conv2DForward calls Conv2DForward.
func (Ops) Conv2DForward(out, in, w, b []float32, s model.ConvShape) error {
	Conv2DForward(out, in, w, b, s)
	return nil
}

// Conv2DBackwardData calls Conv2DBackwardData.
func (Ops) Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) error {
	Conv2DBackwardData(dIn, dOut, w, s)
	return nil
}

// Conv2DBackwardFilter calls Conv2DBackwardFilter.
func (Ops) Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) error {
	Conv2DBackwardFilter(dW, dB, dOut, in, s)
	return nil
}

// ReLUForward calls ReLUForward.
func (Ops) ReLUForward(out, in []float32) error {
	ReLUForward(out, in)
	return nil
}

// ReLUBackward calls ReLUBackward.
func (Ops) ReLUBackward(dIn, dOut, out []float32) error {
	ReLUBackward(dIn, dOut, out)
	return nil
}

// SigmoidForward calls SigmoidForward.
func (Ops) SigmoidForward(out, in []float32) error {
	SigmoidForward(out, in)
	return nil
}

// SigmoidBackward calls SigmoidBackward.
func (Ops) SigmoidBackward(dIn, dOut, out []float32) error {
	SigmoidBackward(dIn, dOut, out)
	return nil
}

// MaxPoolForward calls MaxPoolForward.
func (Ops) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	MaxPoolForward(out, argmax, in, s)
	return nil
}

// MaxPoolBackward calls MaxPoolBackward.
func (Ops) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	MaxPoolBackward(dIn, dOut, argmax, s)
	return nil
}

// AvgPoolForward calls AvgPoolForward.
func (Ops) AvgPoolForward(out, in []float32, s model.PoolShape) error {
	AvgPoolForward(out, in, s)
	return nil
}

// AvgPoolBackward calls AvgPoolBackward.
func (Ops) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	AvgPoolBackward(dIn, dOut, s)
	return nil
}

// DropoutForward calls DropoutForward.
func (Ops) DropoutForward(out, in []float32, d model.DropoutParams) error {
	DropoutForward(out, in, d)
	return nil
}

// DropoutBackward calls DropoutBackward.
func (Ops) DropoutBackward(dIn, dOut []float32, d model.DropoutParams) error {
	DropoutBackward(dIn, dOut, d)
	return nil
}

// DenseForward calls DenseForward.
func (Ops) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	DenseForward(out, in, w, b, s)
	return nil
}

// DenseBackwardData calls DenseBackwardData.
func (Ops) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	DenseBackwardData(dIn, dOut, w, s)
	return nil
}

// DenseBackwardWeights calls DenseBackwardWeights.
func (Ops) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	DenseBackwardWeights(dW, dB, dOut, in, s)
	return nil
}

// SoftmaxCrossEntropy calls SoftmaxCrossEntropy.
func (Ops) SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) error {
	SoftmaxCrossEntropy(loss, dLogits, correct, logits, labels, n, k, scale)
	return nil
}

// SGDUpdate calls SGDUpdate.
func (Ops) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	SGDUpdate(w, v, g, lr, momentum)
	return nil
}
