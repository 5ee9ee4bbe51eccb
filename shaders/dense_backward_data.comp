// dense_backward_data: gradient of a dense layer with respect to its input — twin of
// cpu.DenseBackwardData.
//   dIn[n,i] = Σ_o dOut[n,o]·w[o,i]   (summed in increasing o). Overwrites dIn.
// With act ≠ 0 the layer is fused with the activation after it: dOut is the gradient of
// the activation's output y, and the sums above read dOut·act'(y) in its place (see gradAt).
//
// Bindings (set 0): 0 dIn (N,In) written, 1 dOut (N,Out), 2 w (Out,In), 3 y (N,Out, the
// activation's output; read only when act ≠ 0).
// Push constants, in order (all uint): N, In, Out, act.
// One thread per input value (adjacent threads → adjacent i, so w rows are read coalesced);
// idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG) for a 2-D grid when
// N·In exceeds 65535·WG.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer YBuf { float actOut[]; };

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
    uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (idx >= p.N * p.In) return;
    uint n = idx / p.In;
    uint i = idx - n * p.In;
    uint d = n * p.Out;
    float acc = 0.0;
    for (uint o = 0; o < p.Out; o++) {
        acc += gradAt(d + o) * w[o * p.In + i];
    }
    dIn[idx] = acc;
}
