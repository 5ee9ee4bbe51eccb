// softmax_cross_entropy: per-sample softmax cross-entropy, its gradient and the hit count —
// twin of cpu.SoftmaxCrossEntropy. For sample n with logits z = logits[n,·], label y:
//   m = z[first argmax],  s = Σ_k e^{z[k]−m}
//   loss[n]      = log s − (z[y] − m)
//   dLogits[n,k] = (e^{z[k]−m}/s − [k = y])·scale     (scale = 1/batch for a mean loss)
//   correct[n]   = 1 if the first maximum of z is at y, else 0
// A label outside [0,k) (a bug upstream) gives loss NaN and correct 0 instead of reading out
// of bounds.
//
// Bindings (set 0): 0 loss (N) written, 1 dLogits (N,K) written, 2 correct (N) int written,
// 3 logits (N,K), 4 labels (N) int.
// Push constants, in order: uint n, uint k, float scale.
// One thread per sample, s = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer LossBuf { float loss[]; };
layout(std430, set = 0, binding = 1) restrict writeonly buffer DLogitsBuf { float dLogits[]; };
layout(std430, set = 0, binding = 2) restrict writeonly buffer CorrectBuf { int correct[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer LogitsBuf { float logits[]; };
layout(std430, set = 0, binding = 4) restrict readonly buffer LabelsBuf { int labels[]; };

layout(push_constant) uniform Params {
    uint n;
    uint k;
    float scale;
} p;

void main() {
    uint s = flatIndex();
    if (s >= p.n) return;
    uint base = s * p.k;
    int y = labels[s];

    uint best = 0;
    float m = logits[base];
    for (uint j = 1; j < p.k; j++) {
        float v = logits[base + j];
        if (v > m) {
            m = v;
            best = j;
        }
    }
    float sum = 0.0;
    for (uint j = 0; j < p.k; j++) {
        sum += exp(logits[base + j] - m);
    }
    bool valid = y >= 0 && uint(y) < p.k;
    float zy = valid ? logits[base + uint(y)] : uintBitsToFloat(0x7fc00000u);
    loss[s] = log(sum) - (zy - m);
    for (uint j = 0; j < p.k; j++) {
        float q = exp(logits[base + j] - m) / sum;
        if (int(j) == y) q -= 1.0;
        dLogits[base + j] = q * p.scale;
    }
    correct[s] = (valid && int(best) == y) ? 1 : 0;
}
