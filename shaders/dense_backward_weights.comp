// dense_backward_weights: gradients of a dense layer with respect to its weights and bias,
// summed over the batch — twin of cpu.DenseBackwardWeights.
//   dW[o,i] = Σ_n dOut[n,o]·in[n,i],   dB[o] = Σ_n dOut[n,o]   (summed in increasing n)
// Overwrites dW and dB.
// With act ≠ 0 the layer is fused with the activation after it: dOut is the gradient of
// the activation's output y, and the sums above read dOut·act'(y) in its place (see gradAt).
//
// Bindings (set 0): 0 dW (Out,In) written, 1 dB (Out) written, 2 dOut (N,Out), 3 in (N,In),
// 4 y (N,Out, the activation's output; read only when act ≠ 0).
// Push constants, in order (all uint): N, In, Out, act.
// One thread per output value, Out·In + Out threads in one dispatch: thread
// t = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG) computes weight t when
// t < Out·In (adjacent threads → adjacent i, coalesced reads of in), else bias t − Out·In.
// Each sums its N terms alone, in order: no atomics, bit-identical from run to run.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DWBuf { float dW[]; };
layout(std430, set = 0, binding = 1) restrict writeonly buffer DBBuf { float dB[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer InBuf { float inData[]; };
layout(std430, set = 0, binding = 4) restrict readonly buffer YBuf { float actOut[]; };

layout(push_constant) uniform Params {
    uint N, In, Out, act;
} p;

// gradAt is dOut[j] times the derivative of the fused activation p.act, from its output
// y = actOut[j] (binding y): act 0: dOut;  1: y > 0 ? dOut : 0 (relu_backward);
// 2: dOut·y·(1−y) (sigmoid_backward), the same expressions as those shaders, so
// bit-identical to the pair.
float gradAt(uint j) {
    float d = dOut[j];
    if (p.act == 1u) return actOut[j] > 0.0 ? d : 0.0;
    if (p.act == 2u) {
        float v = actOut[j];
        return d * v * (1.0 - v);
    }
    return d;
}

void main() {
    uint t = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint wLen = p.Out * p.In;
    if (t >= wLen + p.Out) return;
    float acc = 0.0;
    if (t < wLen) {
        uint o = t / p.In;
        uint i = t - o * p.In;
        for (uint n = 0; n < p.N; n++) {
            acc += gradAt(n * p.Out + o) * inData[n * p.In + i];
        }
        dW[t] = acc;
    } else {
        uint o = t - wLen;
        for (uint n = 0; n < p.N; n++) {
            acc += gradAt(n * p.Out + o);
        }
        dB[o] = acc;
    }
}
