// dropout_forward: out[i] = in[i]·scale if kept, else 0 — twin of cpu.DropoutForward.
//
// Bindings (set 0): 0 out (n floats, written), 1 in (n floats), 2 Control.
// Push constants, in order: uint seed, uint threshold, float scale, uint stepOffset, uint n,
// uint offset.
// Element i (flat over the batch's N·C·H·W) is kept when
//   Hash32((offset+i) ^ Hash32(step ^ Hash32(seed))) >= threshold,
//   step = ctrl.globalStepBase + ctrl.step + stepOffset,
// with Hash32 the lowbias32 hash of internal/rng (rng.DropoutBits). offset is
// model.DropoutParams.Offset (0 when the whole batch is one dispatch).
// One thread per element; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG).
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict writeonly buffer DstBuf { float outData[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer SrcBuf { float inData[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer Control {
    uint step;
    uint globalStepBase;
    uint correctTotal;
    uint pad;
} ctrl;

layout(push_constant) uniform Params {
    uint seed;
    uint threshold;
    float scale;
    uint stepOffset;
    uint n;
    uint offset;
} p;

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
    outData[i] = bits >= p.threshold ? inData[i] * p.scale : 0.0;
}
