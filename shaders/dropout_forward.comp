// dropout_forward: out[i] = in[i]·scale if kept, else 0 — twin of cpu.DropoutForward.
//
// Bindings (set 0): 0 out (n floats, written), 1 in (n floats), 2 Control.
// Push constants, in order: uint seed, uint threshold, float scale, uint stepOffset, uint n,
// uint offset.
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

layout(std430, set = 0, binding = 0) restrict writeonly buffer DstBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer SrcBuf { float inData[]; };
#define CONTROL_BINDING 2
#define CONTROL_ACCESS readonly
#include "common/control.glsl"

layout(push_constant) uniform Params {
    uint seed;
    uint threshold;
    float scale;
    uint stepOffset;
    uint n;
    uint offset;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.n) return;
    uint bits = dropoutBits(p.seed, globalStep(p.stepOffset), p.offset + i);
    // A select, not a multiply by 0, so a dropped inf or NaN gives 0 as in the reference.
    outData[i] = bits >= p.threshold ? inData[i] * p.scale : 0.0;
}
