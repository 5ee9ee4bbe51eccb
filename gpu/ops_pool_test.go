package gpu

import (
	"fmt"

	"github.com/vkcnn/vkcnn/model"
)

// MaxPoolForward runs maxpool_forward.comp, one thread per output value: out (N,C,OH,OW)
// is the window max and argmax the flat index into in of its first maximum.
func (o *Ops) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	if err := check("MaxPoolForward", length{"out", len(out), s.OutLen()}, length{"argmax", len(argmax), s.OutLen()},
		length{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	return o.run(poolCall("maxpool_forward", s),
		output("out", out), output("argmax", argmax), input("in", in))
}

// MinPoolForward runs minpool_forward.comp, one thread per output value: out (N,C,OH,OW)
// is the window min and argmin the flat index into in of its first minimum.
func (o *Ops) MinPoolForward(out []float32, argmin []int32, in []float32, s model.PoolShape) error {
	if err := check("MinPoolForward", length{"out", len(out), s.OutLen()}, length{"argmin", len(argmin), s.OutLen()},
		length{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	return o.run(poolCall("minpool_forward", s),
		output("out", out), output("argmin", argmin), input("in", in))
}

// MaxPoolBackward runs maxpool_backward.comp, one thread per input value:
// dIn = 0 except dIn[argmax[j]] = dOut[j].
func (o *Ops) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	return o.maxPoolBackwardAct(dIn, dOut, argmax, noAct, s, actNone)
}

// maxPoolBackwardAct is MaxPoolBackward with dIn multiplied by a'(x), where x (N,C,H,W),
// the pool's input, is the output of the activation a (unread, any length, for actNone).
func (o *Ops) maxPoolBackwardAct(dIn, dOut []float32, argmax []int32, x []float32, s model.PoolShape, a act) error {
	if err := check("MaxPoolBackward", length{"dIn", len(dIn), s.InLen()}, length{"dOut", len(dOut), s.OutLen()},
		length{"argmax", len(argmax), s.OutLen()}); err != nil {
		return err
	}
	if err := checkAct("MaxPoolBackward", len(x), s.InLen(), a); err != nil {
		return err
	}
	for j, i := range argmax {
		if i < 0 || int(i) >= len(dIn) {
			return fmt.Errorf("gpu: MaxPoolBackward: argmax[%d] = %d is outside dIn's %d values", j, i, len(dIn))
		}
	}
	return o.run(poolBackwardCall("maxpool_backward", s, a),
		output("dIn", dIn), input("dOut", dOut), input("argmax", argmax), input("x", x))
}

// AvgPoolForward runs avgpool_forward.comp, one thread per output value: the window mean.
func (o *Ops) AvgPoolForward(out, in []float32, s model.PoolShape) error {
	if err := check("AvgPoolForward", length{"out", len(out), s.OutLen()}, length{"in", len(in), s.InLen()}); err != nil {
		return err
	}
	return o.run(poolCall("avgpool_forward", s),
		output("out", out), input("in", in))
}

// AvgPoolBackward runs avgpool_backward.comp, one thread per input value: dOut/Size² of
// the input's window, 0 outside every window.
func (o *Ops) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	return o.avgPoolBackwardAct(dIn, dOut, noAct, s, actNone)
}

// avgPoolBackwardAct is AvgPoolBackward with dIn multiplied by a'(x), where x (N,C,H,W),
// the pool's input, is the output of the activation a (unread, any length, for actNone).
func (o *Ops) avgPoolBackwardAct(dIn, dOut, x []float32, s model.PoolShape, a act) error {
	if err := check("AvgPoolBackward", length{"dIn", len(dIn), s.InLen()}, length{"dOut", len(dOut), s.OutLen()}); err != nil {
		return err
	}
	if err := checkAct("AvgPoolBackward", len(x), s.InLen(), a); err != nil {
		return err
	}
	return o.run(poolBackwardCall("avgpool_backward", s, a),
		output("dIn", dIn), input("dOut", dOut), input("x", x))
}
