// conv2d_backward_data: gradient of a stride-1 zero-padded convolution with respect to its
// input — twin of cpu.Conv2DBackwardData.
//   dIn[n,c,h,w] = Σ_{oc,kh,kw} dOut[n,oc,h+PadH−kh,w+PadW−kw]·w[oc,c,kh,kw]
// over the (kh,kw) whose output position lies in [0,OH)×[0,OW). Overwrites dIn.
// With act ≠ 0 the activation before this layer is fused into the layer before it (see
// shaders/README.md): x, this layer's input, is the activation's output, and dIn is
// multiplied by act'(x) once per value (actGrad of common/activation.glsl), so dIn is the
// gradient of the activation's input.
//
// Bindings (set 0): 0 dIn (N,C,H,W) written, 1 dOut (N,OC,OH,OW), 2 w (OC,C,KH,KW),
// 3 x (N,C,H,W, the forward input; read only when act ≠ 0).
// Push constants, in order (all uint): N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW, act.
// One thread per input value (adjacent threads → adjacent w), a gather: no two threads write
// the same value, so no atomics; i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
#define ACT_X_BINDING 3
#include "common/activation.glsl"

layout(push_constant) uniform Params {
    uint N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW, act;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.N * p.C * p.H * p.W) return;
    uint x = i % p.W;
    uint t = i / p.W;
    uint y = t % p.H;
    t /= p.H;
    uint c = t % p.C;
    uint n = t / p.C;

    // oh = y+PadH−kh ∈ [0,OH)  ⇔  y+PadH−OH < kh ≤ y+PadH.
    int oy = int(y) + int(p.PadH);
    int ox = int(x) + int(p.PadW);
    uint kh0 = uint(max(oy - int(p.OH) + 1, 0));
    uint kh1 = uint(min(int(p.KH), oy + 1));
    uint kw0 = uint(max(ox - int(p.OW) + 1, 0));
    uint kw1 = uint(min(int(p.KW), ox + 1));

    float acc = 0.0;
    for (uint oc = 0; oc < p.OC; oc++) {
        uint dBase = (n * p.OC + oc) * p.OH;
        uint wBase = (oc * p.C + c) * p.KH;
        for (uint kh = kh0; kh < kh1; kh++) {
            uint dRow = (dBase + uint(oy - int(kh))) * p.OW;
            uint wRow = (wBase + kh) * p.KW;
            for (uint kw = kw0; kw < kw1; kw++) {
                acc += dOut[dRow + uint(ox - int(kw))] * w[wRow + kw];
            }
        }
    }
    dIn[i] = actGrad(p.act, acc, i);
}
