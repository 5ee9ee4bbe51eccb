// maxpool_backward: routes each window's gradient to its argmax — twin of cpu.MaxPoolBackward.
//   dIn[i] = dOut[j] if argmax[j] == i for the window j that contains input i, else 0.
// Inputs outside every window (the floor remainder rows/columns) get 0. Overwrites dIn.
// argmax must come from maxpool_forward (each index lies inside its own window).
// With act ≠ 0 the activation before this op is fused into the layer before it (see
// shaders/README.md): x, this op's input, is the activation's output, and dIn is multiplied
// by act'(x) once per value (see actGrad), so dIn is the gradient of the activation's input.
//
// Bindings (set 0): 0 dIn (N,C,H,W) written, 1 dOut (N,C,OH,OW), 2 argmax (N,C,OH,OW) int,
// 3 x (N,C,H,W, the forward input; read only when act ≠ 0).
// Push constants, in order (all uint): N, C, H, W, Size, OH, OW, act.
// One thread per INPUT value (adjacent threads → adjacent w): a gather, race-free without
// atomics; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG) for a 2-D grid
// when N·C·H·W exceeds 65535·WG.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer ArgBuf { int argmax[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer XBuf { float xIn[]; };

layout(push_constant) uniform Params {
    uint N, C, H, W, Size, OH, OW, act;
} p;

// actGrad is g times the derivative of the activation p.act whose output x = xIn[i] is
// this op's input: act 0: g;  1: x > 0 ? g : 0 (relu_backward);  2: g·x·(1−x)
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
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= p.N * p.C * p.H * p.W) return;
    uint x = i % p.W;
    uint t = i / p.W;
    uint y = t % p.H;
    uint nc = t / p.H; // n·C + c
    uint oh = y / p.Size;
    uint ow = x / p.Size;
    float g = 0.0;
    if (oh < p.OH && ow < p.OW) {
        uint j = (nc * p.OH + oh) * p.OW + ow;
        if (argmax[j] == int(i)) g = dOut[j];
    }
    dIn[i] = actGrad(g, i);
}
