// advance_step: moves the epoch's step counter on after a recorded chunk of steps, so that the
// same command buffer, replayed, works on the next steps:  ctrl.step += count.
//
// Bindings (set 0): 0 Control (read-write).
// Push constants: uint count.
// Thread 0 of workgroup 0 does the work; dispatch one workgroup (the others return, so any WG
// works and the pipeline can share the common specialization).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

#define CONTROL_BINDING 0
#define CONTROL_ACCESS
#include "common/control.glsl"

layout(push_constant) uniform Params {
    uint count;
} p;

void main() {
    if (gl_GlobalInvocationID.x != 0 || gl_GlobalInvocationID.y != 0) return;
    ctrl.step += p.count;
}
