// dense_forward: fully connected layer — twin of cpu.DenseForward.
//   out[n,o] = b[o] + Σ_i w[o,i]·in[n,i]
// The dot product keeps four partial sums (i mod 4, the tail into the first) combined as
// (s0+s1)+(s2+s3), the order of the reference's dot, and four independent chains of adds.
// Then the fused activation act of the layer that follows (the engine's dense+ReLU /
// dense+sigmoid): out = activate(act, v): act 0: v;  1: relu(v);  2: sigmoid(v)
// (common/activation.glsl, the functions of relu_forward and sigmoid_forward).
//
// Bindings (set 0): 0 out (N,Out) written, 1 in (N,In), 2 w (Out,In), 3 b (Out).
// Push constants, in order (all uint): N, In, Out, act.
// One thread per output value (adjacent threads → adjacent o), i = flatIndex()
// (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"
#include "common/activation.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer BBuf { float b[]; };

layout(push_constant) uniform Params {
    uint N, In, Out, act;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.N * p.Out) return;
    uint n = i / p.Out;
    uint o = i - n * p.Out;
    uint x = n * p.In;
    uint wr = o * p.In;
    float s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    uint k = 0;
    for (; k + 4 <= p.In; k += 4) {
        s0 += w[wr + k] * inData[x + k];
        s1 += w[wr + k + 1] * inData[x + k + 1];
        s2 += w[wr + k + 2] * inData[x + k + 2];
        s3 += w[wr + k + 3] * inData[x + k + 3];
    }
    for (; k < p.In; k++) {
        s0 += w[wr + k] * inData[x + k];
    }
    outData[i] = activate(p.act, b[o] + ((s0 + s1) + (s2 + s3)));
}
