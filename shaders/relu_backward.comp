// relu_backward: dIn = reluGrad(dOut, out) = out > 0 ? dOut : 0 (common/activation.glsl) —
// twin of cpu.ReLUBackward.
//
// Bindings (set 0): 0 dIn (n floats, written), 1 dOut (n floats), 2 out (n floats, the
// forward output).
// Push constants: uint n.
// One thread per element, i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"
#include "common/activation.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer OutBuf { float outData[]; };

layout(push_constant) uniform Params {
    uint n;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.n) return;
    dIn[i] = reluGrad(dOut[i], outData[i]);
}
