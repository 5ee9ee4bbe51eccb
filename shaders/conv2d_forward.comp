// conv2d_forward: stride-1 convolution with zero padding — twin of cpu.Conv2DForward.
//   out[n,oc,oh,ow] = b[oc] + Σ_{c,kh,kw} in[n,c,oh+kh−PadH,ow+kw−PadW]·w[oc,c,kh,kw]
// (terms whose input position falls in the padding are zero and skipped), then the fused
// activation act of the layer that follows (the engine's conv+ReLU / conv+sigmoid):
//   out = activate(act, v): act 0: v;  1: relu(v);  2: sigmoid(v) (common/activation.glsl,
//   the functions of relu_forward and sigmoid_forward, so bit-identical to the pair).
//
// Bindings (set 0): 0 out (N,OC,OH,OW) written, 1 in (N,C,H,W), 2 w (OC,C,KH,KW), 3 b (OC).
// Push constants, in order (all uint): N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW, act.
// One thread per output value (adjacent threads → adjacent ow), i = flatIndex()
// (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"
#include "common/activation.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer BBuf { float b[]; };

layout(push_constant) uniform Params {
    uint N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW, act;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.N * p.OC * p.OH * p.OW) return;
    uint ow = i % p.OW;
    uint t = i / p.OW;
    uint oh = t % p.OH;
    t /= p.OH;
    uint oc = t % p.OC;
    uint n = t / p.OC;

    // Kernel rows/columns whose input position is inside the image:
    // 0 ≤ oh+kh−PadH < H  ⇔  PadH−oh ≤ kh < H+PadH−oh.
    int ih0 = int(oh) - int(p.PadH);
    int iw0 = int(ow) - int(p.PadW);
    // Clamped at 0 below so that an empty interval stays empty as uint.
    uint kh0 = uint(max(-ih0, 0));
    uint kh1 = uint(max(min(int(p.KH), int(p.H) - ih0), 0));
    uint kw0 = uint(max(-iw0, 0));
    uint kw1 = uint(max(min(int(p.KW), int(p.W) - iw0), 0));

    float acc = b[oc];
    for (uint c = 0; c < p.C; c++) {
        uint inBase = (n * p.C + c) * p.H;
        uint wBase = (oc * p.C + c) * p.KH;
        for (uint kh = kh0; kh < kh1; kh++) {
            uint inRow = (inBase + uint(ih0 + int(kh))) * p.W;
            uint wRow = (wBase + kh) * p.KW;
            for (uint kw = kw0; kw < kw1; kw++) {
                acc += inData[inRow + uint(iw0 + int(kw))] * w[wRow + kw];
            }
        }
    }
    outData[i] = activate(p.act, acc);
}
