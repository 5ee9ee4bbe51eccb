// step_stats: a training step's mean loss and hit count, kept on the device for the epoch.
//   stepLoss[ctrl.step + stepOffset] = (Σ_{s<count} loss[s]) / count
//   ctrl.correctTotal               += Σ_{s<count} correct[s]
// The float sum is a fixed-order tree (each thread sums loss[t], loss[t+WG], … in order,
// then a shared-memory tree), so it is bit-identical from run to run; no atomics.
//
// Bindings (set 0): 0 stepLoss (one float per step of the epoch) written, 1 loss (count
// floats, per sample), 2 correct (count ints, per sample), 3 Control (read-write).
// Push constants, in order (all uint): count, stepOffset.
// ONE workgroup does everything: dispatch (1,1,1); any WG works, 256 suits a batch of 256.
// Thread 0 does the read-modify-write of ctrl.correctTotal (a single workgroup, so no
// atomics are needed).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer StepLossBuf { float stepLoss[]; };
layout(std430, set = 0, binding = 1) restrict readonly buffer LossBuf { float loss[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer CorrectBuf { int correct[]; };
#define CONTROL_BINDING 3
#define CONTROL_ACCESS
#include "common/control.glsl"

layout(push_constant) uniform Params {
    uint count;
    uint stepOffset;
} p;

shared float lossPart[WG];
shared int hitPart[WG];

void main() {
    // Uniform across the workgroup, so returning before the barriers is safe.
    if (gl_WorkGroupID.x != 0 || gl_WorkGroupID.y != 0) return;
    uint t = gl_LocalInvocationID.x;
    float l = 0.0;
    int h = 0;
    for (uint s = t; s < p.count; s += WG) {
        l += loss[s];
        h += correct[s];
    }
    lossPart[t] = l;
    hitPart[t] = h;
    barrier();
    uint half_ = 1u << findMSB(WG); // largest power of two ≤ WG
    if (half_ < WG && t < WG - half_) {
        lossPart[t] += lossPart[t + half_];
        hitPart[t] += hitPart[t + half_];
    }
    barrier();
    for (uint s = half_ >> 1; s > 0; s >>= 1) {
        if (t < s) {
            lossPart[t] += lossPart[t + s];
            hitPart[t] += hitPart[t + s];
        }
        barrier();
    }
    if (t == 0) {
        stepLoss[epochStep(p.stepOffset)] = lossPart[0] / float(p.count);
        ctrl.correctTotal += uint(hitPart[0]);
    }
}
