package cpu

import "github.com/vkcnn/vkcnn/model"

const errSumSGDLen = "cpu: sumSGD: the slices differ in length"

// updateBlock is the number of parameter values one goroutine updates at a time.
const updateBlock = 2048

// update takes the step's SGD update from the chunk gradients parts (chunkGradients), every
// tensor cut into blocks of updateBlock values that the goroutines share: a value's sum
// and step are the same whichever goroutine runs them, so the weights do not depend on
// GOMAXPROCS.
func (e *Engine) update(parts []*model.Params, lr float32) {
	e.blocks = e.blocks[:0]
	for t, tensor := range e.params.Tensors {
		for lo := 0; lo < len(tensor.Data); lo += updateBlock {
			e.blocks = append(e.blocks, [3]int{t, lo, min(lo+updateBlock, len(tensor.Data))})
		}
	}
	if len(e.partsOf) != len(e.params.Tensors) {
		e.partsOf = make([][][]float32, len(e.params.Tensors))
	}
	for t := range e.partsOf {
		e.partsOf[t] = e.partsOf[t][:0]
		for _, p := range parts {
			e.partsOf[t] = append(e.partsOf[t], p.Tensors[t].Data)
		}
	}
	e.parallel(len(e.blocks), func(k int) {
		b := e.blocks[k]
		t, lo, hi := b[0], b[1], b[2]
		w, v := e.params.Tensors[t].Data, e.vel.Tensors[t].Data
		if e.cfg.Momentum != 0 {
			v = v[lo:hi]
		}
		sumSGD(w[lo:hi], v, e.partsOf[t], lo, lr, e.cfg.Momentum)
	})
}

// sumSGD takes the SGD step of SGDUpdate on w (and v) with the gradient
// g[i] = Σ_c parts[c][off+i], summed in increasing c from parts[0][off+i] (the engine's
// chunk gradients in chunk order): with momentum μ = 0, w[i] −= lr·g[i]; else
// v[i] = μ·v[i] + g[i] and w[i] −= lr·v[i]. One pass over the parts, without writing g;
// the same bits as summing g into its own slice and calling SGDUpdate. v may be empty
// when μ = 0.
func sumSGD(w, v []float32, parts [][]float32, off int, lr, momentum float32) {
	if len(parts) == 0 || off < 0 {
		panic(errSumSGDLen)
	}
	for _, p := range parts {
		if len(p) < off+len(w) {
			panic(errSumSGDLen)
		}
	}
	if momentum != 0 && len(v) != len(w) {
		panic(errSumSGDLen)
	}
	k := sumSGDSIMD(w, v, parts, off, lr, momentum) // the first k values
	for i := k; i < len(w); i++ {
		g := parts[0][off+i]
		for _, p := range parts[1:] {
			g += p[off+i]
		}
		if momentum == 0 {
			w[i] -= lr * g
			continue
		}
		vi := momentum*v[i] + g
		v[i] = vi
		w[i] -= lr * vi
	}
}
