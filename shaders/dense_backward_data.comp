// dense_backward_data: gradient of a dense layer with respect to its input — twin of
// cpu.DenseBackwardData.
//   dIn[n,i] = Σ_o dOut[n,o]·w[o,i]   (summed in increasing o). Overwrites dIn.
// With act ≠ 0 the activation before this layer is fused into the layer before it (see
// shaders/README.md): x, this layer's input, is the activation's output, and dIn is
// multiplied by act'(x) once per value (see actGrad), so dIn is the gradient of the
// activation's input.
//
// Bindings (set 0): 0 dIn (N,In) written, 1 dOut (N,Out), 2 w (Out,In), 3 x (N,In, the
// forward input; read only when act ≠ 0).
// Push constants, in order (all uint): N, In, Out, act.
// One thread per input value (adjacent threads → adjacent i, so w rows are read coalesced);
// idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG) for a 2-D grid when
// N·In exceeds 65535·WG.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer XBuf { float xIn[]; };

layout(push_constant) uniform Params {
    uint N, In, Out, act;
} p;

// actGrad is g times the derivative of the activation p.act whose output x = xIn[i] is
// this layer's input: act 0: g;  1: x > 0 ? g : 0 (relu_backward);  2: g·x·(1−x)
// (sigmoid_backward), those shaders' expressions, so bit-identical to the pair.
float actGrad(float g, uint i) {
    if (p.act == 1u) return xIn[i] > 0.0 ? g : 0.0;
    if (p.act == 2u) {
        float v = xIn[i];
        return g * v * (1.0 - v);
    }
    return g;
}

void main() {
    uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (idx >= p.N * p.In) return;
    uint n = idx / p.In;
    uint i = idx - n * p.In;
    uint d = n * p.Out;
    float acc = 0.0;
    for (uint o = 0; o < p.Out; o++) {
        acc += dOut[d + o] * w[o * p.In + i];
    }
    dIn[idx] = actGrad(acc, idx);
}
