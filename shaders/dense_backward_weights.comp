// dense_backward_weights: gradients of a dense layer with respect to its weights and bias,
// summed over the batch — twin of cpu.DenseBackwardWeights.
//   dW[o,i] = Σ_n dOut[n,o]·in[n,i],   dB[o] = Σ_n dOut[n,o]   (summed in increasing n)
// Overwrites dW and dB.
//
// Bindings (set 0): 0 dW (Out,In) written, 1 dB (Out) written, 2 dOut (N,Out), 3 in (N,In).
// Push constants, in order (all uint): N, In, Out.
// One thread per output value, Out·In + Out threads in one dispatch: thread
// t = flatIndex() (common/grid.glsl) computes weight t when
// t < Out·In (adjacent threads → adjacent i, coalesced reads of in), else bias t − Out·In.
// Each sums its N terms alone, in order: no atomics, bit-identical from run to run.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DWBuf { float dW[]; };
layout(std430, set = 0, binding = 1) restrict writeonly buffer DBBuf { float dB[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint N, In, Out;
} p;

void main() {
    uint t = flatIndex();
    uint wLen = p.Out * p.In;
    if (t >= wLen + p.Out) return;
    float acc = 0.0;
    if (t < wLen) {
        uint o = t / p.In;
        uint i = t - o * p.In;
        for (uint n = 0; n < p.N; n++) {
            acc += dOut[n * p.Out + o] * inData[n * p.In + i];
        }
        dW[t] = acc;
    } else {
        uint o = t - wLen;
        for (uint n = 0; n < p.N; n++) {
            acc += dOut[n * p.Out + o];
        }
        dB[o] = acc;
    }
}
