// dense_backward_data: gradient of a dense layer with respect to its input — twin of
// cpu.DenseBackwardData.
//   dIn[n,i] = Σ_o dOut[n,o]·w[o,i]   (summed in increasing o). Overwrites dIn.
// With act ≠ 0 the activation before this layer is fused into the layer before it (see
// shaders/README.md): x, this layer's input, is the activation's output, and dIn is
// multiplied by act'(x) once per value (actGrad of common/activation.glsl), so dIn is the
// gradient of the activation's input.
//
// Bindings (set 0): 0 dIn (N,In) written, 1 dOut (N,Out), 2 w (Out,In), 3 x (N,In, the
// forward input; read only when act ≠ 0).
// Push constants, in order (all uint): N, In, Out, act.
// One thread per input value (adjacent threads → adjacent i, so w rows are read coalesced);
// idx = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
#define ACT_X_BINDING 3
#include "common/activation.glsl"

layout(push_constant) uniform Params {
    uint N, In, Out, act;
} p;

void main() {
    uint idx = flatIndex();
    if (idx >= p.N * p.In) return;
    uint n = idx / p.In;
    uint i = idx - n * p.In;
    uint d = n * p.Out;
    float acc = 0.0;
    for (uint o = 0; o < p.Out; o++) {
        acc += dOut[d + o] * w[o * p.In + i];
    }
    dIn[idx] = actGrad(p.act, acc, idx);
}
