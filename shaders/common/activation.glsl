// common/activation.glsl: the activations and their derivatives, one expression each,
// shared by the relu_*/sigmoid_* shaders and the kernels an activation is fused into (see
// shaders/README.md), so that a fused layer is bit-identical to the separate pair.
//
// Defines
//   ACT_NONE 0, ACT_RELU 1, ACT_SIGMOID 2   the push-constant field act (gpu's act type);
//   relu(v)           v > 0 ? v : +0, and NaN (0x7fc00000) for a NaN v: cpu.ReLUForward's
//                     rule (Go's max(v, 0)), so that a NaN reaches the loss on both engines.
//                     The NaN test is on the bits (exponent all ones, mantissa not zero): an
//                     integer compare, which a driver that assumes no NaN (SPIR-V without
//                     SignedZeroInfNanPreserve) cannot fold away as it may `v != v` or pick
//                     either operand of `max(v, 0)`;
//   sigmoid(v)        1/(1+e^−v) (for v < −88, e^−v overflows to +inf and the result is 0);
//   reluGrad(g, y)    y > 0 ? g : 0, the gradient through a ReLU whose output is y
//                     (cpu.ReLUBackward's rule: 0 for y = ±0 or NaN);
//   sigmoidGrad(g, y) g·y·(1−y), evaluated as (g·y)·(1−y), through a sigmoid whose output is y;
//   activate(act, v)  v, relu(v) or sigmoid(v) by act.
// When ACT_X_BINDING is defined before inclusion, also
//   xIn[]             float buffer at binding ACT_X_BINDING of set 0: the activation's
//                     output x, i.e. the including op's forward input (N,C,H,W or N,In);
//   actGrad(act, g, i) g times act'(x) from x = xIn[i]: g, reluGrad(g, x) or
//                     sigmoidGrad(g, x). xIn is read only when act ≠ ACT_NONE (the host
//                     binds a one-word buffer then).
#ifndef COMMON_ACTIVATION_GLSL
#define COMMON_ACTIVATION_GLSL

#define ACT_NONE 0u
#define ACT_RELU 1u
#define ACT_SIGMOID 2u

float relu(float v) {
    if ((floatBitsToUint(v) & 0x7fffffffu) > 0x7f800000u) return uintBitsToFloat(0x7fc00000u);
    return v > 0.0 ? v : 0.0;
}

float sigmoid(float v) {
    return 1.0 / (1.0 + exp(-v));
}

float reluGrad(float g, float y) {
    return y > 0.0 ? g : 0.0;
}

float sigmoidGrad(float g, float y) {
    return g * y * (1.0 - y);
}

float activate(uint act, float v) {
    if (act == ACT_RELU) return relu(v);
    if (act == ACT_SIGMOID) return sigmoid(v);
    return v;
}

#ifdef ACT_X_BINDING
layout(std430, set = 0, binding = ACT_X_BINDING) restrict readonly buffer XBuf { float xIn[]; };

float actGrad(uint act, float g, uint i) {
    if (act == ACT_RELU) return reluGrad(g, xIn[i]);
    if (act == ACT_SIGMOID) return sigmoidGrad(g, xIn[i]);
    return g;
}
#endif

#endif
