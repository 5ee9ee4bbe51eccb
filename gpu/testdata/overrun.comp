// overrun: a deliberately wrong relu_forward that writes out[i+1] instead of out[i], so the
// last thread writes one element past the end — the host's guard check must catch it.
// Bindings: 0 out, 1 in. Push constants: uint n.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint n;
} p;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= p.n) return;
    outData[i + 1] = max(inData[i], 0.0);
}
