// relu_forward: out = max(in, 0) elementwise — twin of cpu.ReLUForward.
//
// Bindings (set 0): 0 out (n floats, written), 1 in (n floats).
// Push constants: uint n.
// One thread per element; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG),
// so the host may use a 2-D grid when n exceeds 65535·WG.
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer OutBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer InBuf { float inData[]; };

layout(push_constant) uniform Params {
    uint n;
} p;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= p.n) return;
    float x = inData[i];
    outData[i] = x > 0.0 ? x : 0.0;
}
