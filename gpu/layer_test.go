package gpu

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vk "github.com/vulkan-go/vulkan"

	"vkcnn/shaders"
)

func TestOpenLoaderMissingLibrary(t *testing.T) {
	_, err := openLoader([]string{"libvkcnn-no-such-loader.so.1"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "vulkan: no Vulkan loader found (libvkcnn-no-such-loader.so.1): ")
	assert.Contains(t, err.Error(), "cannot open shared object file", "the dlerror text is kept")
}

func TestChooseDevice(t *testing.T) {
	devs := []DeviceInfo{
		{Index: 0, Name: "llvmpipe", Type: "cpu"},
		{Index: 1, Name: "iGPU", Type: "integrated"},
		{Index: 2, Name: "dGPU", Type: "discrete"},
	}
	i, err := choose(devs, Options{Index: Auto})
	require.NoError(t, err)
	assert.Equal(t, 2, i, "discrete first")
	i, err = choose(devs[:2], Options{Index: Auto})
	require.NoError(t, err)
	assert.Equal(t, 1, i, "then integrated")
	i, err = choose(devs, Options{Index: 0})
	require.NoError(t, err)
	assert.Equal(t, 0, i, "an explicit index picks even a CPU device")

	_, err = choose(devs[:1], Options{Index: Auto})
	require.Error(t, err, "a CPU device only with AllowCPU")
	assert.Contains(t, err.Error(), "only a CPU implementation of Vulkan")
	assert.Contains(t, err.Error(), "0: llvmpipe (cpu")
	i, err = choose(devs[:1], Options{Index: Auto, AllowCPU: true})
	require.NoError(t, err)
	assert.Equal(t, 0, i)

	_, err = choose(devs, Options{Index: 3})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "device index 3 out of range")
	assert.Contains(t, err.Error(), "2: dGPU (discrete")
	_, err = choose(nil, Options{Index: Auto, AllowCPU: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "devices: none")
	_, err = choose(devs, Options{Index: -2})
	require.Error(t, err)
}

func TestOpenIndexOutOfRange(t *testing.T) {
	testDevice(t) // skips when there is no device at all
	devs, err := Devices()
	require.NoError(t, err)
	require.NotEmpty(t, devs)
	_, err = Open(Options{Index: len(devs)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "out of range")
	assert.Contains(t, err.Error(), devs[0].Name, "the error lists the devices")
}

func TestDeviceReportsLimits(t *testing.T) {
	d := testDevice(t)
	assert.NotEmpty(t, d.Name())
	l := d.Limits
	assert.GreaterOrEqual(t, l.MaxComputeWorkGroupCount[0], uint32(65535), "spec minimum")
	assert.GreaterOrEqual(t, l.MaxComputeWorkGroupInvocations, uint32(128), "spec minimum")
	assert.GreaterOrEqual(t, l.MaxStorageBufferRange, uint32(1<<27), "spec minimum")
	assert.GreaterOrEqual(t, l.MaxPushConstantsSize, uint32(128), "spec minimum")
	assert.NotZero(t, l.MinStorageBufferOffsetAlignment)
	assert.Greater(t, l.TimestampPeriod, float32(0))
}

func TestCorruptShader(t *testing.T) {
	d := testDevice(t)
	good, err := fs.ReadFile(shaders.FS, "relu_forward.spv")
	require.NoError(t, err)
	for name, code := range map[string][]byte{
		"short":     {0x03, 0x02, 0x23, 0x07},
		"odd":       append(append([]byte(nil), good...), 0),
		"magic":     append([]byte{0, 0, 0, 0}, good[4:]...),
		"truncated": append(append([]byte(nil), good[:20]...), 0x11, 0, 10, 0), // a 10-word instruction cut at 1 word
	} {
		_, err := d.KernelFromSPIRV("bad_"+name, code, 64)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "gpu: shader bad_"+name+".spv is corrupt", name)
	}
	_, err = d.Kernel("no_such_shader", 64)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no_such_shader.spv is not embedded")
}

func TestGuardCatchesOverrun(t *testing.T) {
	d := testDevice(t)
	code, err := os.ReadFile("testdata/overrun.spv")
	require.NoError(t, err)
	o := NewOps(d)
	_, err = d.KernelFromSPIRV("overrun", code, o.WG)
	require.NoError(t, err)
	in := []float32{1, -2, 3}
	out := make([]float32, 3)
	err = o.run(elementwiseCall("overrun", 3), output("out", out), input("in", in))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gpu: overrun wrote past the end of out (guard word 0")
}

func TestWorkgroupSizeChecked(t *testing.T) {
	d := testDevice(t)
	_, err := d.Kernel("relu_forward", int(d.Limits.MaxComputeWorkGroupInvocations)+1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "workgroup size")
}

// More workgroups than maxComputeWorkGroupCount[0] go into a 2-D grid that the shaders
// linearise; with a workgroup of one thread that is a modest buffer.
func TestTwoDimensionalGrid(t *testing.T) {
	d := testDevice(t)
	o := &Ops{d: d, WG: 1}
	n := int(d.Limits.MaxComputeWorkGroupCount[0]) + 1000
	if n > 1<<22 {
		t.Skipf("maxComputeWorkGroupCount[0] = %d: a 2-D grid needs a larger test", n-1000)
	}
	x, y := d.Grid(n)
	assert.Equal(t, uint32(2), y)
	assert.GreaterOrEqual(t, int(x)*int(y), n)
	in := make([]float32, n)
	for i := range in {
		in[i] = float32(i%1000) - 500
	}
	out := nanSlice(n)
	require.NoError(t, o.ReLUForward(out, in))
	for i := range in {
		if out[i] != max(in[i], 0) {
			t.Fatalf("element %d: want %g, got %g", i, max(in[i], 0), out[i])
		}
	}
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	d := testDevice(t)
	// Larger than the staging buffer, so the transfer goes in chunks.
	n := stagingMax/4 + 12345
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i) * 0.5
	}
	b, err := d.NewBuffer(4*n, DeviceLocal)
	require.NoError(t, err)
	defer b.Destroy()
	require.NoError(t, Upload(b, 0, src))
	back := make([]float32, n)
	require.NoError(t, Download(back, b, 0))
	assert.Equal(t, src, back)
	part := make([]float32, 10)
	require.NoError(t, Download(part, b, n-10))
	assert.Equal(t, src[n-10:], part, "download at an element offset")

	h, err := d.NewBuffer(64, HostVisible)
	require.NoError(t, err)
	defer h.Destroy()
	require.NoError(t, Upload(h, 2, []uint32{7, 8}))
	assert.Equal(t, []uint32{7, 8}, h.Uint32s()[2:4], "host-visible memory is mapped")
	h.Floats()[0] = 1.5
	got := make([]float32, 1)
	require.NoError(t, Download(got, h, 0))
	assert.Equal(t, float32(1.5), got[0])
}

func TestOutOfDeviceMemory(t *testing.T) {
	testDevice(t) // skip without a device
	// Without validation: the layer rightly reports an allocation larger than the heap.
	d := openOrSkip(t, Options{Index: Auto, AllowCPU: true})
	defer d.Close()
	const huge = 1 << 46 // 64 TiB
	_, err := d.NewBuffer(huge, DeviceLocal)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrOutOfDeviceMemory)
	assert.Contains(t, err.Error(), "70368744177664 bytes")
}

// A command buffer recorded once and submitted many times: advance_step adds its count to
// Control.Step on the device at every submission.
func TestReplayRecordedCommands(t *testing.T) {
	d := testDevice(t)
	ctrl, err := d.NewBuffer(ControlSize, HostVisible)
	require.NoError(t, err)
	defer ctrl.Destroy()
	clear(ctrl.Uint32s()) // new memory holds whatever was there before
	k, err := d.Kernel("advance_step", 64)
	require.NoError(t, err)
	b, err := k.Bind(ctrl.All())
	require.NoError(t, err)
	defer b.Free()
	c, err := d.NewCommands(true)
	require.NoError(t, err)
	defer c.Destroy()
	require.NoError(t, c.Begin())
	p := advanceParams{Count: 5}
	c.DispatchGroups(b, Bytes(&p), 1)
	c.Barrier()
	c.DispatchGroups(b, Bytes(&p), 1)
	c.ComputeToHost()
	require.NoError(t, c.End())
	for range 3 {
		require.NoError(t, d.Submit(c))
	}
	pend, err := d.Start(c)
	require.NoError(t, err)
	require.NoError(t, pend.Wait())
	require.NoError(t, pend.Wait(), "a second Wait does nothing")
	assert.Equal(t, uint32(40), ctrl.Uint32s()[0], "4 submissions × 2 dispatches × 5")
}

func TestTimestamps(t *testing.T) {
	d := testDevice(t)
	if d.Limits.TimestampValidBits == 0 {
		t.Skip("the compute queue has no timestamps")
	}
	q, err := d.NewTimestamps(3)
	require.NoError(t, err)
	defer q.Destroy()
	buf, err := d.NewBuffer(4*4096, DeviceLocal)
	require.NoError(t, err)
	defer buf.Destroy()
	k, err := d.Kernel("relu_forward", 64)
	require.NoError(t, err)
	b, err := k.Bind(buf.All(), buf.All())
	require.NoError(t, err)
	defer b.Free()
	p := nParams{N: 4096}
	require.NoError(t, d.oneShot(func(c *Commands) {
		c.ResetTimestamps(q)
		c.Timestamp(q, 0)
		c.Dispatch(b, Bytes(&p), 4096)
		c.Timestamp(q, 1)
		c.Barrier()
		c.Dispatch(b, Bytes(&p), 4096)
		c.Timestamp(q, 2)
	}))
	ns, err := q.Times()
	require.NoError(t, err)
	require.Len(t, ns, 3)
	assert.LessOrEqual(t, ns[0], ns[1])
	assert.LessOrEqual(t, ns[1], ns[2])
	assert.Less(t, ns[2]-ns[0], 1e9, "two small dispatches take well under a second")
}

// Close destroys everything made from the device: the validation layer reports any object
// still alive at vkDestroyDevice, and nothing is reported here.
func TestCloseDestroysEverything(t *testing.T) {
	testDevice(t)
	d := openOrSkip(t, testOptions())
	mk := func(size int, k MemoryKind) *Buffer {
		b, err := d.NewBuffer(size, k)
		require.NoError(t, err)
		return b
	}
	a, h := mk(1024, DeviceLocal), mk(1024, HostVisible)
	require.NoError(t, Upload(a, 0, make([]float32, 256))) // makes the staging buffer
	k, err := d.Kernel("relu_forward", 64)
	require.NoError(t, err)
	_, err = k.Bind(a.All(), h.All())
	require.NoError(t, err)
	_, err = d.NewCommands(true)
	require.NoError(t, err)
	if d.Limits.TimestampValidBits > 0 {
		_, err = d.NewTimestamps(4)
		require.NoError(t, err)
	}
	require.NoError(t, d.Close())
	assert.Empty(t, d.ValidationMessages())
	require.NoError(t, d.Close(), "a second Close does nothing")
}

// The check above means something only if a leaked object is reported.
func TestCloseLeakIsReported(t *testing.T) {
	testDevice(t)
	d := openOrSkip(t, testOptions())
	info := vk.BufferCreateInfo{
		SType:       vk.StructureTypeBufferCreateInfo,
		Size:        64,
		Usage:       vk.BufferUsageFlags(vk.BufferUsageStorageBufferBit),
		SharingMode: vk.SharingModeExclusive,
	}
	var leaked vk.Buffer
	require.Equal(t, vk.Success, vk.CreateBuffer(d.dev, &info, nil, &leaked))
	require.NoError(t, d.Close())
	msgs := strings.Join(d.ValidationMessages(), "\n")
	assert.Contains(t, msgs, "VkBuffer")
	assert.Contains(t, msgs, "has not been destroyed")
}

// Only ErrNoDevice skips a GPU test, and not under VKCNN_REQUIRE_GPU=1: an error that merely
// reads like one ("no ...") fails it. Each way of having no device is ErrNoDevice; the
// faults are not.
func TestOnlyNoDeviceSkips(t *testing.T) {
	_, noLoader := openLoader([]string{"libvkcnn-no-such-loader.so.1"})
	_, noDevices := choose(nil, Options{Index: Auto, AllowCPU: true})
	cpuOnly := []DeviceInfo{{Index: 0, Name: "llvmpipe", Type: "cpu"}}
	_, cpuNotAllowed := choose(cpuOnly, Options{Index: Auto})
	_, outOfRange := choose(cpuOnly, Options{Index: 1})
	for _, c := range []struct {
		name          string
		err           error
		want, require string // deviceVerdict without and with VKCNN_REQUIRE_GPU=1
	}{
		{"nil", nil, "", ""},
		{"no loader", noLoader, "skip", "fail"},
		{"no loader, wrapped", fmt.Errorf("gpu: %w", noLoader), "skip", "fail"},
		{"no devices", noDevices, "skip", "fail"},
		{"only a CPU device, not allowed", cpuNotAllowed, "skip", "fail"},
		{"device index out of range", outOfRange, "fail", "fail"},
		{"a fault that reads like no device", errors.New("vulkan: device 0: llvmpipe (cpu, Vulkan 1.3.230) has no compute queue family"), "fail", "fail"},
		{"broken loader", errors.New("vulkan: loader found but vkInit failed: no vkCreateInstance"), "fail", "fail"},
	} {
		assert.Equal(t, c.want, deviceVerdict(c.err, false), c.name)
		assert.Equal(t, c.require, deviceVerdict(c.err, true), "%s, VKCNN_REQUIRE_GPU=1", c.name)
	}
}

// A loader that finds no driver is ErrNoDevice (as is no loader at all).
func TestNoDriverIsNoDevice(t *testing.T) {
	t.Setenv("VK_DRIVER_FILES", t.TempDir()+"/no_such_icd.json")
	_, err := Open(Options{Index: Auto, AllowCPU: true})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoDevice)
	t.Log(err)
}
