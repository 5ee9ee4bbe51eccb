package cpu_test

import (
	"vkcnn/internal/optest"
	"vkcnn/model"
)

// lossFloat64 is the mean cross-entropy of the network on the n images x with labels y,
// computed in float64 with optest's naive reference ops: the independent reference that
// the whole-network gradient check differentiates by central differences. Dropout uses the
// training mask of (seed, step) over the whole batch, as the engine does.
func lossFloat64(a *model.Arch, p [][]float64, x []float32, y []int32, n int, seed, step uint32) float64 {
	act := optest.To64(x[:n*a.Input.Len()])
	pi := 0
	for li := range a.Layers {
		l := &a.Layers[li]
		switch l.Kind {
		case model.Conv:
			act = optest.Conv2DForward64(act, p[pi], p[pi+1], l.ConvShape(n))
			pi += 2
		case model.Dense:
			act = optest.Dense64(act, p[pi], p[pi+1], l.DenseShape(n))
			pi += 2
		case model.ReLU:
			act = optest.ReLU64(act)
		case model.Sigmoid:
			act = optest.Sigmoid64(act)
		case model.MaxPool, model.AvgPool:
			act = optest.Pool64(act, l.PoolShape(n), l.Kind == model.MaxPool)
		case model.Dropout:
			act = optest.Dropout64(act, model.NewDropoutParams(l.P, model.DropoutSeed(seed, li), step))
		}
	}
	total := 0.0
	for _, l := range optest.CrossEntropy64(act, y, n, a.Classes) {
		total += l
	}
	return total / float64(n)
}
