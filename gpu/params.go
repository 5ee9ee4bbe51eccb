package gpu

import "vkcnn/model"

// The push-constant blocks of the shaders, one Go struct per block with the same fields in
// the same order, all 32-bit (TestPushConstantsMatchShaders checks the sizes against the
// SPIR-V). Pass them to Commands.Dispatch as Bytes(&p).

// nParams is the block of relu_forward, relu_backward, sigmoid_forward, sigmoid_backward:
// `uint n`.
type nParams struct {
	N uint32
}

// act is the activation a conv or dense kernel fuses (push-constant field `act`): the
// forward kernels write act(v), the backward kernels read dOut·act'(y) from the
// activation's output y.
type act uint32

const (
	actNone    act = 0
	actReLU    act = 1
	actSigmoid act = 2
)

// actOf is the fused act of a layer kind: ReLU and Sigmoid fuse, others do not.
func actOf(k model.Kind) act {
	switch k {
	case model.ReLU:
		return actReLU
	case model.Sigmoid:
		return actSigmoid
	}
	return actNone
}

// convParams is the block of conv2d_forward, conv2d_backward_data,
// conv2d_backward_filter and conv2d_backward_filter_serial:
// `uint N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW, act`.
type convParams struct {
	N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW uint32
	Act                                        act
}

func convParamsOf(s model.ConvShape, a act) convParams {
	return convParams{
		N: u32(s.N), C: u32(s.C), H: u32(s.H), W: u32(s.W),
		OC: u32(s.OC), KH: u32(s.KH), KW: u32(s.KW), PadH: u32(s.PadH), PadW: u32(s.PadW),
		OH: u32(s.OH()), OW: u32(s.OW()), Act: a,
	}
}

// poolParams is the block of maxpool_forward, maxpool_backward, avgpool_forward and
// avgpool_backward: `uint N, C, H, W, Size, OH, OW`.
type poolParams struct {
	N, C, H, W, Size, OH, OW uint32
}

func poolParamsOf(s model.PoolShape) poolParams {
	return poolParams{
		N: u32(s.N), C: u32(s.C), H: u32(s.H), W: u32(s.W), Size: u32(s.Size),
		OH: u32(s.OH()), OW: u32(s.OW()),
	}
}

// denseParams is the block of dense_forward, dense_backward_data and
// dense_backward_weights: `uint N, In, Out, act`.
type denseParams struct {
	N, In, Out uint32
	Act        act
}

func denseParamsOf(s model.DenseShape, a act) denseParams {
	return denseParams{N: u32(s.N), In: u32(s.In), Out: u32(s.Out), Act: a}
}

// dropoutParams is the block of dropout_forward and dropout_backward:
// `uint seed, threshold; float scale; uint stepOffset, n, offset`. The mask's step is
// ctrl.globalStepBase + ctrl.step + StepOffset.
type dropoutParams struct {
	Seed, Threshold uint32
	Scale           float32
	StepOffset, N   uint32
	Offset          uint32
}

// softmaxParams is the block of softmax_cross_entropy: `uint n, k; float scale`.
type softmaxParams struct {
	N, K  uint32
	Scale float32
}

// sgdParams is the block of sgd_update: `uint n; float momentum; uint stepOffset`; the
// learning rate is lrs[ctrl.step + StepOffset].
type sgdParams struct {
	N          uint32
	Momentum   float32
	StepOffset uint32
}

// gatherParams is the block of gather_batch: `uint batch, count, imageLen, stepOffset`.
type gatherParams struct {
	Batch, Count, ImageLen, StepOffset uint32
}

// stepStatsParams is the block of step_stats: `uint count, stepOffset`.
type stepStatsParams struct {
	Count, StepOffset uint32
}

// advanceParams is the block of advance_step: `uint count`.
type advanceParams struct {
	Count uint32
}

// Control is the per-epoch state buffer the step-dependent shaders read (binding named
// Control in dropout_*, sgd_update, gather_batch, step_stats, advance_step):
// `{uint step; uint globalStepBase; uint correctTotal; uint pad;}`, 16 bytes.
type Control struct {
	// Step is the epoch's step counter, advanced on the device by advance_step.
	Step uint32
	// GlobalStepBase is the global index of the epoch's first step (dropout's counter).
	GlobalStepBase uint32
	// CorrectTotal accumulates the epoch's correct predictions (step_stats).
	CorrectTotal uint32
	Pad          uint32
}

// ControlSize is the size of the Control buffer in bytes.
const ControlSize = 16
