// avgpool_backward: spreads each window's gradient evenly — twin of cpu.AvgPoolBackward.
//   dIn[n,c,h,w] = dOut[n,c,h/Size,w/Size]·(1/Size²) inside a window, 0 for the floor remainder
// rows/columns outside every window. Overwrites dIn.
// With act ≠ 0 the activation before this op is fused into the layer before it (see
// shaders/README.md): x, this op's input, is the activation's output, and dIn is multiplied
// by act'(x) once per value (actGrad of common/activation.glsl), so dIn is the gradient of
// the activation's input.
//
// Bindings (set 0): 0 dIn (N,C,H,W) written, 1 dOut (N,C,OH,OW), 2 x (N,C,H,W, the forward
// input; read only when act ≠ 0).
// Push constants, in order (all uint): N, C, H, W, Size, OH, OW, act.
// One thread per INPUT value (adjacent threads → adjacent w), i = flatIndex()
// (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
#define ACT_X_BINDING 2
#include "common/activation.glsl"

layout(push_constant) uniform Params {
    uint N, C, H, W, Size, OH, OW, act;
} p;

void main() {
    uint i = flatIndex();
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
    dIn[i] = actGrad(p.act, g, i);
}
