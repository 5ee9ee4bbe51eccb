package vulkan

// #include <stdint.h>
// #include <stdlib.h>
// #include <string.h>
import "C"

import (
	"fmt"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// spirvMagic is the first word of every SPIR-V module.
const spirvMagic = 0x07230203

// Kernel is one compute shader made into a pipeline for one workgroup size: set 0 holds
// Bindings storage buffers at bindings 0..Bindings-1, and the push-constant block is
// PushSize bytes (both read from the SPIR-V). Kernels are cached by the Device and
// destroyed by its Close.
type Kernel struct {
	d        *Device
	Name     string // the shader's name, e.g. "relu_forward"
	WG       int    // workgroup size (specialization constant 0)
	Bindings int
	PushSize int

	module   vk.ShaderModule
	dsl      vk.DescriptorSetLayout
	layout   vk.PipelineLayout
	pipeline vk.Pipeline
}

type kernelKey struct {
	name string
	wg   int
}

// Kernel returns the compute pipeline of the SPIR-V module code, named name in errors
// and in the cache, with workgroup size wg (specialization constant 0), creating it on
// first use; later calls with the same name and wg return the cached pipeline and do not
// read code. The number of bindings and the push-constant size are read from the SPIR-V.
func (d *Device) Kernel(name string, code []byte, wg int) (*Kernel, error) {
	key := kernelKey{name, wg}
	if k, ok := d.kernels[key]; ok {
		return k, nil
	}
	l, err := Reflect(name, code)
	if err != nil {
		return nil, err
	}
	lim := d.Limits
	if wg <= 0 || wg > int(lim.MaxComputeWorkGroupSize[0]) || wg > int(lim.MaxComputeWorkGroupInvocations) {
		return nil, fmt.Errorf("vulkan: shader %s: workgroup size %d outside 1..%d on %q", name, wg,
			min(lim.MaxComputeWorkGroupSize[0], lim.MaxComputeWorkGroupInvocations), d.info.Name)
	}
	if l.PushSize > int(lim.MaxPushConstantsSize) {
		return nil, fmt.Errorf("vulkan: shader %s: push-constant block of %d bytes (device allows %d)", name, l.PushSize, lim.MaxPushConstantsSize)
	}
	k := &Kernel{d: d, Name: name, WG: wg, Bindings: l.Bindings, PushSize: l.PushSize}
	if err := k.create(code); err != nil {
		k.destroy()
		return nil, fmt.Errorf("vulkan: shader %s: %w", name, err)
	}
	d.kernels[key] = k
	return k, nil
}

func (k *Kernel) create(code []byte) error {
	d := k.d
	// The driver reads the code and the specialization data through pointers stored in
	// C structs, so both live in C memory for the duration of the calls.
	ccode := C.malloc(C.size_t(len(code)))
	defer C.free(ccode)
	C.memcpy(ccode, unsafe.Pointer(&code[0]), C.size_t(len(code)))
	minfo := vk.ShaderModuleCreateInfo{
		SType:    vk.StructureTypeShaderModuleCreateInfo,
		CodeSize: uint(len(code)),
		PCode:    unsafe.Slice((*uint32)(ccode), len(code)/4),
	}
	var module vk.ShaderModule
	if r := vk.CreateShaderModule(d.dev, &minfo, nil, &module); r != vk.Success {
		return vkErr("vkCreateShaderModule", r)
	}
	k.module = module

	binds := make([]vk.DescriptorSetLayoutBinding, k.Bindings)
	for i := range binds {
		binds[i] = vk.DescriptorSetLayoutBinding{
			Binding:         uint32(i),
			DescriptorType:  vk.DescriptorTypeStorageBuffer,
			DescriptorCount: 1,
			StageFlags:      vk.ShaderStageFlags(vk.ShaderStageComputeBit),
		}
	}
	linfo := vk.DescriptorSetLayoutCreateInfo{
		SType:        vk.StructureTypeDescriptorSetLayoutCreateInfo,
		BindingCount: uint32(len(binds)),
		PBindings:    binds,
	}
	var dsl vk.DescriptorSetLayout
	if r := vk.CreateDescriptorSetLayout(d.dev, &linfo, nil, &dsl); r != vk.Success {
		return vkErr("vkCreateDescriptorSetLayout", r)
	}
	k.dsl = dsl

	pinfo := vk.PipelineLayoutCreateInfo{
		SType:          vk.StructureTypePipelineLayoutCreateInfo,
		SetLayoutCount: 1,
		PSetLayouts:    []vk.DescriptorSetLayout{dsl},
	}
	if k.PushSize > 0 {
		pinfo.PushConstantRangeCount = 1
		pinfo.PPushConstantRanges = []vk.PushConstantRange{{
			StageFlags: vk.ShaderStageFlags(vk.ShaderStageComputeBit),
			Size:       uint32(k.PushSize),
		}}
	}
	var layout vk.PipelineLayout
	if r := vk.CreatePipelineLayout(d.dev, &pinfo, nil, &layout); r != vk.Success {
		return vkErr("vkCreatePipelineLayout", r)
	}
	k.layout = layout

	spec := (*C.uint32_t)(C.malloc(4))
	defer C.free(unsafe.Pointer(spec))
	*spec = C.uint32_t(k.WG)
	stage := vk.PipelineShaderStageCreateInfo{
		SType:  vk.StructureTypePipelineShaderStageCreateInfo,
		Stage:  vk.ShaderStageComputeBit,
		Module: module,
		PName:  "main\x00",
		PSpecializationInfo: []vk.SpecializationInfo{{
			MapEntryCount: 1,
			PMapEntries:   []vk.SpecializationMapEntry{{ConstantID: 0, Offset: 0, Size: 4}},
			DataSize:      4,
			PData:         unsafe.Pointer(spec),
		}},
	}
	cinfo := []vk.ComputePipelineCreateInfo{{
		SType:  vk.StructureTypeComputePipelineCreateInfo,
		Stage:  stage,
		Layout: layout,
	}}
	pipes := make([]vk.Pipeline, 1)
	if r := vk.CreateComputePipelines(d.dev, vk.NullPipelineCache, 1, cinfo, nil, pipes); r != vk.Success {
		return vkErr("vkCreateComputePipelines", r)
	}
	k.pipeline = pipes[0]
	return nil
}

func (k *Kernel) destroy() {
	dev := k.d.dev
	if k.pipeline != vk.NullPipeline {
		vk.DestroyPipeline(dev, k.pipeline, nil)
	}
	if k.layout != vk.NullPipelineLayout {
		vk.DestroyPipelineLayout(dev, k.layout, nil)
	}
	if k.dsl != vk.NullDescriptorSetLayout {
		vk.DestroyDescriptorSetLayout(dev, k.dsl, nil)
	}
	if k.module != vk.NullShaderModule {
		vk.DestroyShaderModule(dev, k.module, nil)
	}
	*k = Kernel{d: k.d, Name: k.Name, WG: k.WG, Bindings: k.Bindings, PushSize: k.PushSize}
}

// Binding is a kernel with its descriptor set bound to specific buffer ranges: made once,
// dispatched any number of times.
type Binding struct {
	k    *Kernel
	set  vk.DescriptorSet
	pool vk.DescriptorPool
}

// descPoolSets is how many descriptor sets one pool holds; pools are added as needed.
const descPoolSets = 256

func (d *Device) newDescriptorPool() (vk.DescriptorPool, error) {
	info := vk.DescriptorPoolCreateInfo{
		SType:         vk.StructureTypeDescriptorPoolCreateInfo,
		Flags:         vk.DescriptorPoolCreateFlags(vk.DescriptorPoolCreateFreeDescriptorSetBit),
		MaxSets:       descPoolSets,
		PoolSizeCount: 1,
		PPoolSizes: []vk.DescriptorPoolSize{{
			Type:            vk.DescriptorTypeStorageBuffer,
			DescriptorCount: descPoolSets * 8,
		}},
	}
	var pool vk.DescriptorPool
	if r := vk.CreateDescriptorPool(d.dev, &info, nil, &pool); r != vk.Success {
		return pool, vkErr("vkCreateDescriptorPool", r)
	}
	d.descPools = append(d.descPools, pool)
	return pool, nil
}

func (d *Device) allocateSet(dsl vk.DescriptorSetLayout) (vk.DescriptorSet, vk.DescriptorPool, error) {
	try := func(pool vk.DescriptorPool) (vk.DescriptorSet, vk.Result) {
		info := vk.DescriptorSetAllocateInfo{
			SType:              vk.StructureTypeDescriptorSetAllocateInfo,
			DescriptorPool:     pool,
			DescriptorSetCount: 1,
			PSetLayouts:        []vk.DescriptorSetLayout{dsl},
		}
		var set vk.DescriptorSet
		r := vk.AllocateDescriptorSets(d.dev, &info, &set)
		return set, r
	}
	// Newest pool first: older ones are usually full.
	for i := len(d.descPools) - 1; i >= 0; i-- {
		set, r := try(d.descPools[i])
		switch r {
		case vk.Success:
			return set, d.descPools[i], nil
		case vk.ErrorOutOfPoolMemory, vk.ErrorFragmentedPool:
			continue
		}
		return set, nil, vkErr("vkAllocateDescriptorSets", r)
	}
	pool, err := d.newDescriptorPool()
	if err != nil {
		return nil, nil, err
	}
	set, r := try(pool)
	if r != vk.Success {
		return set, nil, vkErr("vkAllocateDescriptorSets", r)
	}
	return set, pool, nil
}

// Bind makes a descriptor set pointing binding i at ranges[i]. A range of size 0 binds
// the whole buffer from its offset.
func (k *Kernel) Bind(ranges ...Range) (*Binding, error) {
	if len(ranges) != k.Bindings {
		panic("vulkan: Bind got a different number of ranges than the kernel has bindings")
	}
	d := k.d
	infos := make([]vk.DescriptorBufferInfo, len(ranges))
	for i, r := range ranges {
		if r.Offset%int(d.Limits.MinStorageBufferOffsetAlignment) != 0 {
			return nil, fmt.Errorf("vulkan: %s binding %d: offset %d is not a multiple of minStorageBufferOffsetAlignment %d", k.Name, i, r.Offset, d.Limits.MinStorageBufferOffsetAlignment)
		}
		size := r.Size
		if size == 0 {
			size = max(r.Buf.size-r.Offset, 4)
		}
		if size > int(d.Limits.MaxStorageBufferRange) {
			return nil, fmt.Errorf("vulkan: %s binding %d: %d bytes exceed maxStorageBufferRange %d of %q", k.Name, i, size, d.Limits.MaxStorageBufferRange, d.info.Name)
		}
		infos[i] = vk.DescriptorBufferInfo{Buffer: r.Buf.buf, Offset: vk.DeviceSize(r.Offset), Range: vk.DeviceSize(size)}
	}
	set, pool, err := d.allocateSet(k.dsl)
	if err != nil {
		return nil, fmt.Errorf("vulkan: %s: %w", k.Name, err)
	}
	writes := make([]vk.WriteDescriptorSet, len(infos))
	for i := range infos {
		writes[i] = vk.WriteDescriptorSet{
			SType:           vk.StructureTypeWriteDescriptorSet,
			DstSet:          set,
			DstBinding:      uint32(i),
			DescriptorCount: 1,
			DescriptorType:  vk.DescriptorTypeStorageBuffer,
			PBufferInfo:     infos[i : i+1],
		}
	}
	if len(writes) > 0 {
		vk.UpdateDescriptorSets(d.dev, uint32(len(writes)), writes, 0, nil)
	}
	return &Binding{k: k, set: set, pool: pool}, nil
}

// Free returns the descriptor set to its pool; no pending work may use it. Calling it
// again does nothing. Sets not freed are released by Device.Close.
func (b *Binding) Free() {
	if b == nil || b.set == vk.NullDescriptorSet || b.k.d.dev == nil {
		return
	}
	set := b.set
	vk.FreeDescriptorSets(b.k.d.dev, b.pool, 1, &set)
	b.set = vk.NullDescriptorSet
}
