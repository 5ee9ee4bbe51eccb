// minpool_forward: Size×Size min pool with stride Size (floor) — twin of cpu.MinPoolForward
// and maxpool_forward.comp with the comparison reversed.
//   out[n,c,oh,ow] = min_{dy,dx<Size} in[n,c,oh·Size+dy,ow·Size+dx]
//   argmin[n,c,oh,ow] = flat index into in (n·C·H·W + (c·H + h)·W + w, over the whole batch)
//                       of the FIRST minimum in row-major window order (strict <).
// The backward pass is maxpool_backward.comp with this argmin: it routes by index only.
//
// Bindings (set 0): 0 out (N,C,OH,OW) written, 1 argmin (N,C,OH,OW) int written,
// 2 in (N,C,H,W).
// Push constants, in order (all uint): N, C, H, W, Size, OH, OW (OH = H/Size, OW = W/Size).
// One thread per output value (adjacent threads → adjacent ow), i = flatIndex()
// (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict writeonly buffer ArgBuf { int argmin[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer InBuf { float inData[]; };

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
    float best = inData[first];
    uint bestAt = first;
    for (uint dy = 0; dy < p.Size; dy++) {
        uint row = first + dy * p.W;
        for (uint dx = 0; dx < p.Size; dx++) {
            float v = inData[row + dx];
            if (v < best) {
                best = v;
                bestAt = row + dx;
            }
        }
    }
    outData[i] = best;
    argmin[i] = int(bestAt);
}
