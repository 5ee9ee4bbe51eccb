package cpu_test

import (
	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// lossFloat64 is the mean cross-entropy of the network on the n images x with labels y,
// computed in float64 with the reference ops of internal/ref: the independent reference
// that the whole-network gradient check differentiates by central differences. Dropout
// uses the training mask of (seed, step) over the whole batch, as the engine does.
func lossFloat64(a *model.Arch, p [][]float64, x []float32, y []int32, n int, seed, step uint32) float64 {
	act := forward64(a, p, x, n, &dropout64{seed: seed, step: step})
	loss := make([]float64, n)
	ref.SoftmaxCrossEntropy(loss, make([]float64, n*a.Classes), make([]int32, n), act, y, n, a.Classes, 1)
	total := 0.0
	for _, l := range loss {
		total += l
	}
	return total / float64(n)
}

// dropout64 is the training mask of (seed, step) over the whole batch, as the engine draws it.
type dropout64 struct{ seed, step uint32 }

// forward64 is the network's logits (n, Classes) on the n images x with the parameters p
// (float64, in checkpoint order), computed with the reference ops of internal/ref. drop nil
// is evaluation: dropout passes values through.
func forward64(a *model.Arch, p [][]float64, x []float32, n int, drop *dropout64) []float64 {
	act := ref.To64(x[:n*a.Input.Len()])
	pi := 0
	for li := range a.Layers {
		l := &a.Layers[li]
		var out []float64
		switch l.Kind {
		case model.Conv:
			s := l.ConvShape(n)
			out = make([]float64, s.OutLen())
			ref.Conv2DForward(out, act, p[pi], p[pi+1], s)
			pi += 2
		case model.Dense:
			s := l.DenseShape(n)
			out = make([]float64, s.N*s.Out)
			ref.DenseForward(out, act, p[pi], p[pi+1], s)
			pi += 2
		case model.ReLU:
			out = make([]float64, len(act))
			ref.ReLUForward(out, act)
		case model.Sigmoid:
			out = make([]float64, len(act))
			ref.SigmoidForward(out, act)
		case model.MaxPool:
			s := l.PoolShape(n)
			out = make([]float64, s.OutLen())
			ref.MaxPoolForward(out, make([]int32, s.OutLen()), act, s)
		case model.MinPool:
			s := l.PoolShape(n)
			out = make([]float64, s.OutLen())
			ref.MinPoolForward(out, make([]int32, s.OutLen()), act, s)
		case model.AvgPool:
			s := l.PoolShape(n)
			out = make([]float64, s.OutLen())
			ref.AvgPoolForward(out, act, s)
		case model.Dropout:
			out = make([]float64, len(act))
			if drop == nil {
				out = append(out[:0], act...)
			} else {
				ref.DropoutForward(out, act, model.NewDropoutParams(l.P, model.DropoutSeed(drop.seed, li), drop.step))
			}
		default:
			panic("forward64: a layer kind it does not know")
		}
		act = out
	}
	return act
}
