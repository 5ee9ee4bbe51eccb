// relu_backward: dIn = dOut where out > 0, else 0 — twin of cpu.ReLUBackward.
//
// Bindings (set 0): 0 dIn (n floats, written), 1 dOut (n floats), 2 out (n floats, the
// forward output).
// Push constants: uint n.
// One thread per element; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG).
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DInBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer DOutBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer OutBuf { float outData[]; };

layout(push_constant) uniform Params {
    uint n;
} p;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= p.n) return;
    dIn[i] = outData[i] > 0.0 ? dOut[i] : 0.0;
}
