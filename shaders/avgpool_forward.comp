// avgpool_forward: Size×Size mean pool with stride Size (floor) — twin of cpu.AvgPoolForward.
//   out[n,c,oh,ow] = (Σ_{dy,dx<Size} in[n,c,oh·Size+dy,ow·Size+dx])·(1/Size²)
// summed in row-major window order.
//
// Bindings (set 0): 0 out (N,C,OH,OW) written, 1 in (N,C,H,W).
// Push constants, in order (all uint): N, C, H, W, Size, OH, OW (OH = H/Size, OW = W/Size).
// One thread per output value (adjacent threads → adjacent ow), i = flatIndex()
// (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint N, C, H, W, Size, OH, OW;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.N * p.C * p.OH * p.OW) return;
    uint ow = i % p.OW;
    uint t = i / p.OW;
    uint oh = t % p.OH;
    uint nc = t / p.OH; // n·C + c

    uint first = (nc * p.H + oh * p.Size) * p.W + ow * p.Size;
    float sum = 0.0;
    for (uint dy = 0; dy < p.Size; dy++) {
        uint row = first + dy * p.W;
        for (uint dx = 0; dx < p.Size; dx++) {
            sum += inData[row + dx];
        }
    }
    outData[i] = sum * (1.0 / float(p.Size * p.Size));
}
