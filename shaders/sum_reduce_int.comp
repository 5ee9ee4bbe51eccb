// sum_reduce_int: sums of consecutive runs of ints, one workgroup per run:
//   out[g] = Σ_{j<len} in[g·len + j],  g < groups
// (e.g. the evaluation's hit count from softmax_cross_entropy's correct flags); see
// sum_reduce.comp for the float version. Integer sums are exact in any order.
//
// Bindings (set 0): 0 out (groups ints) written, 1 in (groups·len ints).
// Push constants, in order (all uint): len, groups.
// One WORKGROUP per output: dispatch groups workgroups; workgroup
// g = gl_WorkGroupID.x + gl_WorkGroupID.y·gl_NumWorkGroups.x (a 2-D grid when groups > 65535).
// Any WG works; a second pass over the outputs (len = groups, groups = 1) totals them.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64
#define WG gl_WorkGroupSize.x

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { int outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { int inData[]; };

layout(push_constant) uniform Params {
    uint len;
    uint groups;
} p;

shared int part[WG];

void main() {
    uint g = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    // Uniform across the workgroup, so returning before the barriers is safe.
    if (g >= p.groups) return;
    uint t = gl_LocalInvocationID.x;
    uint base = g * p.len;
    int acc = 0;
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
