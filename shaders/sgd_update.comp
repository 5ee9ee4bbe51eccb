// sgd_update: one SGD step, torch.optim.SGD without dampening — twin of cpu.SGDUpdate.
//   lr = lrs[ctrl.step + stepOffset]
//   momentum == 0:  w[i] −= lr·g[i]                     (v is not touched)
//   else:           v[i] = momentum·v[i] + g[i];  w[i] −= lr·v[i]
//
// Bindings (set 0): 0 w (n) read-write, 1 v (n) read-write (may be any buffer when
// momentum == 0), 2 g (n), 3 lrs (one float per step of the epoch), 4 Control.
// Push constants, in order: uint n, float momentum, uint stepOffset.
// One thread per parameter; i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y·(x-groups·WG).
#version 450
layout(local_size_x = 64, local_size_x_id = 0) in; // WG: specialization constant 0, default 64

layout(std430, set = 0, binding = 0) restrict buffer WBuf { float w[]; };
layout(std430, set = 0, binding = 1) restrict buffer VBuf { float v[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer GBuf { float g[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer LRBuf { float lrs[]; };
layout(std430, set = 0, binding = 4) restrict readonly buffer Control {
    uint step;
    uint globalStepBase;
    uint correctTotal;
    uint pad;
} ctrl;

layout(push_constant) uniform Params {
    uint n;
    float momentum;
    uint stepOffset;
} p;

void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (i >= p.n) return;
    float lr = lrs[ctrl.step + p.stepOffset];
    if (p.momentum == 0.0) {
        w[i] -= lr * g[i];
    } else {
        float vi = p.momentum * v[i] + g[i];
        v[i] = vi;
        w[i] -= lr * vi;
    }
}
