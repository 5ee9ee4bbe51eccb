package gpu

import (
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/vulkan"
)

// call is one recorded op: the shader, its push constants and its grid. The engine and the
// op wrappers build their dispatches from these, so each op's grid is defined once.
type call struct {
	name string
	push []byte
	grid dispatch
}

// convForwardCall writes a(conv) (a = actNone: the plain convolution).
func convForwardCall(s model.ConvShape, a act) call {
	p := convParamsOf(s, a)
	return call{"conv2d_forward", vulkan.Bytes(&p), dispatch{total: s.OutLen()}}
}

// convBackwardDataCall multiplies dIn by a'(x), x the layer's input, where a is the
// activation before the layer, fused into the layer before that (see fusedAct).
func convBackwardDataCall(s model.ConvShape, a act) call {
	p := convParamsOf(s, a)
	return call{"conv2d_backward_data", vulkan.Bytes(&p), dispatch{total: s.InLen()}}
}

// serialFilterTerms is the most terms per output (N·OH·OW) for which a conv's filter
// gradient runs one thread per output: conv2 of the default network at batch 1 sums 64
// terms per weight, and a 64-thread tree for each of its 1,812 outputs cost lavapipe 4.7 ms
// of a 7.3 ms step (mostly barriers); at batch 64 (4,096 and 36,864 terms) the workgroup
// reduction keeps the GPU busy.
const serialFilterTerms = 1024

// convBackwardFilterCall: one workgroup per weight then one per bias, or for small sums
// one thread per output.
func convBackwardFilterCall(s model.ConvShape) call {
	p := convShapeParamsOf(s)
	if s.N*s.OH()*s.OW() <= serialFilterTerms {
		return call{"conv2d_backward_filter_serial", vulkan.Bytes(&p), dispatch{total: s.WeightLen() + s.OC}}
	}
	return call{"conv2d_backward_filter", vulkan.Bytes(&p), dispatch{groups: s.WeightLen() + s.OC}}
}

// denseForwardCall writes a(dense) (a = actNone: the plain layer).
func denseForwardCall(s model.DenseShape, a act) call {
	p := denseParamsOf(s, a)
	return call{"dense_forward", vulkan.Bytes(&p), dispatch{total: s.N * s.Out}}
}

// denseBackwardDataCall multiplies dIn by a'(x), x the layer's input, where a is the
// activation before the layer, fused into the layer before that (see fusedAct).
func denseBackwardDataCall(s model.DenseShape, a act) call {
	p := denseParamsOf(s, a)
	return call{"dense_backward_data", vulkan.Bytes(&p), dispatch{total: s.N * s.In}}
}

// denseBackwardWeightsCall: one thread per weight, then one per bias.
func denseBackwardWeightsCall(s model.DenseShape) call {
	p := denseShapeParamsOf(s)
	return call{"dense_backward_weights", vulkan.Bytes(&p), dispatch{total: s.Out*s.In + s.Out}}
}

// poolCall is maxpool_forward, minpool_forward or avgpool_forward, a thread per output.
func poolCall(name string, s model.PoolShape) call {
	p := poolParamsOf(s)
	return call{name, vulkan.Bytes(&p), dispatch{total: s.OutLen()}}
}

// poolBackwardCall is maxpool_backward (also min-pool's) or avgpool_backward, a thread
// per input; it multiplies dIn by a'(x), x the pool's input, where a is the activation
// before the pool, fused into the layer before that (see fusedAct).
func poolBackwardCall(name string, s model.PoolShape, a act) call {
	p := poolBackwardParams{poolParamsOf(s), a}
	return call{name, vulkan.Bytes(&p), dispatch{total: s.InLen()}}
}

// elementwiseCall is relu/sigmoid forward/backward over n values.
func elementwiseCall(name string, n int) call {
	p := nParams{N: u32(n)}
	return call{name, vulkan.Bytes(&p), dispatch{total: n}}
}

// dropoutForwardCall is dropout_forward over n values.
func dropoutForwardCall(n int, d model.DropoutParams, stepOffset int) call {
	p := dropoutParamsOf(n, d, stepOffset)
	return call{"dropout_forward", vulkan.Bytes(&p), dispatch{total: n}}
}

// dropoutBackwardCall is dropout_backward over n values; it multiplies dIn by a'(x), x the
// dropout's input, where a is the activation before it, fused into the layer before that
// (see fusedAct).
func dropoutBackwardCall(n int, d model.DropoutParams, stepOffset int, a act) call {
	p := dropoutBackwardParams{dropoutParamsOf(n, d, stepOffset), a}
	return call{"dropout_backward", vulkan.Bytes(&p), dispatch{total: n}}
}

func dropoutParamsOf(n int, d model.DropoutParams, stepOffset int) dropoutParams {
	return dropoutParams{Seed: d.Seed, Threshold: d.Threshold, Scale: d.Scale, StepOffset: u32(stepOffset), N: u32(n), Offset: d.Offset}
}

func softmaxCall(n, k int, scale float32) call {
	p := softmaxParams{N: u32(n), K: u32(k), Scale: scale}
	return call{"softmax_cross_entropy", vulkan.Bytes(&p), dispatch{total: n}}
}

func sgdCall(n int, momentum float32, stepOffset int) call {
	p := sgdParams{N: u32(n), Momentum: momentum, StepOffset: u32(stepOffset)}
	return call{"sgd_update", vulkan.Bytes(&p), dispatch{total: n}}
}

func gatherCall(batch, count, imageLen, stepOffset int) call {
	p := gatherParams{Batch: u32(batch), Count: u32(count), ImageLen: u32(imageLen), StepOffset: u32(stepOffset)}
	return call{"gather_batch", vulkan.Bytes(&p), dispatch{total: count * imageLen}}
}

// stepStatsCall is a single workgroup.
func stepStatsCall(count, stepOffset int) call {
	p := stepStatsParams{Count: u32(count), StepOffset: u32(stepOffset)}
	return call{"step_stats", vulkan.Bytes(&p), dispatch{groups: 1}}
}

func advanceCall(count int) call {
	p := advanceParams{Count: u32(count)}
	return call{"advance_step", vulkan.Bytes(&p), dispatch{total: 1}}
}
