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

// passKind is what one pass over the activations does.
type passKind uint8

const (
	// passLayer runs one layer alone: acts[i] → acts[i+1].
	passLayer passKind = iota
	// passReLUInPlace runs a ReLU in the buffer of its input, acts[i+1] being acts[i] (and
	// dActs[i+1] dActs[i]): only where the layer that wrote acts[i] is a conv, dense,
	// pool or dropout, whose backward does not read its own output.
	passReLUInPlace
	// passMaxPoolReLU runs a ReLU and a max-pool that follow each other, in either order,
	// as one pass: out = relu(maxpool(in)), argmax of the max-pool of in itself, and in
	// backward dIn[argmax[j]] = dOut[j]·[out[j] > 0], 0 elsewhere. That is the same, bit
	// for bit, as the two layers one after the other: ReLU, max(v, 0) with +0 for ±0 and
	// the negatives and Go's NaN for a NaN, is non-decreasing, so the window's maximum
	// commutes with it; where the maximum is positive both passes pick the same first
	// maximum, and where it is not (≤ 0, or the NaN that comes first) the output is +0 or
	// that NaN, and the ReLU's mask (out > 0 false) zeroes the whole window's gradient in
	// both, whichever input the argmax names. The activation between the two layers is
	// never written.
	passMaxPoolReLU
)

// pass is one pass over the activations: layers first..last of the arch, reading
// acts[first] and writing acts[last+1].
type pass struct {
	kind        passKind
	first, last int
	pool        int // passMaxPoolReLU: the index of the max-pool layer
}

// fuse turns the fused passes on; the tests turn it off to compare them with the layers run
// one at a time.
var fuse = true

// plan is how an arch's layers run: its passes in order. forwardLayers and the engine's
// backward follow it, and the scratch buffers are laid out for it (newActs).
type plan struct {
	arch   *model.Arch
	passes []pass
}

// newPlan fuses each ReLU next to a max-pool with it (the first such pair from the input
// on), runs every other ReLU in place where it may, and every other layer alone.
func newPlan(a *model.Arch) *plan {
	pl := &plan{arch: a}
	ls := a.Layers
	for i := 0; i < len(ls); i++ {
		switch {
		case fuse && i+1 < len(ls) && (ls[i].Kind == model.ReLU && ls[i+1].Kind == model.MaxPool):
			pl.passes = append(pl.passes, pass{kind: passMaxPoolReLU, first: i, last: i + 1, pool: i + 1})
			i++
		case fuse && i+1 < len(ls) && (ls[i].Kind == model.MaxPool && ls[i+1].Kind == model.ReLU):
			pl.passes = append(pl.passes, pass{kind: passMaxPoolReLU, first: i, last: i + 1, pool: i})
			i++
		case fuse && ls[i].Kind == model.ReLU && len(pl.passes) > 0 && pl.passes[len(pl.passes)-1].kind == passLayer && ownOutputUnread(ls[i-1].Kind):
			pl.passes = append(pl.passes, pass{kind: passReLUInPlace, first: i, last: i})
		default:
			pl.passes = append(pl.passes, pass{kind: passLayer, first: i, last: i})
		}
	}
	return pl
}

// ownOutputUnread reports whether a layer's backward pass leaves its output alone, so that
// a ReLU after it may overwrite that output with its own.
func ownOutputUnread(k model.Kind) bool {
	switch k {
	case model.Conv, model.Dense, model.MaxPool, model.MinPool, model.AvgPool, model.Dropout:
		return true
	}
	return false
}

// newActs returns the activation buffers of n samples for the plan: acts[i] of the arch's
// input and layer outputs as forwardLayers indexes them, (n, shape) each. An in-place
// ReLU's output is its input's buffer; the activation inside a fused pass is nil. With
// skipInput, acts[0] is nil too, for a caller that points it at its images.
func (pl *plan) newActs(n int, skipInput bool) [][]float32 {
	a := pl.arch
	acts := make([][]float32, len(a.Layers)+1)
	if !skipInput {
		acts[0] = make([]float32, n*a.Input.Len())
	}
	for _, ps := range pl.passes {
		if ps.kind == passReLUInPlace {
			acts[ps.last+1] = acts[ps.first]
		} else {
			acts[ps.last+1] = make([]float32, n*a.Layers[ps.last].Out.Len())
		}
	}
	return acts
}

// forwardLayers runs n samples, already in acts[0], through every layer of the plan's arch
// with the parameters p: acts[i+1][:n·Out_i] = layer_i(acts[i][:n·In_i]), NCHW, except the
// activations inside a fused pass, which are not written. argmax[i] receives the max- or
// min-pool indices of layer i (other layers do not read theirs). The engine's training and
// evaluation passes and the Predictor share it, so a layer is defined once.
func forwardLayers(pl *plan, p *model.Params, acts [][]float32, argmax [][]int32, n int, drop dropoutMasks) {
	a := pl.arch
	pi := 0
	for _, ps := range pl.passes {
		i := ps.first
		l := &a.Layers[i]
		x, y := acts[i][:n*l.In.Len()], acts[ps.last+1][:n*a.Layers[ps.last].Out.Len()]
		switch ps.kind {
		case passReLUInPlace:
			ReLUForward(x, x)
			continue
		case passMaxPoolReLU:
			pool := &a.Layers[ps.pool]
			maxPoolForward(y, argmax[ps.pool][:len(y)], x, pool.PoolShape(n), true)
			continue
		}
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
