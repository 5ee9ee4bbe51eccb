// avgpool_backward: spreads each window's gradient evenly — twin of cpu.AvgPoolBackward.
//   dIn[n,c,h,w] = dOut[n,c,h/Size,w/Size]·(1/Size²) inside a window, 0 for the floor remainder
// rows/columns outside every window. Overwrites dIn.
// With act ≠ 0 the activation before this op is fused into the layer before it (see
// shaders/README.md): x, this op's input, is the activation's output, and dIn is multiplied
// by act'(x) once per value (see actGrad), so dIn is the gradient of the activation's input.
//
// Bindings (set 0): 0 dIn (N,C,H,W) written, 1 dOut (N,C,OH,OW), 2 x (N,C,H,W, the forward
// input; read only when act ≠ 0).
// Push constants, in order (all uint): N, C, H, W, Size, OH, OW, act.
// One thread per INPUT value (adjacent threads → adjacent w); i = gl_GlobalInvocationID.x +
// gl_GlobalInvocationID.y·(x-groups·WG) for a 2-D grid when N·C·H·W exceeds 65535·WG.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer XBuf { float xIn[]; };

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
        g = dOut[(nc * p.OH + oh) * p.OW + ow] * (1.0 / float(p.Size * p.Size));
    }
    dIn[i] = actGrad(g, i);
}
