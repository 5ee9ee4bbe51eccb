// sigmoid_backward: dIn = dOut·out·(1−out) — twin of cpu.SigmoidBackward.
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
    float y = outData[i];
    dIn[i] = dOut[i] * y * (1.0 - y);
}
