package optest

import (
	"fmt"
	"testing"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// refOps runs the reference in float64 and rounds each output once to float32: the best
// a float32 implementation can do. The suite must accept it, or its tolerances are tighter
// than float32 maths allows. The reference panics on bad arguments before writing
// anything; refOps turns that into an error, which lists all of the op's arguments since
// the panic does not say which one is wrong.
type refOps struct{}

var _ Ops = refOps{}

// guard runs f and returns its panic, if any, as an error naming op.
func guard(op string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", op, r)
		}
	}()
	f()
	return nil
}

// set copies x, rounded, into dst.
func set(dst []float32, x []float64) {
	for i, v := range x {
		dst[i] = float32(v)
	}
}

func (refOps) Conv2DForward(out, in, w, b []float32, s model.ConvShape) error {
	return guard("Conv2DForward out/in/w/b", func() {
		y := make([]float64, len(out))
		ref.Conv2DForward(y, ref.To64(in), ref.To64(w), ref.To64(b), s)
		set(out, y)
	})
}

func (refOps) Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) error {
	return guard("Conv2DBackwardData dIn/dOut/w", func() {
		y := make([]float64, len(dIn))
		ref.Conv2DBackwardData(y, ref.To64(dOut), ref.To64(w), s)
		set(dIn, y)
	})
}

func (refOps) Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) error {
	return guard("Conv2DBackwardFilter dW/dB/dOut/in", func() {
		w, b := make([]float64, len(dW)), make([]float64, len(dB))
		ref.Conv2DBackwardFilter(w, b, ref.To64(dOut), ref.To64(in), s)
		set(dW, w)
		set(dB, b)
	})
}

// unary runs an elementwise reference function f(dst, src) into the float32 dst.
func unary(op string, dst, src []float32, f func(dst, src []float64)) error {
	return guard(op, func() {
		y := make([]float64, len(dst))
		f(y, ref.To64(src))
		set(dst, y)
	})
}

// binary runs a backward reference function f(dIn, dOut, out) into the float32 dIn.
func binary(op string, dIn, dOut, out []float32, f func(dIn, dOut, out []float64)) error {
	return guard(op, func() {
		y := make([]float64, len(dIn))
		f(y, ref.To64(dOut), ref.To64(out))
		set(dIn, y)
	})
}

func (refOps) ReLUForward(out, in []float32) error {
	return unary("ReLUForward out/in", out, in, ref.ReLUForward)
}

func (refOps) ReLUBackward(dIn, dOut, out []float32) error {
	return binary("ReLUBackward dIn/dOut/out", dIn, dOut, out, ref.ReLUBackward)
}

func (refOps) SigmoidForward(out, in []float32) error {
	return unary("SigmoidForward out/in", out, in, ref.SigmoidForward)
}

func (refOps) SigmoidBackward(dIn, dOut, out []float32) error {
	return binary("SigmoidBackward dIn/dOut/out", dIn, dOut, out, ref.SigmoidBackward)
}

func (refOps) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	return guard("MaxPoolForward out/argmax/in", func() {
		y, a := make([]float64, len(out)), make([]int32, len(argmax))
		ref.MaxPoolForward(y, a, ref.To64(in), s)
		set(out, y)
		copy(argmax, a)
	})
}

func (refOps) MinPoolForward(out []float32, argmin []int32, in []float32, s model.PoolShape) error {
	return guard("MinPoolForward out/argmin/in", func() {
		y, a := make([]float64, len(out)), make([]int32, len(argmin))
		ref.MinPoolForward(y, a, ref.To64(in), s)
		set(out, y)
		copy(argmin, a)
	})
}

func (refOps) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	return guard("MaxPoolBackward dIn/dOut/argmax", func() {
		y := make([]float64, len(dIn))
		ref.MaxPoolBackward(y, ref.To64(dOut), argmax, s)
		set(dIn, y)
	})
}

func (refOps) AvgPoolForward(out, in []float32, s model.PoolShape) error {
	return unary("AvgPoolForward out/in", out, in, func(y, x []float64) { ref.AvgPoolForward(y, x, s) })
}

func (refOps) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	return unary("AvgPoolBackward dIn/dOut", dIn, dOut, func(y, x []float64) { ref.AvgPoolBackward(y, x, s) })
}

func (refOps) DropoutForward(out, in []float32, d model.DropoutParams) error {
	return unary("DropoutForward out/in", out, in, func(y, x []float64) { ref.DropoutForward(y, x, d) })
}

func (refOps) DropoutBackward(dIn, dOut []float32, d model.DropoutParams) error {
	return unary("DropoutBackward dIn/dOut", dIn, dOut, func(y, x []float64) { ref.DropoutBackward(y, x, d) })
}

func (refOps) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	return guard("DenseForward out/in/w/b", func() {
		y := make([]float64, len(out))
		ref.DenseForward(y, ref.To64(in), ref.To64(w), ref.To64(b), s)
		set(out, y)
	})
}

func (refOps) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	return guard("DenseBackwardData dIn/dOut/w", func() {
		y := make([]float64, len(dIn))
		ref.DenseBackwardData(y, ref.To64(dOut), ref.To64(w), s)
		set(dIn, y)
	})
}

func (refOps) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	return guard("DenseBackwardWeights dW/dB/dOut/in", func() {
		w, b := make([]float64, len(dW)), make([]float64, len(dB))
		ref.DenseBackwardWeights(w, b, ref.To64(dOut), ref.To64(in), s)
		set(dW, w)
		set(dB, b)
	})
}

func (refOps) SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) error {
	return guard("SoftmaxCrossEntropy loss/dLogits/correct/logits/labels", func() {
		l, d, c := make([]float64, len(loss)), make([]float64, len(dLogits)), make([]int32, len(correct))
		ref.SoftmaxCrossEntropy(l, d, c, ref.To64(logits), labels, n, k, float64(scale))
		set(loss, l)
		set(dLogits, d)
		copy(correct, c)
	})
}

func (refOps) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	return guard("SGDUpdate w/v/g", func() {
		w64, v64 := ref.To64(w), ref.To64(v)
		ref.SGDUpdate(w64, v64, ref.To64(g), float64(lr), float64(momentum))
		set(w, w64)
		set(v, v64)
	})
}

// TestSuiteAcceptsExactMaths runs the whole suite against refOps.
func TestSuiteAcceptsExactMaths(t *testing.T) { All(t, refOps{}) }
