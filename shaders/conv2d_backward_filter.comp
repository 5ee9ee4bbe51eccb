// conv2d_backward_filter: gradients of a stride-1 zero-padded convolution with respect to its
// weights and bias, summed over the batch — twin of cpu.Conv2DBackwardFilter.
//   dW[oc,c,kh,kw] = Σ_{n,oh,ow} dOut[n,oc,oh,ow]·in[n,c,oh+kh−PadH,ow+kw−PadW]
//   dB[oc]         = Σ_{n,oh,ow} dOut[n,oc,oh,ow]
// (input positions in the padding contribute nothing). Overwrites dW and dB.
//
// Bindings (set 0): 0 dW (OC,C,KH,KW) written, 1 dB (OC) written, 2 dOut (N,OC,OH,OW),
// 3 in (N,C,H,W).
// Push constants, in order (all uint): N, C, H, W, OC, KH, KW, PadH, PadW, OH, OW.
// One WORKGROUP per output value, OC·C·KH·KW + OC workgroups in one dispatch: workgroup
// g = flatGroup() (common/grid.glsl) computes weight g when
// g < OC·C·KH·KW, else bias g − OC·C·KH·KW. Its threads walk the (n,oh,ow) terms with stride
// WG (adjacent threads → adjacent ow, coalesced), each summing its own subset in increasing
// order, then a shared-memory tree sums the WG partials in a fixed order: no atomics, the
// result is bit-identical from run to run for a given WG. Any WG works (not only powers of
// two); a large one (256) suits big batches.
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

shared float partial[WG];

// reduce sums partial[0..WG) in a fixed order into partial[0]. Every thread must call it.
void reduce(uint t) {
    barrier();
    uint half_ = 1u << findMSB(WG); // largest power of two ≤ WG
    if (half_ < WG && t < WG - half_) partial[t] += partial[t + half_];
    barrier();
    for (uint s = half_ >> 1; s > 0; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        barrier();
    }
}

// advance adds (dn, da, db) to the mixed-radix position (n, a < rh, b < rw), with da < rh and
// db < rw: one carry per digit suffices.
void advance(inout uint n, inout uint a, inout uint b, uint dn, uint da, uint db, uint rh, uint rw) {
    b += db;
    a += da;
    if (b >= rw) {
        b -= rw;
        a++;
    }
    n += dn;
    if (a >= rh) {
        a -= rh;
        n++;
    }
}

void main() {
    uint g = flatGroup();
    uint t = gl_LocalInvocationID.x;
    uint wLen = p.OC * p.C * p.KH * p.KW;
    // Uniform across the workgroup, so returning before the barriers is safe.
    if (g >= wLen + p.OC) return;

    uint OHW = p.OH * p.OW;
    float acc = 0.0;
    if (g < wLen) {
        uint kw = g % p.KW;
        uint r = g / p.KW;
        uint kh = r % p.KH;
        r /= p.KH;
        uint c = r % p.C;
        uint oc = r / p.C;
        // Output rows/columns whose input position is inside the image:
        // 0 ≤ oh+kh−PadH < H  ⇔  PadH−kh ≤ oh < H+PadH−kh, intersected with [0,OH).
        int dh = int(kh) - int(p.PadH);
        int dw = int(kw) - int(p.PadW);
        // (Signed: with PadH > H the interval can be empty with H−dh < 0.)
        int ohLo = max(-dh, 0), ohHi = min(int(p.OH), int(p.H) - dh);
        int owLo = max(-dw, 0), owHi = min(int(p.OW), int(p.W) - dw);
        if (ohHi > ohLo && owHi > owLo) {
            uint oh0 = uint(ohLo), oh1 = uint(ohHi), ow0 = uint(owLo), ow1 = uint(owHi);
            // The terms are the valid rh×rw rectangle of every sample, walked as
            // j = (n·rh + a)·rw + b. A thread's term moves by WG each step: the carry
            // arithmetic below adds WG in that mixed radix, so the loop has no division.
            uint rh = oh1 - oh0;
            uint rw = ow1 - ow0;
            uint rhw = rh * rw;
            uint terms = p.N * rhw;
            uint n = t / rhw, q = t - n * rhw, a = q / rw, b = q - a * rw;
            uint dn = WG / rhw, rq = WG - dn * rhw, da = rq / rw, db = rq - da * rw;
            uint dStride = p.OC * OHW, iStride = p.C * p.H * p.W;
            uint dBase = (oc * p.OH + oh0) * p.OW + ow0;
            uint iBase = (c * p.H + uint(int(oh0) + dh)) * p.W + uint(int(ow0) + dw);
            uint j = t;
            // Four terms per iteration: their eight loads are issued before the adds, which
            // still run in term order (the sum is the same as one term per iteration).
            for (; j + 3u * WG < terms; j += 4u * WG) {
                uint d0 = n * dStride + dBase + a * p.OW + b, i0 = n * iStride + iBase + a * p.W + b;
                advance(n, a, b, dn, da, db, rh, rw);
                uint d1 = n * dStride + dBase + a * p.OW + b, i1 = n * iStride + iBase + a * p.W + b;
                advance(n, a, b, dn, da, db, rh, rw);
                uint d2 = n * dStride + dBase + a * p.OW + b, i2 = n * iStride + iBase + a * p.W + b;
                advance(n, a, b, dn, da, db, rh, rw);
                uint d3 = n * dStride + dBase + a * p.OW + b, i3 = n * iStride + iBase + a * p.W + b;
                advance(n, a, b, dn, da, db, rh, rw);
                float x0 = dOut[d0], y0 = inData[i0], x1 = dOut[d1], y1 = inData[i1];
                float x2 = dOut[d2], y2 = inData[i2], x3 = dOut[d3], y3 = inData[i3];
                acc += x0 * y0;
                acc += x1 * y1;
                acc += x2 * y2;
                acc += x3 * y3;
            }
            for (; j < terms; j += WG) {
                acc += dOut[n * dStride + dBase + a * p.OW + b] * inData[n * iStride + iBase + a * p.W + b];
                advance(n, a, b, dn, da, db, rh, rw);
            }
        }
    } else {
        // Bias: every (n, q) with q < OH·OW, walked the same way with rectangle 1×OHW.
        uint oc = g - wLen;
        uint terms = p.N * OHW;
        uint n = t / OHW, q = t - n * OHW, a = 0;
        uint dn = WG / OHW, dq = WG - dn * OHW;
        uint dStride = p.OC * OHW, dBase = oc * OHW;
        uint j = t;
        for (; j + 3u * WG < terms; j += 4u * WG) {
            uint d0 = n * dStride + dBase + q;
            advance(n, a, q, dn, 0u, dq, 1u, OHW);
            uint d1 = n * dStride + dBase + q;
            advance(n, a, q, dn, 0u, dq, 1u, OHW);
            uint d2 = n * dStride + dBase + q;
            advance(n, a, q, dn, 0u, dq, 1u, OHW);
            uint d3 = n * dStride + dBase + q;
            advance(n, a, q, dn, 0u, dq, 1u, OHW);
            float x0 = dOut[d0], x1 = dOut[d1], x2 = dOut[d2], x3 = dOut[d3];
            acc += x0;
            acc += x1;
            acc += x2;
            acc += x3;
        }
        for (; j < terms; j += WG) {
            acc += dOut[n * dStride + dBase + q];
            advance(n, a, q, dn, 0u, dq, 1u, OHW);
        }
    }

    partial[t] = acc;
    reduce(t);
    if (t == 0) {
        if (g < wLen) {
            dW[g] = partial[0];
        } else {
            dB[g - wLen] = partial[0];
        }
    }
}
