// maxpool_backward: routes each window's gradient to its argmax — twin of cpu.MaxPoolBackward.
//   dIn[i] = dOut[j] if argmax[j] == i for the window j that contains input i, else 0.
// Inputs outside every window (the floor remainder rows/columns) get 0. Overwrites dIn.
// argmax must come from maxpool_forward (each index lies inside its own window).
// With act ≠ 0 the activation before this op is fused into the layer before it (see
// shaders/README.md): x, this op's input, is the activation's output, and dIn is multiplied
// by act'(x) once per value (actGrad of common/activation.glsl), so dIn is the gradient of
// the activation's input.
//
// Bindings (set 0): 0 dIn (N,C,H,W) written, 1 dOut (N,C,OH,OW), 2 argmax (N,C,OH,OW) int,
// 3 x (N,C,H,W, the forward input; read only when act ≠ 0).
// Push constants, in order (all uint): N, C, H, W, Size, OH, OW, act.
// One thread per INPUT value (adjacent threads → adjacent w): a gather, race-free without
// atomics; i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer ArgBuf { int argmax[]; };
#define ACT_X_BINDING 3
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
        uint j = (nc * p.OH + oh) * p.OW + ow;
        if (argmax[j] == int(i)) g = dOut[j];
    }
    dIn[i] = actGrad(p.act, g, i);
}
