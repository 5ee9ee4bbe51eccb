// Package gpu runs the network's ops as Vulkan compute shaders (the GLSL of package
// shaders, compiled to SPIR-V and embedded) through github.com/vulkan-go/vulkan.
//
// # Layers
//
//   - loader.go: dlopen("libvulkan.so.1") at run time, so a binary starts without Vulkan and
//     reports "vulkan: no Vulkan loader found".
//   - device.go: Open(Options) → *Device: instance (Vulkan 1.1), physical-device choice
//     (discrete, integrated, virtual; a CPU device such as lavapipe only with AllowCPU, or
//     any device by Index), one compute queue, Limits. validation.go: Options.Validation
//     turns on VK_LAYER_KHRONOS_validation with synchronization validation and collects
//     every message (Device.ValidationMessages).
//   - memory.go: Buffer, DeviceLocal (reached by Upload/Download through a staging buffer)
//     or HostVisible (coherent, mapped for life: Bytes, Floats, Uint32s); Range is a byte
//     range of a buffer.
//   - pipeline.go, spirv.go: Device.Kernel(name, wg) → *Kernel, the compute pipeline of
//     shaders/<name>.spv with workgroup size wg (specialization constant 0); its binding
//     count and push-constant size are read from the SPIR-V. Kernel.Bind(ranges...) →
//     *Binding, a descriptor set made once and dispatched any number of times.
//   - record.go: Commands (Begin, Dispatch/DispatchGroups, Barrier and the transfer/host
//     barriers, Copy, Fill, Timestamp, End), reusable ones replayed by Submit or Start/Wait;
//     QueryPool for timestamps.
//   - params.go: one Go struct per shader push-constant block, and Control, the per-epoch
//     state buffer the step-dependent shaders read. calls.go, dispatch.go: each op's push
//     constants and grid, shared by the engine and the tests' Ops.
//   - engine*.go: the whole-epoch training engine. (Ops, the internal/optest.Ops contract
//     with one dispatch per call and guard words after every output, lives in the test
//     files ops_*_test.go: only the parity suite uses it.)
//
// # Layout and grid
//
// Tensors are NCHW row-major float32 (int32 for labels, argmax and hit flags) in storage
// buffers bound to set 0 in the order of the op's Go twin: outputs first, then inputs.
// One thread per output element, ceil(total/wg) workgroups; past
// maxComputeWorkGroupCount[0] groups the grid becomes 2-D (Device.Grid) and shaders
// linearise i = gid.y·(numGroups.x·wg) + gid.x. Reductions use one workgroup per output and
// a fixed-order tree, never float atomics, so results are bit-identical run to run.
//
// # Synchronisation
//
// Dependent dispatches need Commands.Barrier between them (a global compute→compute
// memory barrier); copies need TransferToCompute / ComputeToTransfer; results read by the
// host from HostVisible buffers need ComputeToHost before the submission ends. lavapipe
// runs correctly without them; the tests run under synchronization validation, which does
// not.
//
// A Device and everything made from it are used by one goroutine at a time. Device.Close
// destroys every buffer, kernel, binding, command buffer and query pool still alive.
package gpu
