// conv2d_backward_filter_serial: the same gradients as conv2d_backward_filter — twin of
// cpu.Conv2DBackwardFilter — for small batches, one THREAD per output instead of one
// workgroup:
//   dW[oc,c,kh,kw] = Σ_{n,oh,ow} dOut[n,oc,oh,ow]·in[n,c,oh+kh−PadH,ow+kw−PadW]
//   dB[oc]         = Σ_{n,oh,ow} dOut[n,oc,oh,ow]
// The host picks it when N·OH·OW is small (a few hundred terms per output): a workgroup
// tree per output then costs more barriers than the sum itself. Each thread sums its terms
// in increasing (n,oh,ow) order: no atomics, bit-identical from run to run.
//
// Bindings (set 0): 0 dW (OC,C,KH,KW) written, 1 dB (OC) written, 2 dOut (N,OC,OH,OW),
// 3 in (N,C,H,W).
// Push constants, in order (all uint): N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW.
// One thread per output value, OC·C·KH·KW weights then OC biases; the flat index is
// i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer DWBuf { float dW[]; };
layout(std430, set = 0, binding = 1) restrict writeonly buffer DBBuf { float dB[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW;
} p;

void main() {
    uint i = flatIndex();
    uint weights = p.OC * p.C * p.KH * p.KW;
    if (i >= weights + p.OC) return;
    uint plane = p.OH * p.OW;
    if (i >= weights) {
        uint oc = i - weights;
        float sum = 0.0;
        for (uint n = 0; n < p.N; n++) {
            uint base = (n * p.OC + oc) * plane;
            for (uint j = 0; j < plane; j++) sum += dOut[base + j];
        }
        dB[oc] = sum;
        return;
    }
    uint kw = i % p.KW;
    uint t = i / p.KW;
    uint kh = t % p.KH;
    t /= p.KH;
    uint c = t % p.C;
    uint oc = t / p.C;
    // Output rows/columns whose input position is inside the image:
    // 0 ≤ oh+kh−PadH < H  ⇔  PadH−kh ≤ oh < H+PadH−kh.
    int dh = int(kh) - int(p.PadH);
    int dw = int(kw) - int(p.PadW);
    uint oh0 = uint(clamp(-dh, 0, int(p.OH)));
    uint oh1 = uint(clamp(int(p.H) - dh, int(oh0), int(p.OH)));
    uint ow0 = uint(clamp(-dw, 0, int(p.OW)));
    uint ow1 = uint(clamp(int(p.W) - dw, int(ow0), int(p.OW)));
    float sum = 0.0;
    for (uint n = 0; n < p.N; n++) {
        uint outBase = (n * p.OC + oc) * plane;
        uint inBase = (n * p.C + c) * p.H * p.W;
        for (uint oh = oh0; oh < oh1; oh++) {
            uint orow = outBase + oh * p.OW;
            uint irow = inBase + uint(int(oh) + dh) * p.W;
            for (uint ow = ow0; ow < ow1; ow++) {
                sum += dOut[orow + ow] * inData[irow + uint(int(ow) + dw)];
            }
        }
    }
    dW[i] = sum;
}
