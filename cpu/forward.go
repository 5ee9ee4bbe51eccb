package cpu

import "github.com/vkcnn/vkcnn/model"

// dropoutMasks says how the dropout layers of one forward pass draw their masks: off (the
// zero value) passes values through unchanged, as at evaluation; on, dropout layer i of the
// arch keeps value j of the chunk with the mask rng.DropoutBits(DropoutSeed(seed, i), step,
// offset·In + j), where offset is the chunk's first sample within its batch.
type dropoutMasks struct {
	on           bool
	seed, step   uint32
	sampleOffset int
}

// forwardLayers runs n samples, already in acts[0], through every layer of a with the
// parameters p: acts[i+1][:n·Out_i] = layer_i(acts[i][:n·In_i]), NCHW. argmax[i] receives
// the max- or min-pool indices of layer i (other layers do not read theirs). The engine's
// training and evaluation passes and the Predictor share it, so a layer is defined once.
func forwardLayers(a *model.Arch, p *model.Params, acts [][]float32, argmax [][]int32, n int, drop dropoutMasks) {
	pi := 0
	for i := range a.Layers {
		l := &a.Layers[i]
		x, y := acts[i][:n*l.In.Len()], acts[i+1][:n*l.Out.Len()]
		switch l.Kind {
		case model.Conv:
			w, b := p.Layer(pi)
			pi++
			Conv2DForward(y, x, w, b, l.ConvShape(n))
		case model.Dense:
			w, b := p.Layer(pi)
			pi++
			DenseForward(y, x, w, b, l.DenseShape(n))
		case model.ReLU:
			ReLUForward(y, x)
		case model.Sigmoid:
			SigmoidForward(y, x)
		case model.MaxPool:
			MaxPoolForward(y, argmax[i][:len(y)], x, l.PoolShape(n))
		case model.MinPool:
			MinPoolForward(y, argmax[i][:len(y)], x, l.PoolShape(n))
		case model.AvgPool:
			AvgPoolForward(y, x, l.PoolShape(n))
		case model.Dropout:
			if drop.on {
				d := model.NewDropoutParams(l.P, model.DropoutSeed(drop.seed, i), drop.step)
				d.Offset = uint32(drop.sampleOffset * l.In.Len())
				DropoutForward(y, x, d)
			} else {
				copy(y, x)
			}
		default:
			panic("cpu: forward: a layer kind it does not know")
		}
	}
}
