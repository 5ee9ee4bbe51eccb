// common/control.glsl: the whole-epoch engine's Control buffer, which says which step of
// the epoch a replayed command buffer is at (mirrored by gpu.Control, 16 bytes):
//   { uint step; uint globalStepBase; uint correctTotal; uint pad; } ctrl
//   step            the epoch's step counter, advanced on the device by advance_step;
//   globalStepBase  the global index of the epoch's first step (dropout's step counter);
//   correctTotal    the epoch's correct predictions so far (step_stats adds to it);
//   pad             unused, keeps the block 16 bytes.
// Define before including it:
//   CONTROL_BINDING  its binding in set 0;
//   CONTROL_ACCESS   readonly, or nothing for read-write.
// Also defines, with o the shader's stepOffset push constant (the step of a dispatch within
// its recorded chunk):
//   epochStep(o)   ctrl.step + o, the step's index in the epoch (lrs[], stepLoss[], order);
//   globalStep(o)  ctrl.globalStepBase + ctrl.step + o, the step's index since training
//                  began (dropout's mask).
#ifndef COMMON_CONTROL_GLSL
#define COMMON_CONTROL_GLSL

#if !defined(CONTROL_BINDING) || !defined(CONTROL_ACCESS)
#error "define CONTROL_BINDING and CONTROL_ACCESS before including common/control.glsl"
#endif

layout(std430, set = 0, binding = CONTROL_BINDING) restrict CONTROL_ACCESS buffer Control {
    uint step;
    uint globalStepBase;
    uint correctTotal;
    uint pad;
} ctrl;

uint epochStep(uint stepOffset) {
    return ctrl.step + stepOffset;
}

uint globalStep(uint stepOffset) {
    return ctrl.globalStepBase + ctrl.step + stepOffset;
}

#endif
