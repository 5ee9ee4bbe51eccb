// gather_batch: copies one training step's samples and labels out of the uploaded training
// set, in the epoch's order. The step is ctrl.step + stepOffset; its first sample is
// order[(ctrl.step + stepOffset)·batch], and sample s of the step (s < count) is
//   input[s·imageLen + j] = pixel(order[first + s]·imageLen + j) / 255,  j < imageLen
//   labels[s]             = allLabels[order[first + s]]
// Values of input/labels past count·imageLen / count are not written.
//
// Bindings (set 0): 0 input (batch·imageLen floats) written, 1 labels (batch ints) written,
// 2 images (the whole set's N_total·imageLen pixels as bytes, four to a word, little-endian:
// pixel q is byte q%4 of word q/4 — a quarter of float32's memory, and k/255 is recovered
// exactly as the CPU's float32(k)/255), 3 allLabels (N_total ints),
// 4 order (N_total ints, the epoch's sample order), 5 Control.
// Push constants, in order (all uint): batch (the full batch size B), count (samples in this
// step, ≤ batch; the epoch's last step may hold fewer), imageLen (H·W), stepOffset.
// One thread per input value, count·imageLen threads (adjacent threads → adjacent pixels);
// i = flatIndex() (common/grid.glsl). The thread of pixel 0
// of a sample also writes its label.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common/grid.glsl"

layout(std430, set = 0, binding = 0) restrict writeonly buffer InputBuf { float inputData[]; };
layout(std430, set = 0, binding = 1) restrict writeonly buffer LabelsBuf { int labels[]; };
layout(std430, set = 0, binding = 2) restrict readonly buffer ImagesBuf { uint images[]; };
layout(std430, set = 0, binding = 3) restrict readonly buffer AllLabelsBuf { int allLabels[]; };
layout(std430, set = 0, binding = 4) restrict readonly buffer OrderBuf { int order[]; };
#define CONTROL_BINDING 5
#define CONTROL_ACCESS readonly
#include "common/control.glsl"

layout(push_constant) uniform Params {
    uint batch;
    uint count;
    uint imageLen;
    uint stepOffset;
} p;

void main() {
    uint i = flatIndex();
    if (i >= p.count * p.imageLen) return;
    uint s = i / p.imageLen;
    uint j = i - s * p.imageLen;
    uint src = uint(order[epochStep(p.stepOffset) * p.batch + s]);
    uint q = src * p.imageLen + j;
    uint k = (images[q >> 2] >> (8u * (q & 3u))) & 0xffu;
    inputData[i] = float(k) / 255.0;
    if (j == 0) labels[s] = allLabels[src];
}
