package vulkan

import (
	"fmt"
	"time"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// Commands is a primary command buffer. Record between Begin and End, then Submit it (or
// Start it and Wait). A reusable buffer may be submitted any number of times, even while an
// earlier submission is still running (VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT); the
// buffers, bindings and pipelines it refers to must live until it is done.
type Commands struct {
	d        *Device
	cb       vk.CommandBuffer
	reusable bool
	pipeline vk.Pipeline // bound pipeline while recording, to skip rebinding
}

// NewCommands allocates a command buffer; reusable selects record-once-submit-many.
func (d *Device) NewCommands(reusable bool) (*Commands, error) {
	info := vk.CommandBufferAllocateInfo{
		SType:              vk.StructureTypeCommandBufferAllocateInfo,
		CommandPool:        d.cmdPool,
		Level:              vk.CommandBufferLevelPrimary,
		CommandBufferCount: 1,
	}
	cbs := make([]vk.CommandBuffer, 1)
	if r := vk.AllocateCommandBuffers(d.dev, &info, cbs); r != vk.Success {
		return nil, vkErr("vkAllocateCommandBuffers", r)
	}
	c := &Commands{d: d, cb: cbs[0], reusable: reusable}
	d.commands[c] = struct{}{}
	return c, nil
}

// Destroy frees the command buffer; it must not be pending. Calling it again does nothing.
func (c *Commands) Destroy() {
	if c == nil || c.cb == nil {
		return
	}
	vk.FreeCommandBuffers(c.d.dev, c.d.cmdPool, 1, []vk.CommandBuffer{c.cb})
	c.cb = nil
	delete(c.d.commands, c)
}

// Begin starts recording, discarding anything recorded before.
func (c *Commands) Begin() error {
	flags := vk.CommandBufferUsageOneTimeSubmitBit
	if c.reusable {
		flags = vk.CommandBufferUsageSimultaneousUseBit
	}
	info := vk.CommandBufferBeginInfo{
		SType: vk.StructureTypeCommandBufferBeginInfo,
		Flags: vk.CommandBufferUsageFlags(flags),
	}
	c.pipeline = vk.NullPipeline
	if r := vk.BeginCommandBuffer(c.cb, &info); r != vk.Success {
		return vkErr("vkBeginCommandBuffer", r)
	}
	return nil
}

// End finishes recording.
func (c *Commands) End() error {
	if r := vk.EndCommandBuffer(c.cb); r != vk.Success {
		return vkErr("vkEndCommandBuffer", r)
	}
	return nil
}

// Grid splits groups workgroups into a grid of x·y ≥ groups with x ≤
// maxComputeWorkGroupCount[0]. Shaders linearise it: element
// i = gl_GlobalInvocationID.y·(gl_NumWorkGroups.x·gl_WorkGroupSize.x) + gl_GlobalInvocationID.x,
// workgroup g = gl_WorkGroupID.y·gl_NumWorkGroups.x + gl_WorkGroupID.x; both past the end
// are skipped by the shader's bounds check.
func (d *Device) Grid(groups int) (x, y uint32) {
	if groups <= 0 {
		return 0, 0
	}
	maxX := int(d.Limits.MaxComputeWorkGroupCount[0])
	if groups <= maxX {
		return uint32(groups), 1
	}
	rows := (groups + maxX - 1) / maxX
	if rows > int(d.Limits.MaxComputeWorkGroupCount[1]) {
		panic("vulkan: dispatch larger than the device's 2-D grid")
	}
	return uint32(maxX), uint32(rows)
}

// Dispatch records kernel binding b over total elements, one thread each:
// ceil(total/wg) workgroups laid out by Grid. push is the shader's push-constant block
// (see Bytes); it is copied now, so the caller may reuse it.
func (c *Commands) Dispatch(b *Binding, push []byte, total int) {
	wg := b.k.WG
	c.DispatchGroups(b, push, (total+wg-1)/wg)
}

// DispatchGroups records kernel binding b over groups workgroups laid out by Grid (one
// workgroup per output for the tree reductions).
func (c *Commands) DispatchGroups(b *Binding, push []byte, groups int) {
	k := b.k
	if len(push) != k.PushSize {
		panic("vulkan: push-constant block size differs from the kernel's")
	}
	if k.pipeline != c.pipeline {
		vk.CmdBindPipeline(c.cb, vk.PipelineBindPointCompute, k.pipeline)
		c.pipeline = k.pipeline
	}
	vk.CmdBindDescriptorSets(c.cb, vk.PipelineBindPointCompute, k.layout, 0, 1,
		[]vk.DescriptorSet{b.set}, 0, nil)
	if len(push) > 0 {
		vk.CmdPushConstants(c.cb, k.layout, vk.ShaderStageFlags(vk.ShaderStageComputeBit), 0,
			uint32(len(push)), unsafe.Pointer(&push[0]))
	}
	x, y := c.d.Grid(groups)
	if x > 0 {
		vk.CmdDispatch(c.cb, x, y, 1)
	}
}

// Bytes views a push-constant struct as bytes without copying. T must hold only 32-bit
// numbers (no Go pointers), laid out as the shader's push_constant block.
func Bytes[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

func (c *Commands) barrier(srcStage, dstStage vk.PipelineStageFlagBits, srcAccess, dstAccess vk.AccessFlagBits) {
	mb := []vk.MemoryBarrier{{
		SType:         vk.StructureTypeMemoryBarrier,
		SrcAccessMask: vk.AccessFlags(srcAccess),
		DstAccessMask: vk.AccessFlags(dstAccess),
	}}
	vk.CmdPipelineBarrier(c.cb, vk.PipelineStageFlags(srcStage), vk.PipelineStageFlags(dstStage),
		0, 1, mb, 0, nil, 0, nil)
}

// Barrier makes every earlier dispatch's writes visible to later dispatches, and orders
// later writes after earlier reads: a global compute→compute memory barrier.
func (c *Commands) Barrier() {
	c.barrier(vk.PipelineStageComputeShaderBit, vk.PipelineStageComputeShaderBit,
		vk.AccessShaderWriteBit, vk.AccessShaderReadBit|vk.AccessShaderWriteBit)
}

// ComputeToTransfer orders later copies and fills after earlier dispatches (their writes
// visible to the copy, and the copy's writes after their reads).
func (c *Commands) ComputeToTransfer() {
	c.barrier(vk.PipelineStageComputeShaderBit, vk.PipelineStageTransferBit,
		vk.AccessShaderWriteBit, vk.AccessTransferReadBit|vk.AccessTransferWriteBit)
}

// TransferToCompute makes earlier copies' and fills' writes visible to later dispatches.
func (c *Commands) TransferToCompute() {
	c.barrier(vk.PipelineStageTransferBit, vk.PipelineStageComputeShaderBit,
		vk.AccessTransferWriteBit, vk.AccessShaderReadBit|vk.AccessShaderWriteBit)
}

// TransferToHost makes earlier copies' writes visible to host reads after the fence.
func (c *Commands) TransferToHost() {
	c.barrier(vk.PipelineStageTransferBit, vk.PipelineStageHostBit,
		vk.AccessTransferWriteBit, vk.AccessHostReadBit)
}

// ComputeToHost makes earlier dispatches' writes to host-visible buffers visible to host
// reads after the fence.
func (c *Commands) ComputeToHost() {
	c.barrier(vk.PipelineStageComputeShaderBit, vk.PipelineStageHostBit,
		vk.AccessShaderWriteBit, vk.AccessHostReadBit)
}

// Copy records a copy of src.Size bytes from src to dst.
func (c *Commands) Copy(dst, src Range) {
	if dst.Size < src.Size {
		panic("vulkan: copy destination smaller than source")
	}
	if src.Size == 0 {
		return
	}
	vk.CmdCopyBuffer(c.cb, src.Buf.buf, dst.Buf.buf, 1, []vk.BufferCopy{{
		SrcOffset: vk.DeviceSize(src.Offset),
		DstOffset: vk.DeviceSize(dst.Offset),
		Size:      vk.DeviceSize(src.Size),
	}})
}

// Fill records setting every 32-bit word of dst (offset and size multiples of 4) to v.
func (c *Commands) Fill(dst Range, v uint32) {
	if dst.Offset%4 != 0 || dst.Size%4 != 0 {
		panic("vulkan: fill range not a multiple of 4 bytes")
	}
	if dst.Size == 0 {
		return
	}
	vk.CmdFillBuffer(c.cb, dst.Buf.buf, vk.DeviceSize(dst.Offset), vk.DeviceSize(dst.Size), v)
}

// Pending is a submission the host has not waited for yet.
type Pending struct {
	d     *Device
	fence vk.Fence
}

func (d *Device) newFence() (vk.Fence, error) {
	info := vk.FenceCreateInfo{SType: vk.StructureTypeFenceCreateInfo}
	var f vk.Fence
	if r := vk.CreateFence(d.dev, &info, nil, &f); r != vk.Success {
		return f, vkErr("vkCreateFence", r)
	}
	return f, nil
}

// Start submits the command buffers, in order, to the queue and returns without waiting.
func (d *Device) Start(cs ...*Commands) (*Pending, error) {
	f, err := d.newFence()
	if err != nil {
		return nil, err
	}
	if err := d.submit(f, cs); err != nil {
		vk.DestroyFence(d.dev, f, nil)
		return nil, err
	}
	return &Pending{d: d, fence: f}, nil
}

func (d *Device) submit(f vk.Fence, cs []*Commands) error {
	if d.lost != nil {
		return d.lost
	}
	cbs := make([]vk.CommandBuffer, len(cs))
	for i, c := range cs {
		cbs[i] = c.cb
	}
	info := []vk.SubmitInfo{{
		SType:              vk.StructureTypeSubmitInfo,
		CommandBufferCount: uint32(len(cbs)),
		PCommandBuffers:    cbs,
	}}
	if r := vk.QueueSubmit(d.queue, 1, info, f); r != vk.Success {
		return vkErr("vkQueueSubmit", r)
	}
	return nil
}

// fenceTimeout bounds every wait so that a hung device becomes an error, not a hang.
const fenceTimeout = 10 * time.Minute

func (d *Device) waitFence(f vk.Fence) error {
	r := vk.WaitForFences(d.dev, 1, []vk.Fence{f}, vk.True, uint64(fenceTimeout.Nanoseconds()))
	switch r {
	case vk.Success:
		return nil
	case vk.Timeout:
		d.lost = fmt.Errorf("vulkan: vkWaitForFences: no result after %v (the device hangs)", fenceTimeout)
	default:
		d.lost = vkErr("vkWaitForFences", r)
	}
	return d.lost
}

// Wait blocks until the submission has finished. Calling it again does nothing.
func (p *Pending) Wait() error {
	if p.fence == vk.NullFence {
		return nil
	}
	err := p.d.waitFence(p.fence)
	if err == nil { // a fence of a hung or lost device may still be in use: leak it
		vk.DestroyFence(p.d.dev, p.fence, nil)
	}
	p.fence = vk.NullFence
	return err
}

// Submit submits the command buffers, in order, and waits for them to finish.
func (d *Device) Submit(cs ...*Commands) error {
	if err := d.submit(d.fence, cs); err != nil {
		return err
	}
	if err := d.waitFence(d.fence); err != nil {
		return err // the fence may still be pending: no reset
	}
	if r := vk.ResetFences(d.dev, 1, []vk.Fence{d.fence}); r != vk.Success {
		return vkErr("vkResetFences", r)
	}
	return nil
}

// OneShot records record into a fresh one-time command buffer, submits it and waits.
func (d *Device) OneShot(record func(c *Commands)) error {
	c, err := d.NewCommands(false)
	if err != nil {
		return err
	}
	defer c.Destroy()
	if err := c.Begin(); err != nil {
		return err
	}
	record(c)
	if err := c.End(); err != nil {
		return err
	}
	return d.Submit(c)
}

// QueryPool holds timestamp queries for profiling recorded work.
type QueryPool struct {
	d    *Device
	pool vk.QueryPool
	n    int
}

// NewTimestamps creates a pool of n timestamp queries. It fails when the compute queue has
// no timestamps (Limits.TimestampValidBits is 0).
func (d *Device) NewTimestamps(n int) (*QueryPool, error) {
	if d.Limits.TimestampValidBits == 0 {
		return nil, fmt.Errorf("vulkan: device %q: compute queue has no timestamps", d.info.Name)
	}
	info := vk.QueryPoolCreateInfo{
		SType:      vk.StructureTypeQueryPoolCreateInfo,
		QueryType:  vk.QueryTypeTimestamp,
		QueryCount: uint32(n),
	}
	var pool vk.QueryPool
	if r := vk.CreateQueryPool(d.dev, &info, nil, &pool); r != vk.Success {
		return nil, vkErr(fmt.Sprintf("vkCreateQueryPool(%d timestamps)", n), r)
	}
	q := &QueryPool{d: d, pool: pool, n: n}
	d.queries[q] = struct{}{}
	return q, nil
}

// Len is the number of queries in the pool.
func (q *QueryPool) Len() int { return q.n }

// Destroy frees the pool; no pending work may use it. Calling it again does nothing.
func (q *QueryPool) Destroy() {
	if q == nil || q.pool == vk.NullQueryPool {
		return
	}
	vk.DestroyQueryPool(q.d.dev, q.pool, nil)
	q.pool = vk.NullQueryPool
	delete(q.d.queries, q)
}

// ResetTimestamps records resetting every query of q; record it before the first Timestamp
// of each submission.
func (c *Commands) ResetTimestamps(q *QueryPool) {
	vk.CmdResetQueryPool(c.cb, q.pool, 0, uint32(q.n))
}

// Timestamp records writing query i when all earlier commands have completed.
func (c *Commands) Timestamp(q *QueryPool, i int) {
	if i < 0 || i >= q.n {
		panic("vulkan: timestamp index out of range")
	}
	vk.CmdWriteTimestamp(c.cb, vk.PipelineStageBottomOfPipeBit, q.pool, uint32(i))
}

// Times waits for every query of q and returns each one's time in nanoseconds since an
// arbitrary origin (ticks scaled by Limits.TimestampPeriod); differences are durations.
func (q *QueryPool) Times() ([]float64, error) {
	raw := make([]uint64, q.n)
	r := vk.GetQueryPoolResults(q.d.dev, q.pool, 0, uint32(q.n), uint(8*q.n),
		unsafe.Pointer(&raw[0]), 8, vk.QueryResultFlags(vk.QueryResult64Bit|vk.QueryResultWaitBit))
	if r != vk.Success {
		return nil, vkErr("vkGetQueryPoolResults", r)
	}
	bits := q.d.Limits.TimestampValidBits
	ns := make([]float64, q.n)
	for i, t := range raw {
		if bits < 64 {
			t &= 1<<bits - 1
		}
		ns[i] = float64(t) * float64(q.d.Limits.TimestampPeriod)
	}
	return ns, nil
}
