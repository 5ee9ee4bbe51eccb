// dropout_backward: dIn[i] = dOut[i]·scale if kept, else 0, with the forward's mask —
// twin of cpu.DropoutBackward.
// With act ≠ 0 the activation before this op is fused into the layer before it (see
// shaders/README.md): x, this op's input, is the activation's output, and dIn is multiplied
// by act'(x) once per value (actGrad of common/activation.glsl), so dIn is the gradient of
// the activation's input.
//
// Bindings (set 0): 0 dIn (n floats, written), 1 dOut (n floats), 2 Control, 3 x (n floats,
// the forward input; read only when act ≠ 0).
// Push constants, in order: uint seed, uint threshold, float scale, uint stepOffset, uint n,
// uint offset, uint act.
// Element i (flat over the batch's N·C·H·W) is kept when
//   dropoutBits(seed, step, offset+i) >= threshold      (common/hash.glsl: rng.DropoutBits)
//   step = globalStep(stepOffset) = ctrl.globalStepBase + ctrl.step + stepOffset
//                                                        (common/control.glsl).
// offset is model.DropoutParams.Offset (0 when the whole batch is one dispatch).
// One thread per element, i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"
#include "common/hash.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DstBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer SrcBuf { float dOut[]; };
#define CONTROL_BINDING 2
#define CONTROL_ACCESS readonly
#include "common/control.glsl"
#define ACT_X_BINDING 3
#include "common/activation.glsl"

layout(push_constant) uniform Params {
    uint seed;
    uint threshold;
    float scale;
    uint stepOffset;
    uint n;
    uint offset;
    uint act;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.n) return;
    uint bits = dropoutBits(p.seed, globalStep(p.stepOffset), p.offset + i);
    // A select, not a multiply by 0, so a dropped inf or NaN gives 0 as in the reference.
    dIn[i] = actGrad(p.act, bits >= p.threshold ? dOut[i] * p.scale : 0.0, i);
}
