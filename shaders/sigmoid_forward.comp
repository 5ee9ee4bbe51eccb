// sigmoid_forward: out = sigmoid(in) = 1/(1+e^−in) elementwise (common/activation.glsl; for
// in < −88 e^−in overflows to +inf and out is 0, as in the reference) — twin of
// cpu.SigmoidForward.
//
// Bindings (set 0): 0 out (n floats, written), 1 in (n floats).
// Push constants: uint n.
// One thread per element, i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"
#include "common/activation.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint n;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.n) return;
    outData[i] = sigmoid(inData[i]);
}
