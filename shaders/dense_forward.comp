// dense_forward: fully connected layer — twin of cpu.DenseForward.
//   out[n,o] = b[o] + Σ_i w[o,i]·in[n,i]
// The dot product keeps four partial sums (i mod 4, the tail into the first) combined as
// (s0+s1)+(s2+s3), the order of the reference's dot, and four independent chains of adds.
// Then the fused activation act of the layer that follows (the engine's dense+ReLU /
// dense+sigmoid): act 0: out = v;  1: out = v > 0 ? v : 0 (relu_forward);
// 2: out = 1/(1+e^−v) (sigmoid_forward), the same expressions as those shaders.
//
// Bindings (set 0): 0 out (N,Out) written, 1 in (N,In), 2 w (Out,In), 3 b (Out).
// Push constants, in order (all uint): N, In, Out, act.
// One thread per output value (adjacent threads → adjacent o); i = gl_GlobalInvocationID.x +
// gl_GlobalInvocationID.y·(x-groups·WG) for a 2-D grid when N·Out exceeds 65535·WG.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer BBuf { float b[]; };

layout(push_constant) uniform Params {
    uint N, In, Out, act;
} p;

// activate applies the fused activation p.act (uniform, so the branch costs nothing).
float activate(float v) {
    if (p.act == 1u) return v > 0.0 ? v : 0.0;
    if (p.act == 2u) return 1.0 / (1.0 + exp(-v));
    return v;
}

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
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
    outData[i] = activate(b[o] + ((s0 + s1) + (s2 + s3)));
}
