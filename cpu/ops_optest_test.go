package cpu_test

import (
	"fmt"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/optest"
	"github.com/vkcnn/vkcnn/model"
)

// ops runs the CPU engine's kernels behind the internal/optest.Ops contract, so that the
// parity suite holds them to the float64 reference. The kernels panic on a slice of the
// wrong length (a programmer error inside the engine); the contract asks for an error
// naming the argument, so every method checks its arguments first.
type ops struct{}

var _ optest.Ops = ops{}

// arg is a slice argument's name, its length and the length its shape needs (unused by
// same).
type arg struct {
	name      string
	got, want int
}

// check returns an error naming the first argument whose length is not the one its shape
// needs.
func check(op string, args ...arg) error {
	for _, a := range args {
		if a.got != a.want {
			return fmt.Errorf("cpu: %s: %s has %d values, the shape needs %d", op, a.name, a.got, a.want)
		}
	}
	return nil
}

// same returns an error listing every argument's length unless all are equal: for the
// elementwise ops, whose length no shape fixes.
func same(op string, args ...arg) error {
	for _, a := range args {
		if a.got != args[0].got {
			msg := ""
			for i, a := range args {
				if i > 0 {
					msg += ", "
				}
				msg += fmt.Sprintf("%s %d", a.name, a.got)
			}
			return fmt.Errorf("cpu: %s: the slices differ in length (%s values)", op, msg)
		}
	}
	return nil
}

func (ops) Conv2DForward(out, in, w, b []float32, s model.ConvShape) error {
	if err := check("Conv2DForward", arg{"out", len(out), s.OutLen()}, arg{"in", len(in), s.InLen()},
		arg{"w", len(w), s.WeightLen()}, arg{"b", len(b), s.OC}); err != nil {
		return err
	}
	cpu.Conv2DForward(out, in, w, b, s)
	return nil
}

func (ops) Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) error {
	if err := check("Conv2DBackwardData", arg{"dIn", len(dIn), s.InLen()}, arg{"dOut", len(dOut), s.OutLen()},
		arg{"w", len(w), s.WeightLen()}); err != nil {
		return err
	}
	cpu.Conv2DBackwardData(dIn, dOut, w, s)
	return nil
}

func (ops) Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) error {
	if err := check("Conv2DBackwardFilter", arg{"dW", len(dW), s.WeightLen()}, arg{"dB", len(dB), s.OC},
		arg{"dOut", len(dOut), s.OutLen()}, arg{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	cpu.Conv2DBackwardFilter(dW, dB, dOut, in, s)
	return nil
}

func (ops) ReLUForward(out, in []float32) error {
	if err := same("ReLUForward", arg{"out", len(out), 0}, arg{"in", len(in), 0}); err != nil {
		return err
	}
	cpu.ReLUForward(out, in)
	return nil
}

func (ops) ReLUBackward(dIn, dOut, out []float32) error {
	if err := same("ReLUBackward", arg{"dIn", len(dIn), 0}, arg{"dOut", len(dOut), 0}, arg{"out", len(out), 0}); err != nil {
		return err
	}
	cpu.ReLUBackward(dIn, dOut, out)
	return nil
}

func (ops) SigmoidForward(out, in []float32) error {
	if err := same("SigmoidForward", arg{"out", len(out), 0}, arg{"in", len(in), 0}); err != nil {
		return err
	}
	cpu.SigmoidForward(out, in)
	return nil
}

func (ops) SigmoidBackward(dIn, dOut, out []float32) error {
	if err := same("SigmoidBackward", arg{"dIn", len(dIn), 0}, arg{"dOut", len(dOut), 0}, arg{"out", len(out), 0}); err != nil {
		return err
	}
	cpu.SigmoidBackward(dIn, dOut, out)
	return nil
}

func (ops) MinPoolForward(out []float32, argmin []int32, in []float32, s model.PoolShape) error {
	if err := check("MinPoolForward", arg{"out", len(out), s.OutLen()}, arg{"argmin", len(argmin), s.OutLen()},
		arg{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	cpu.MinPoolForward(out, argmin, in, s)
	return nil
}

func (ops) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	if err := check("MaxPoolForward", arg{"out", len(out), s.OutLen()}, arg{"argmax", len(argmax), s.OutLen()},
		arg{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	cpu.MaxPoolForward(out, argmax, in, s)
	return nil
}

func (ops) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	if err := check("MaxPoolBackward", arg{"dIn", len(dIn), s.InLen()}, arg{"dOut", len(dOut), s.OutLen()},
		arg{"argmax", len(argmax), s.OutLen()}); err != nil {
		return err
	}
	for j, a := range argmax {
		if a < 0 || int(a) >= len(dIn) {
			return fmt.Errorf("cpu: MaxPoolBackward: argmax[%d] = %d is outside dIn's %d values", j, a, len(dIn))
		}
	}
	cpu.MaxPoolBackward(dIn, dOut, argmax, s)
	return nil
}

func (ops) AvgPoolForward(out, in []float32, s model.PoolShape) error {
	if err := check("AvgPoolForward", arg{"out", len(out), s.OutLen()}, arg{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	cpu.AvgPoolForward(out, in, s)
	return nil
}

func (ops) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	if err := check("AvgPoolBackward", arg{"dIn", len(dIn), s.InLen()}, arg{"dOut", len(dOut), s.OutLen()}); err != nil {
		return err
	}
	cpu.AvgPoolBackward(dIn, dOut, s)
	return nil
}

func (ops) DropoutForward(out, in []float32, d model.DropoutParams) error {
	if err := same("DropoutForward", arg{"out", len(out), 0}, arg{"in", len(in), 0}); err != nil {
		return err
	}
	cpu.DropoutForward(out, in, d)
	return nil
}

func (ops) DropoutBackward(dIn, dOut []float32, d model.DropoutParams) error {
	if err := same("DropoutBackward", arg{"dIn", len(dIn), 0}, arg{"dOut", len(dOut), 0}); err != nil {
		return err
	}
	cpu.DropoutBackward(dIn, dOut, d)
	return nil
}

func (ops) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	if err := check("DenseForward", arg{"out", len(out), s.N * s.Out}, arg{"in", len(in), s.N * s.In},
		arg{"w", len(w), s.Out * s.In}, arg{"b", len(b), s.Out}); err != nil {
		return err
	}
	cpu.DenseForward(out, in, w, b, s)
	return nil
}

func (ops) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	if err := check("DenseBackwardData", arg{"dIn", len(dIn), s.N * s.In}, arg{"dOut", len(dOut), s.N * s.Out},
		arg{"w", len(w), s.Out * s.In}); err != nil {
		return err
	}
	cpu.DenseBackwardData(dIn, dOut, w, s)
	return nil
}

func (ops) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	if err := check("DenseBackwardWeights", arg{"dW", len(dW), s.Out * s.In}, arg{"dB", len(dB), s.Out},
		arg{"dOut", len(dOut), s.N * s.Out}, arg{"in", len(in), s.N * s.In}); err != nil {
		return err
	}
	cpu.DenseBackwardWeights(dW, dB, dOut, in, s)
	return nil
}

func (ops) SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) error {
	if err := check("SoftmaxCrossEntropy", arg{"loss", len(loss), n}, arg{"dLogits", len(dLogits), n * k},
		arg{"correct", len(correct), n}, arg{"logits", len(logits), n * k}, arg{"labels", len(labels), n}); err != nil {
		return err
	}
	for i, y := range labels {
		if y < 0 || int(y) >= k {
			return fmt.Errorf("cpu: SoftmaxCrossEntropy: labels[%d] = %d is outside [0, %d)", i, y, k)
		}
	}
	cpu.SoftmaxCrossEntropy(loss, dLogits, correct, logits, labels, n, k, scale)
	return nil
}

func (ops) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	if err := same("SGDUpdate", arg{"w", len(w), 0}, arg{"v", len(v), 0}, arg{"g", len(g), 0}); err != nil {
		return err
	}
	cpu.SGDUpdate(w, v, g, lr, momentum)
	return nil
}
