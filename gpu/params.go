package gpu

import "github.com/vkcnn/vkcnn/model"

// The push-constant blocks of the shaders, one Go struct per block with the same fields in
// the same order, all 32-bit (TestPushConstantsMatchShaders checks each field's offset and
// type against the SPIR-V and its name against the GLSL). Pass them to vulkan.Commands.Dispatch as
// vulkan.Bytes(&p).

// nParams is the block of relu_forward, relu_backward, sigmoid_forward, sigmoid_backward:
// `uint n`.
type nParams struct {
	N uint32
}

// act is an activation fused into the kernels around it (push-constant field `act`): the
// conv or dense forward kernel before it writes act(v), and the backward kernel of the
// layer after it (the activation's output gradient's producer) multiplies its dIn by
// act'(x) from its own input x, the activation's output.
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

// convShapeParams is the block of conv2d_backward_filter and
// conv2d_backward_filter_serial: `uint N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW`.
type convShapeParams struct {
	N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW uint32
}

func convShapeParamsOf(s model.ConvShape) convShapeParams {
	return convShapeParams{
		N: u32(s.N), C: u32(s.C), H: u32(s.H), W: u32(s.W),
		OC: u32(s.OC), KH: u32(s.KH), KW: u32(s.KW), PadH: u32(s.PadH), PadW: u32(s.PadW),
		OH: u32(s.OH()), OW: u32(s.OW()),
	}
}

// convParams is the block of conv2d_forward (Act: applied to the output) and
// conv2d_backward_data (Act: its derivative applied to dIn, from the input):
// `uint N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW, act`.
type convParams struct {
	convShapeParams
	Act act
}

func convParamsOf(s model.ConvShape, a act) convParams {
	return convParams{convShapeParamsOf(s), a}
}

// poolParams is the block of maxpool_forward, minpool_forward and avgpool_forward:
// `uint N, C, H, W, Size, OH, OW`.
type poolParams struct {
	N, C, H, W, Size, OH, OW uint32
}

// poolBackwardParams is the block of maxpool_backward and avgpool_backward:
// `uint N, C, H, W, Size, OH, OW, act`, act's derivative applied to dIn from the input.
type poolBackwardParams struct {
	poolParams
	Act act
}

func poolParamsOf(s model.PoolShape) poolParams {
	return poolParams{
		N: u32(s.N), C: u32(s.C), H: u32(s.H), W: u32(s.W), Size: u32(s.Size),
		OH: u32(s.OH()), OW: u32(s.OW()),
	}
}

// denseShapeParams is the block of dense_backward_weights: `uint N, In, Out`.
type denseShapeParams struct {
	N, In, Out uint32
}

// denseParams is the block of dense_forward (Act: applied to the output) and
// dense_backward_data (Act: its derivative applied to dIn, from the input):
// `uint N, In, Out, act`.
type denseParams struct {
	denseShapeParams
	Act act
}

func denseShapeParamsOf(s model.DenseShape) denseShapeParams {
	return denseShapeParams{N: u32(s.N), In: u32(s.In), Out: u32(s.Out)}
}

func denseParamsOf(s model.DenseShape, a act) denseParams {
	return denseParams{denseShapeParamsOf(s), a}
}

// dropoutParams is the block of dropout_forward:
// `uint seed, threshold; float scale; uint stepOffset, n, offset`. The mask's step is
// ctrl.globalStepBase + ctrl.step + StepOffset.
type dropoutParams struct {
	Seed, Threshold uint32
	Scale           float32
	StepOffset, N   uint32
	Offset          uint32
}

// dropoutBackwardParams is the block of dropout_backward: dropoutParams then `uint act`,
// act's derivative applied to dIn from the input.
type dropoutBackwardParams struct {
	dropoutParams
	Act act
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
