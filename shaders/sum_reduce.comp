// sum_reduce: sums of consecutive runs of floats, one workgroup per run:
//   out[g] = Σ_{j<len} in[g·len + j],  g < groups
// in a fixed order (thread t sums in[g·len+t], in[g·len+t+WG], … in order, then a
// shared-memory tree), so the result is bit-identical from run to run; no atomics.
//
// Bindings (set 0): 0 out (groups floats) written, 1 in (groups·len floats).
// Push constants, in order (all uint): len, groups.
// One WORKGROUP per output: dispatch groups workgroups; workgroup
// g = gl_WorkGroupID.x + gl_WorkGroupID.y·gl_NumWorkGroups.x (a 2-D grid when groups > 65535).
// Any WG works; a second pass over the outputs (len = groups, groups = 1) totals them.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64
#define WG gl_WorkGroupSize.x

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint len;
    uint groups;
} p;

shared float part[WG];

void main() {
    uint g = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    // Uniform across the workgroup, so returning before the barriers is safe.
    if (g >= p.groups) return;
    uint t = gl_LocalInvocationID.x;
    uint base = g * p.len;
    float acc = 0.0;
    for (uint j = t; j < p.len; j += WG) {
        acc += inData[base + j];
    }
    part[t] = acc;
    barrier();
    uint half_ = 1u << findMSB(WG); // largest power of two ≤ WG
    if (half_ < WG && t < WG - half_) part[t] += part[t + half_];
    barrier();
    for (uint s = half_ >> 1; s > 0; s >>= 1) {
        if (t < s) part[t] += part[t + s];
        barrier();
    }
    if (t == 0) outData[g] = part[0];
}
