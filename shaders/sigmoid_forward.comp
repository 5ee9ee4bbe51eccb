// sigmoid_forward: out = 1/(1+e^−in) elementwise — twin of cpu.SigmoidForward.
//
// Bindings (set 0): 0 out (n floats, written), 1 in (n floats).
// Push constants: uint n.
// One thread per element; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG).
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
    // For in < −88, exp overflows to +inf and the quotient is 0, as in the reference.
    outData[i] = 1.0 / (1.0 + exp(-inData[i]));
}
