// dropout_backward: dIn[i] = dOut[i]·scale if kept, else 0, with the forward's mask —
// twin of cpu.DropoutBackward.
// With act ≠ 0 the activation before this op is fused into the layer before it (see
// shaders/README.md): x, this op's input, is the activation's output, and dIn is multiplied
// by act'(x) once per value (see actGrad), so dIn is the gradient of the activation's input.
//
// Bindings (set 0): 0 dIn (n floats, written), 1 dOut (n floats), 2 Control, 3 x (n floats,
// the forward input; read only when act ≠ 0).
// Push constants, in order: uint seed, uint threshold, float scale, uint stepOffset, uint n,
// uint offset, uint act.
// Element i (flat over the batch's N·C·H·W) is kept when
//   Hash32((offset+i) ^ Hash32(step ^ Hash32(seed))) >= threshold,
//   step = ctrl.globalStepBase + ctrl.step + stepOffset,
// with Hash32 the lowbias32 hash of internal/rng (rng.DropoutBits). offset is
// model.DropoutParams.Offset (0 when the whole batch is one dispatch).
// One thread per element; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG).
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DstBuf { float dIn[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer SrcBuf { float dOut[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer Control {
    uint step;
    uint globalStepBase;
    uint correctTotal;
    uint pad;
} ctrl;
layout(std430, set = 0, binding = 3) restrict readonly buffer XBuf { float xIn[]; };

layout(push_constant) uniform Params {
    uint seed;
    uint threshold;
    float scale;
    uint stepOffset;
    uint n;
    uint offset;
    uint act;
} p;

// actGrad is g times the derivative of the activation p.act whose output x = xIn[i] is
// this op's input: act 0: g;  1: x > 0 ? g : 0 (relu_backward);  2: g·x·(1−x)
// (sigmoid_backward), those shaders' expressions, so bit-identical to the pair.
float actGrad(float g, uint i) {
    if (p.act == 1u) return xIn[i] > 0.0 ? g : 0.0;
    if (p.act == 2u) {
        float v = xIn[i];
        return g * v * (1.0 - v);
    }
    return g;
}

uint hash32(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= p.n) return;
    uint step = ctrl.globalStepBase + ctrl.step + p.stepOffset;
    uint bits = hash32((p.offset + i) ^ hash32(step ^ hash32(p.seed)));
    // A select, not a multiply by 0, so a dropped inf or NaN gives 0 as in the reference.
    dIn[i] = actGrad(bits >= p.threshold ? dOut[i] * p.scale : 0.0, i);
}
