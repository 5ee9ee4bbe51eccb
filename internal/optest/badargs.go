package optest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// slot is one slice argument of an op in a bad-argument case: its name, the length its
// shape needs, its element type and whether the op writes it.
type slot struct {
	name string
	n    int
	i32  bool
	out  bool
}

// badOp is an op with small valid shapes, its slice arguments in signature order, and a
// call that passes args[k] (a []float32 or an []int32) for slot k.
type badOp struct {
	op    string
	slots []slot
	call  func(ops Ops, args []any) error
}

func f32(a any) []float32 { return a.([]float32) }
func i32(a any) []int32   { return a.([]int32) }

// badOps lists every op of the contract with the shapes of its bad-argument cases.
func badOps() []badOp {
	cs := model.ConvShape{N: 2, C: 2, H: 5, W: 4, OC: 3, KH: 3, KW: 2, PadH: 1}
	ps := model.PoolShape{N: 2, C: 2, H: 5, W: 4, Size: 2}
	ds := model.DenseShape{N: 2, In: 5, Out: 3}
	d := model.NewDropoutParams(0.5, 3, 4)
	const n, ln, lk = 7, 3, 4 // elementwise length; the loss's samples and classes
	in, out, inI, outI := func(name string, n int) slot { return slot{name: name, n: n} },
		func(name string, n int) slot { return slot{name: name, n: n, out: true} },
		func(name string, n int) slot { return slot{name: name, n: n, i32: true} },
		func(name string, n int) slot { return slot{name: name, n: n, i32: true, out: true} }
	elementwise := func(op string, f func(Ops, []float32, []float32) error) badOp {
		return badOp{op, []slot{out("out", n), in("in", n)}, func(o Ops, a []any) error { return f(o, f32(a[0]), f32(a[1])) }}
	}
	activationBackward := func(op string, f func(Ops, []float32, []float32, []float32) error) badOp {
		return badOp{op, []slot{out("dIn", n), in("dOut", n), in("out", n)},
			func(o Ops, a []any) error { return f(o, f32(a[0]), f32(a[1]), f32(a[2])) }}
	}
	sgd := func(op string, momentum float32) badOp {
		return badOp{op, []slot{out("w", n), out("v", n), in("g", n)},
			func(o Ops, a []any) error { return o.SGDUpdate(f32(a[0]), f32(a[1]), f32(a[2]), 0.1, momentum) }}
	}
	return []badOp{
		{"Conv2DForward", []slot{out("out", cs.OutLen()), in("in", cs.InLen()), in("w", cs.WeightLen()), in("b", cs.OC)},
			func(o Ops, a []any) error { return o.Conv2DForward(f32(a[0]), f32(a[1]), f32(a[2]), f32(a[3]), cs) }},
		{"Conv2DBackwardData", []slot{out("dIn", cs.InLen()), in("dOut", cs.OutLen()), in("w", cs.WeightLen())},
			func(o Ops, a []any) error { return o.Conv2DBackwardData(f32(a[0]), f32(a[1]), f32(a[2]), cs) }},
		{"Conv2DBackwardFilter", []slot{out("dW", cs.WeightLen()), out("dB", cs.OC), in("dOut", cs.OutLen()), in("in", cs.InLen())},
			func(o Ops, a []any) error {
				return o.Conv2DBackwardFilter(f32(a[0]), f32(a[1]), f32(a[2]), f32(a[3]), cs)
			}},
		elementwise("ReLUForward", Ops.ReLUForward),
		activationBackward("ReLUBackward", Ops.ReLUBackward),
		elementwise("SigmoidForward", Ops.SigmoidForward),
		activationBackward("SigmoidBackward", Ops.SigmoidBackward),
		{"MaxPoolForward", []slot{out("out", ps.OutLen()), outI("argmax", ps.OutLen()), in("in", ps.InLen())},
			func(o Ops, a []any) error { return o.MaxPoolForward(f32(a[0]), i32(a[1]), f32(a[2]), ps) }},
		{"MaxPoolBackward", []slot{out("dIn", ps.InLen()), in("dOut", ps.OutLen()), inI("argmax", ps.OutLen())},
			func(o Ops, a []any) error { return o.MaxPoolBackward(f32(a[0]), f32(a[1]), i32(a[2]), ps) }},
		{"MinPoolForward", []slot{out("out", ps.OutLen()), outI("argmin", ps.OutLen()), in("in", ps.InLen())},
			func(o Ops, a []any) error { return o.MinPoolForward(f32(a[0]), i32(a[1]), f32(a[2]), ps) }},
		{"AvgPoolForward", []slot{out("out", ps.OutLen()), in("in", ps.InLen())},
			func(o Ops, a []any) error { return o.AvgPoolForward(f32(a[0]), f32(a[1]), ps) }},
		{"AvgPoolBackward", []slot{out("dIn", ps.InLen()), in("dOut", ps.OutLen())},
			func(o Ops, a []any) error { return o.AvgPoolBackward(f32(a[0]), f32(a[1]), ps) }},
		{"DropoutForward", []slot{out("out", n), in("in", n)},
			func(o Ops, a []any) error { return o.DropoutForward(f32(a[0]), f32(a[1]), d) }},
		{"DropoutBackward", []slot{out("dIn", n), in("dOut", n)},
			func(o Ops, a []any) error { return o.DropoutBackward(f32(a[0]), f32(a[1]), d) }},
		{"DenseForward", []slot{out("out", ds.N*ds.Out), in("in", ds.N*ds.In), in("w", ds.Out*ds.In), in("b", ds.Out)},
			func(o Ops, a []any) error { return o.DenseForward(f32(a[0]), f32(a[1]), f32(a[2]), f32(a[3]), ds) }},
		{"DenseBackwardData", []slot{out("dIn", ds.N*ds.In), in("dOut", ds.N*ds.Out), in("w", ds.Out*ds.In)},
			func(o Ops, a []any) error { return o.DenseBackwardData(f32(a[0]), f32(a[1]), f32(a[2]), ds) }},
		{"DenseBackwardWeights", []slot{out("dW", ds.Out*ds.In), out("dB", ds.Out), in("dOut", ds.N*ds.Out), in("in", ds.N*ds.In)},
			func(o Ops, a []any) error {
				return o.DenseBackwardWeights(f32(a[0]), f32(a[1]), f32(a[2]), f32(a[3]), ds)
			}},
		{"SoftmaxCrossEntropy", []slot{out("loss", ln), out("dLogits", ln*lk), outI("correct", ln), in("logits", ln*lk), inI("labels", ln)},
			func(o Ops, a []any) error {
				return o.SoftmaxCrossEntropy(f32(a[0]), f32(a[1]), i32(a[2]), f32(a[3]), i32(a[4]), ln, lk, 1.0/ln)
			}},
		sgd("SGDUpdate", 0.9),
		sgd("SGDUpdate_momentum0", 0),
	}
}

// BadArguments calls every op with valid arguments (which must succeed), then with each
// slice argument in turn one value too short and one too long, then with a label outside
// [0, k) and an argmax index outside the input; each bad call must return an error that
// names the argument, must not panic, and must leave every output (poisoned) and input
// as it was.
func BadArguments(t *testing.T, ops Ops) {
	for _, b := range badOps() {
		t.Run(b.op, func(t *testing.T) {
			lens := make([]int, len(b.slots))
			for k, s := range b.slots {
				lens[k] = s.n
			}
			run(t, b.op, "valid", func(e *env) {
				e.check(b.call(ops, e.badArgs(b, lens, nil)))
			})
			for k, s := range b.slots {
				for _, n := range []int{s.n - 1, s.n + 1} {
					bad := slices.Clone(lens)
					bad[k] = n
					run(t, b.op, fmt.Sprintf("%s_%d_values_for_%d", s.name, n, s.n), func(e *env) {
						args := e.badArgs(b, bad, nil)
						e.checkRejected(s.name, func() error { return b.call(ops, args) })
					})
				}
				if s.i32 && !s.out {
					for _, v := range badValues(b.op, s.name) {
						run(t, b.op, fmt.Sprintf("%s_value_%d", s.name, v), func(e *env) {
							args := e.badArgs(b, lens, func(k2 int, x []int32) {
								if k2 == k {
									x[len(x)/2] = v
								}
							})
							e.checkRejected(s.name, func() error { return b.call(ops, args) })
						})
					}
				}
			}
		})
	}
}

// badValues are the out-of-range values of an op's int32 input: labels outside [0, 4) of
// the loss's 4 classes, argmax indices outside the pool's input.
func badValues(op, name string) []int32 {
	switch {
	case op == "SoftmaxCrossEntropy" && name == "labels":
		return []int32{-1, 4}
	case op == "MaxPoolBackward" && name == "argmax":
		in := model.PoolShape{N: 2, C: 2, H: 5, W: 4, Size: 2}.InLen()
		return []int32{-1, int32(in), math.MaxInt32}
	}
	panic("optest: no bad values for " + op + " " + name)
}

// badArgs returns the arguments of b with the slot lengths lens: outputs poisoned and
// guarded, float inputs uniform in [−1, 1), int32 inputs valid (labels in [0, 4), argmax
// indices of a real forward pass, extended by index 0) unless edit changes them.
func (e *env) badArgs(b badOp, lens []int, edit func(k int, x []int32)) []any {
	args := make([]any, len(b.slots))
	for k, s := range b.slots {
		n := lens[k]
		switch {
		case s.out && s.i32:
			args[k] = e.outI32(s.name, n)
		case s.out:
			args[k] = e.out(s.name, n)
		case s.i32:
			x := make([]int32, n)
			if s.name == "labels" {
				for i := range x {
					x[i] = int32(e.src.Intn(4))
				}
			} else { // argmax of the pool badOps uses
				ps := model.PoolShape{N: 2, C: 2, H: 5, W: 4, Size: 2}
				arg := make([]int32, ps.OutLen())
				ref.MaxPoolForward(make([]float64, ps.OutLen()), arg, ref.To64(e.draw(ps.InLen(), -1, 1)), ps)
				copy(x, arg)
			}
			if edit != nil {
				edit(k, x)
			}
			args[k] = e.inputI32(s.name, x)
		default:
			args[k] = e.uniform(s.name, n, -1, 1)
		}
	}
	return args
}

// checkRejected calls f and requires an error naming the argument name, no panic, and
// every output and guard value and every input unchanged.
func (e *env) checkRejected(name string, f func() error) {
	t := e.t
	t.Helper()
	before := make([]guarded, len(e.outs))
	for i, g := range e.outs {
		before[i] = guarded{name: g.name, f32: slices.Clone(g.f32), i32: slices.Clone(g.i32)}
	}
	var err error
	panicked := func() (p any) {
		defer func() { p = recover() }()
		err = f()
		return nil
	}()
	if panicked != nil {
		t.Fatalf("panicked instead of returning an error: %v", panicked)
	}
	if err == nil {
		t.Fatalf("accepted a bad %s: no error", name)
	}
	if !strings.Contains(err.Error(), name) {
		t.Errorf("the error does not name the argument %s: %v", name, err)
	}
	for i, g := range e.outs {
		if !equalBits(g.f32, before[i].f32) || !slices.Equal(g.i32, before[i].i32) {
			t.Errorf("wrote into %s although it returned an error (%v)", g.name, err)
		}
	}
	for _, in := range e.ins {
		if (in.f32 != nil && !equalBits(in.f32, in.orig)) || (in.i32 != nil && !slices.Equal(in.i32, in.oi32)) {
			t.Errorf("changed its input %s", in.name)
		}
	}
}
