// Package gpu trains and evaluates a network with Vulkan compute shaders (the GLSL of
// package shaders, compiled to SPIR-V and embedded). It runs them on package vulkan (device,
// memory, pipelines, recording, SPIR-V reflection, validation) and owns what is specific to
// the network:
//
//   - params.go: one Go struct per shader push-constant block, and Control, the per-epoch
//     state buffer the step-dependent shaders read. calls.go, dispatch.go: each op's push
//     constants and grid, shared by the engine and the tests' Ops; kernel.go: the embedded
//     shaders by name, and the recorder that dispatches a call (and, when profiling, writes
//     a timestamp after it); shader_dir.go: the shaders that $VKCNN_SHADER_DIR replaces.
//   - engine*.go: the whole-epoch training engine, its inspection (engine.Inspector) and
//     per-op profile. (Ops, the internal/optest.Ops contract with one dispatch per call and
//     guard words after every output, lives in the test files ops_*_test.go: only the
//     parity suite uses it.)
//
// # Layout and grid
//
// Tensors are NCHW row-major float32 (int32 for labels, argmax and hit flags) in storage
// buffers bound to set 0 in the order of the op's Go twin: outputs first, then inputs.
// One thread per output element, ceil(total/wg) workgroups, 2-D past the device's limit
// (vulkan.Device.Grid). Reductions use one workgroup per output and a fixed-order tree,
// never float atomics, so results are bit-identical run to run.
//
// # Synchronisation
//
// Every recorded op is followed by a barrier before anything that reads its output
// (vulkan.Commands.Barrier); the tests run the engine under synchronization validation.
package gpu
