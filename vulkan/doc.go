// Package vulkan is a small Vulkan compute runtime over github.com/vulkan-go/vulkan: it
// finds the loader, opens a device with one compute queue, allocates buffers, builds
// compute pipelines from SPIR-V, records and replays command buffers, and turns the
// validation layer's messages into data a test can check. It knows nothing of networks,
// models or datasets (package gpu builds the CNN engine on it).
//
// # Files
//
//   - loader.go: dlopen("libvulkan.so.1") at run time, so a binary starts without Vulkan and
//     reports "vulkan: no Vulkan loader found".
//   - device.go: Open(Options) → *Device: instance (Vulkan 1.1), physical-device choice
//     (discrete, integrated, virtual; a CPU device such as lavapipe only with AllowCPU, or
//     any device by Index), one compute queue, Limits. Every way of having no device to
//     use is ErrNoDevice (errors.Is); every other error is a fault.
//   - validation.go: Options.Validation turns on VK_LAYER_KHRONOS_validation with
//     synchronization validation and collects every message (Device.ValidationMessages).
//   - memory.go: Buffer, DeviceLocal (reached by Upload/Download through a staging buffer)
//     or HostVisible (coherent, mapped for life: Bytes, Floats, Uint32s); Range is a byte
//     range of a buffer.
//   - pipeline.go, spirv.go: Device.Kernel(name, spirv, wg) → *Kernel, the compute pipeline
//     of a SPIR-V module with workgroup size wg (specialization constant 0); its binding
//     count and push-constant size are read from the SPIR-V (Reflect). Kernel.Bind(ranges...)
//     → *Binding, a descriptor set made once and dispatched any number of times.
//   - record.go: Commands (Begin, Dispatch/DispatchGroups, Barrier and the transfer/host
//     barriers, Copy, Fill, Timestamp, End), reusable ones replayed by Submit or Start/Wait,
//     one-time ones by OneShot; QueryPool for timestamps.
//
// # Layout and grid
//
// Buffers hold 4-byte elements (float32, int32, uint32), little-endian, bound as storage
// buffers to set 0 at bindings 0..n−1 in the order Kernel.Bind is given them; push
// constants are a block of 32-bit scalars passed as bytes (Bytes). Dispatch runs one
// thread per element, ceil(total/wg) workgroups; past maxComputeWorkGroupCount[0] groups
// the grid becomes 2-D (Device.Grid) and shaders linearise
// i = gid.y·(numGroups.x·wg) + gid.x.
//
// # Synchronisation
//
// Dependent dispatches need Commands.Barrier between them (a global compute→compute
// memory barrier); copies need TransferToCompute / ComputeToTransfer; results read by the
// host from HostVisible buffers need ComputeToHost before the submission ends. lavapipe
// runs correctly without them; synchronization validation does not.
//
// A Device and everything made from it are used by one goroutine at a time. Device.Close
// destroys every buffer, kernel, binding, command buffer and query pool still alive.
package vulkan
