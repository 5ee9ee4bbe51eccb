package vulkan

import (
	"errors"
	"fmt"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// MemoryKind says where a Buffer lives and how the host reaches it.
type MemoryKind int

const (
	// DeviceLocal memory is the fastest for shaders; the host reaches it only through
	// Upload and Download (a staging buffer and a copy on the queue).
	DeviceLocal MemoryKind = iota
	// HostVisible memory is host-visible and coherent and stays mapped for the buffer's
	// life; Bytes, Floats and Uint32s expose it directly.
	HostVisible
)

func (k MemoryKind) String() string {
	if k == HostVisible {
		return "host-visible"
	}
	return "device-local"
}

// Buffer is a Vulkan storage buffer with its own memory allocation. Every buffer can be
// bound to a shader and be the source or destination of a copy.
type Buffer struct {
	d      *Device
	buf    vk.Buffer
	mem    vk.DeviceMemory
	size   int
	mapped unsafe.Pointer
}

// ErrOutOfDeviceMemory is wrapped by the error NewBuffer returns when the device has no room.
var ErrOutOfDeviceMemory = errors.New("out of device memory")

// preferred lists, best first, the memory property sets a kind may use; an allocation takes
// the first set some allowed memory type has. DeviceLocal falls back to any type (devices
// such as lavapipe have only host-visible memory); HostVisible must be mappable.
func preferred(k MemoryKind) []vk.MemoryPropertyFlags {
	const (
		local    = vk.MemoryPropertyFlags(vk.MemoryPropertyDeviceLocalBit)
		visible  = vk.MemoryPropertyFlags(vk.MemoryPropertyHostVisibleBit)
		coherent = vk.MemoryPropertyFlags(vk.MemoryPropertyHostCoherentBit)
		cached   = vk.MemoryPropertyFlags(vk.MemoryPropertyHostCachedBit)
	)
	if k == HostVisible {
		return []vk.MemoryPropertyFlags{visible | coherent | cached, visible | coherent}
	}
	return []vk.MemoryPropertyFlags{local, 0}
}

func (d *Device) memoryType(typeBits uint32, k MemoryKind) (uint32, bool) {
	for _, want := range preferred(k) {
		for i, flags := range d.memTypes {
			if typeBits&(1<<uint(i)) != 0 && flags&want == want {
				return uint32(i), true
			}
		}
	}
	return 0, false
}

// allocErr names the call, the size and the memory kind of a failed allocation; running out
// of memory wraps ErrOutOfDeviceMemory.
func allocErr(call string, size int, kind MemoryKind, r vk.Result) error {
	if r == vk.ErrorOutOfDeviceMemory || r == vk.ErrorOutOfHostMemory {
		return fmt.Errorf("vulkan: %s(%d bytes, %s): %w", call, size, kind, ErrOutOfDeviceMemory)
	}
	return vkErr(fmt.Sprintf("%s(%d bytes, %s)", call, size, kind), r)
}

// NewBuffer allocates a buffer of size bytes (at least 4 are allocated, so that an empty
// tensor still has a buffer to bind). Its contents are undefined until written.
func (d *Device) NewBuffer(size int, kind MemoryKind) (*Buffer, error) {
	if size < 0 {
		panic("vulkan: negative buffer size")
	}
	alloc := max(size, 4)
	info := vk.BufferCreateInfo{
		SType: vk.StructureTypeBufferCreateInfo,
		Size:  vk.DeviceSize(alloc),
		Usage: vk.BufferUsageFlags(vk.BufferUsageStorageBufferBit |
			vk.BufferUsageTransferSrcBit | vk.BufferUsageTransferDstBit),
		SharingMode: vk.SharingModeExclusive,
	}
	var buf vk.Buffer
	if r := vk.CreateBuffer(d.dev, &info, nil, &buf); r != vk.Success {
		return nil, allocErr("vkCreateBuffer", size, kind, r)
	}
	var req vk.MemoryRequirements
	vk.GetBufferMemoryRequirements(d.dev, buf, &req)
	req.Deref()
	typ, ok := d.memoryType(req.MemoryTypeBits, kind)
	if !ok {
		vk.DestroyBuffer(d.dev, buf, nil)
		return nil, fmt.Errorf("vulkan: buffer of %d bytes: device %q has no %s memory type", size, d.info.Name, kind)
	}
	ainfo := vk.MemoryAllocateInfo{
		SType:           vk.StructureTypeMemoryAllocateInfo,
		AllocationSize:  req.Size,
		MemoryTypeIndex: typ,
	}
	var mem vk.DeviceMemory
	if r := vk.AllocateMemory(d.dev, &ainfo, nil, &mem); r != vk.Success {
		vk.DestroyBuffer(d.dev, buf, nil)
		return nil, allocErr("vkAllocateMemory", int(req.Size), kind, r)
	}
	if r := vk.BindBufferMemory(d.dev, buf, mem, 0); r != vk.Success {
		vk.DestroyBuffer(d.dev, buf, nil)
		vk.FreeMemory(d.dev, mem, nil)
		return nil, vkErr("vkBindBufferMemory", r)
	}
	b := &Buffer{d: d, buf: buf, mem: mem, size: size}
	if kind == HostVisible {
		var p unsafe.Pointer
		if r := vk.MapMemory(d.dev, mem, 0, vk.DeviceSize(vk.WholeSize), 0, &p); r != vk.Success {
			vk.DestroyBuffer(d.dev, buf, nil)
			vk.FreeMemory(d.dev, mem, nil)
			return nil, vkErr(fmt.Sprintf("vkMapMemory(%d bytes)", size), r)
		}
		b.mapped = p
	}
	d.buffers[b] = struct{}{}
	return b, nil
}

// Size is the buffer's size in bytes, as requested.
func (b *Buffer) Size() int { return b.size }

// Bytes is the mapped memory of a HostVisible buffer.
func (b *Buffer) Bytes() []byte {
	if b.mapped == nil {
		panic("vulkan: Bytes of a buffer that is not host-visible")
	}
	return unsafe.Slice((*byte)(b.mapped), b.size)
}

// Floats is the mapped memory of a HostVisible buffer as float32 values.
func (b *Buffer) Floats() []float32 {
	if b.mapped == nil {
		panic("vulkan: Floats of a buffer that is not host-visible")
	}
	return unsafe.Slice((*float32)(b.mapped), b.size/4)
}

// Uint32s is the mapped memory of a HostVisible buffer as uint32 values.
func (b *Buffer) Uint32s() []uint32 {
	if b.mapped == nil {
		panic("vulkan: Uint32s of a buffer that is not host-visible")
	}
	return unsafe.Slice((*uint32)(b.mapped), b.size/4)
}

// Destroy frees the buffer and its memory; the GPU must be done with it. Calling it again
// does nothing.
func (b *Buffer) Destroy() {
	if b == nil || b.buf == vk.NullBuffer {
		return
	}
	d := b.d
	if b.mapped != nil {
		vk.UnmapMemory(d.dev, b.mem)
		b.mapped = nil
	}
	vk.DestroyBuffer(d.dev, b.buf, nil)
	vk.FreeMemory(d.dev, b.mem, nil)
	b.buf, b.mem = vk.NullBuffer, vk.NullDeviceMemory
	delete(d.buffers, b)
	if d.staging == b {
		d.staging = nil
	}
}

// Range is a byte range of a buffer: what a shader binding or a copy sees.
type Range struct {
	Buf          *Buffer
	Offset, Size int
}

// All is the whole buffer as a Range.
func (b *Buffer) All() Range { return Range{Buf: b, Size: b.size} }

// Range is size bytes of the buffer from offset.
func (b *Buffer) Range(offset, size int) Range {
	if offset < 0 || size < 0 || offset+size > b.size {
		panic("vulkan: buffer range out of bounds")
	}
	return Range{Buf: b, Offset: offset, Size: size}
}

// Elem is a 32-bit element type that buffers hold.
type Elem interface{ ~float32 | ~int32 | ~uint32 }

func asBytes[T Elem](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*4)
}

// Upload copies src into b starting at element index at (4-byte elements). It waits for
// the copy to finish; no GPU work may be using b meanwhile.
func Upload[T Elem](b *Buffer, at int, src []T) error {
	return b.write(at*4, asBytes(src))
}

// Download copies len(dst) elements of b, starting at element index at, into dst. It waits
// for the copy; work submitted before it that writes b must have been submitted.
func Download[T Elem](dst []T, b *Buffer, at int) error {
	return b.read(asBytes(dst), at*4)
}

// stagingMax is the largest staging buffer kept; bigger transfers go through it in chunks.
const stagingMax = 16 << 20

func (d *Device) stagingBuffer(n int) (*Buffer, error) {
	want := min(n, stagingMax)
	if d.staging != nil && d.staging.size >= want {
		return d.staging, nil
	}
	d.staging.Destroy()
	s, err := d.NewBuffer(want, HostVisible)
	if err != nil {
		return nil, fmt.Errorf("vulkan: staging buffer: %w", err)
	}
	d.staging = s
	return s, nil
}

func (b *Buffer) checkSpan(off, n int) {
	if off < 0 || off+n > b.size {
		panic("vulkan: transfer out of the buffer's bounds")
	}
}

func (b *Buffer) write(off int, src []byte) error {
	b.checkSpan(off, len(src))
	if len(src) == 0 {
		return nil
	}
	if b.mapped != nil {
		copy(b.Bytes()[off:], src)
		return nil
	}
	d := b.d
	s, err := d.stagingBuffer(len(src))
	if err != nil {
		return err
	}
	for done := 0; done < len(src); {
		n := min(len(src)-done, s.size)
		copy(s.Bytes(), src[done:done+n])
		err := d.OneShot(func(c *Commands) {
			c.ComputeToTransfer()
			c.Copy(b.Range(off+done, n), s.Range(0, n))
			c.TransferToCompute()
		})
		if err != nil {
			return fmt.Errorf("vulkan: upload of %d bytes: %w", len(src), err)
		}
		done += n
	}
	return nil
}

func (b *Buffer) read(dst []byte, off int) error {
	b.checkSpan(off, len(dst))
	if len(dst) == 0 {
		return nil
	}
	d := b.d
	if b.mapped != nil {
		// A waited-for submission's writes are not host-visible by themselves: a barrier to
		// the host stage makes earlier shader and transfer writes available first.
		if err := d.OneShot(func(c *Commands) { c.ComputeToHost(); c.TransferToHost() }); err != nil {
			return fmt.Errorf("vulkan: download of %d bytes: %w", len(dst), err)
		}
		copy(dst, b.Bytes()[off:off+len(dst)])
		return nil
	}
	s, err := d.stagingBuffer(len(dst))
	if err != nil {
		return err
	}
	for done := 0; done < len(dst); {
		n := min(len(dst)-done, s.size)
		err := d.OneShot(func(c *Commands) {
			c.ComputeToTransfer()
			c.Copy(s.Range(0, n), b.Range(off+done, n))
			c.TransferToHost()
		})
		if err != nil {
			return fmt.Errorf("vulkan: download of %d bytes: %w", len(dst), err)
		}
		copy(dst[done:done+n], s.Bytes())
		done += n
	}
	return nil
}
