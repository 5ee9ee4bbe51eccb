// sgd_update: one SGD step, torch.optim.SGD without dampening — twin of cpu.SGDUpdate.
//   lr = lrs[epochStep(stepOffset)] = lrs[ctrl.step + stepOffset]   (common/control.glsl)
//   momentum == 0:  w[i] −= lr·g[i]                     (v is not touched)
//   else:           v[i] = momentum·v[i] + g[i];  w[i] −= lr·v[i]
//
// Bindings (set 0): 0 w (n) read-write, 1 v (n) read-write (may be any buffer when
// momentum == 0), 2 g (n), 3 lrs (one float per step of the epoch), 4 Control.
// Push constants, in order: uint n, float momentum, uint stepOffset.
// One thread per parameter, i = flatIndex() (common/grid.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 1) restrict buffer VBuf { float v[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer GBuf { float g[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer LRBuf { float lrs[]; };
#define CONTROL_BINDING 4
#define CONTROL_ACCESS readonly
#include "common/control.glsl"

layout(push_constant) uniform Params {
    uint n;
    float momentum;
    uint stepOffset;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.n) return;
    float lr = lrs[epochStep(p.stepOffset)];
    if (p.momentum == 0.0) {
        w[i] -= lr * g[i];
    } else {
        float vi = p.momentum * v[i] + g[i];
        v[i] = vi;
        w[i] -= lr * vi;
    }
}
