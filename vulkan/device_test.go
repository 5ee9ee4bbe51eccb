package vulkan_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vk "github.com/vulkan-go/vulkan"

	"github.com/vkcnn/vkcnn/internal/gputest"
	"github.com/vkcnn/vkcnn/shaders"
	"github.com/vkcnn/vkcnn/vulkan"
)

// The tests use the project's compiled shaders as sample SPIR-V: relu_forward
// (`out[i] = max(in[i], 0)`, bindings out, in; push `uint n`) and advance_step
// (`ctrl.step += count`, binding ctrl; push `uint count`).

// shader returns the SPIR-V of the embedded shaders/<name>.spv.
func shader(t testing.TB, name string) []byte {
	t.Helper()
	code, err := fs.ReadFile(shaders.FS, name+".spv")
	require.NoError(t, err)
	return code
}

// kernel is d.Kernel of the embedded shader name.
func kernel(t testing.TB, d *vulkan.Device, name string, wg int) *vulkan.Kernel {
	t.Helper()
	k, err := d.Kernel(name, shader(t, name), wg)
	require.NoError(t, err)
	return k
}

// count is the push-constant block `uint n` of relu_forward and `uint count` of
// advance_step.
type count struct{ N uint32 }

func TestMain(m *testing.M) { gputest.Main(m) }

func testDevice(t testing.TB) *vulkan.Device { return gputest.Device(t) }

func TestOpenLoaderMissingLibrary(t *testing.T) {
	_, err := vulkan.OpenLoader([]string{"libvkcnn-no-such-loader.so.1"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "vulkan: no Vulkan loader found (libvkcnn-no-such-loader.so.1): ")
	assert.Contains(t, err.Error(), "cannot open shared object file", "the dlerror text is kept")
}

func TestChooseDevice(t *testing.T) {
	devs := []vulkan.DeviceInfo{
		{Index: 0, Name: "llvmpipe", Type: "cpu"},
		{Index: 1, Name: "iGPU", Type: "integrated"},
		{Index: 2, Name: "dGPU", Type: "discrete"},
	}
	i, err := vulkan.Choose(devs, vulkan.Options{Index: vulkan.Auto})
	require.NoError(t, err)
	assert.Equal(t, 2, i, "discrete first")
	i, err = vulkan.Choose(devs[:2], vulkan.Options{Index: vulkan.Auto})
	require.NoError(t, err)
	assert.Equal(t, 1, i, "then integrated")
	i, err = vulkan.Choose(devs, vulkan.Options{Index: 0})
	require.NoError(t, err)
	assert.Equal(t, 0, i, "an explicit index picks even a CPU device")

	_, err = vulkan.Choose(devs[:1], vulkan.Options{Index: vulkan.Auto})
	require.Error(t, err, "a CPU device only with AllowCPU")
	assert.Contains(t, err.Error(), "only a CPU implementation of Vulkan")
	assert.Contains(t, err.Error(), "0: llvmpipe (cpu")
	i, err = vulkan.Choose(devs[:1], vulkan.Options{Index: vulkan.Auto, AllowCPU: true})
	require.NoError(t, err)
	assert.Equal(t, 0, i)

	_, err = vulkan.Choose(devs, vulkan.Options{Index: 3})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "device index 3 out of range")
	assert.Contains(t, err.Error(), "2: dGPU (discrete")
	_, err = vulkan.Choose(nil, vulkan.Options{Index: vulkan.Auto, AllowCPU: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "devices: none")
	_, err = vulkan.Choose(devs, vulkan.Options{Index: -2})
	require.Error(t, err)
}

func TestOpenIndexOutOfRange(t *testing.T) {
	testDevice(t) // skips when there is no device at all
	devs, err := vulkan.Devices()
	require.NoError(t, err)
	require.NotEmpty(t, devs)
	_, err = vulkan.Open(vulkan.Options{Index: len(devs)})
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
		_, err := d.Kernel("bad_"+name, code, 64)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "vulkan: shader bad_"+name+".spv is corrupt", name)
	}
}

func TestWorkgroupSizeChecked(t *testing.T) {
	d := testDevice(t)
	_, err := d.Kernel("relu_forward", shader(t, "relu_forward"), int(d.Limits.MaxComputeWorkGroupInvocations)+1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "workgroup size")
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	d := testDevice(t)
	// Larger than the staging buffer, so the transfer goes in chunks.
	n := vulkan.StagingMax/4 + 12345
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i) * 0.5
	}
	b, err := d.NewBuffer(4*n, vulkan.DeviceLocal)
	require.NoError(t, err)
	defer b.Destroy()
	require.NoError(t, vulkan.Upload(b, 0, src))
	back := make([]float32, n)
	require.NoError(t, vulkan.Download(back, b, 0))
	assert.Equal(t, src, back)
	part := make([]float32, 10)
	require.NoError(t, vulkan.Download(part, b, n-10))
	assert.Equal(t, src[n-10:], part, "download at an element offset")

	h, err := d.NewBuffer(64, vulkan.HostVisible)
	require.NoError(t, err)
	defer h.Destroy()
	require.NoError(t, vulkan.Upload(h, 2, []uint32{7, 8}))
	assert.Equal(t, []uint32{7, 8}, h.Uint32s()[2:4], "host-visible memory is mapped")
	h.Floats()[0] = 1.5
	got := make([]float32, 1)
	require.NoError(t, vulkan.Download(got, h, 0))
	assert.Equal(t, float32(1.5), got[0])
}

func TestOutOfDeviceMemory(t *testing.T) {
	testDevice(t) // skip without a device
	// Without validation: the layer rightly reports an allocation larger than the heap.
	d := gputest.Open(t, vulkan.Options{Index: vulkan.Auto, AllowCPU: true})
	defer d.Close()
	const huge = 1 << 46 // 64 TiB
	_, err := d.NewBuffer(huge, vulkan.DeviceLocal)
	require.Error(t, err)
	assert.ErrorIs(t, err, vulkan.ErrOutOfDeviceMemory)
	assert.Contains(t, err.Error(), "70368744177664 bytes")
}

// A command buffer recorded once and submitted many times: advance_step adds its count to
// Control.Step on the device at every submission.
func TestReplayRecordedCommands(t *testing.T) {
	d := testDevice(t)
	ctrl, err := d.NewBuffer(16, vulkan.HostVisible)
	require.NoError(t, err)
	defer ctrl.Destroy()
	clear(ctrl.Uint32s()) // new memory holds whatever was there before
	k := kernel(t, d, "advance_step", 64)
	b, err := k.Bind(ctrl.All())
	require.NoError(t, err)
	defer b.Free()
	c, err := d.NewCommands(true)
	require.NoError(t, err)
	defer c.Destroy()
	require.NoError(t, c.Begin())
	p := count{5}
	c.DispatchGroups(b, vulkan.Bytes(&p), 1)
	c.Barrier()
	c.DispatchGroups(b, vulkan.Bytes(&p), 1)
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
	buf, err := d.NewBuffer(4*4096, vulkan.DeviceLocal)
	require.NoError(t, err)
	defer buf.Destroy()
	k := kernel(t, d, "relu_forward", 64)
	b, err := k.Bind(buf.All(), buf.All())
	require.NoError(t, err)
	defer b.Free()
	p := count{4096}
	require.NoError(t, d.OneShot(func(c *vulkan.Commands) {
		c.ResetTimestamps(q)
		c.Timestamp(q, 0)
		c.Dispatch(b, vulkan.Bytes(&p), 4096)
		c.Timestamp(q, 1)
		c.Barrier()
		c.Dispatch(b, vulkan.Bytes(&p), 4096)
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
	d := gputest.Open(t, gputest.Options())
	mk := func(size int, k vulkan.MemoryKind) *vulkan.Buffer {
		b, err := d.NewBuffer(size, k)
		require.NoError(t, err)
		return b
	}
	a, h := mk(1024, vulkan.DeviceLocal), mk(1024, vulkan.HostVisible)
	require.NoError(t, vulkan.Upload(a, 0, make([]float32, 256))) // makes the staging buffer
	k := kernel(t, d, "relu_forward", 64)
	_, err := k.Bind(a.All(), h.All())
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
	d := gputest.Open(t, gputest.Options())
	info := vk.BufferCreateInfo{
		SType:       vk.StructureTypeBufferCreateInfo,
		Size:        64,
		Usage:       vk.BufferUsageFlags(vk.BufferUsageStorageBufferBit),
		SharingMode: vk.SharingModeExclusive,
	}
	var leaked vk.Buffer
	require.Equal(t, vk.Success, vk.CreateBuffer(d.Raw(), &info, nil, &leaked))
	require.NoError(t, d.Close())
	msgs := strings.Join(d.ValidationMessages(), "\n")
	assert.Contains(t, msgs, "VkBuffer")
	assert.Contains(t, msgs, "has not been destroyed")
}

// Only ErrNoDevice skips a GPU test (gputest.Verdict), and not under VKCNN_REQUIRE_GPU=1:
// an error that merely reads like one ("no ...") fails it. Each way of having no device is
// ErrNoDevice; the faults are not.
func TestOnlyNoDeviceSkips(t *testing.T) {
	_, noLoader := vulkan.OpenLoader([]string{"libvkcnn-no-such-loader.so.1"})
	_, noDevices := vulkan.Choose(nil, vulkan.Options{Index: vulkan.Auto, AllowCPU: true})
	cpuOnly := []vulkan.DeviceInfo{{Index: 0, Name: "llvmpipe", Type: "cpu"}}
	_, cpuNotAllowed := vulkan.Choose(cpuOnly, vulkan.Options{Index: vulkan.Auto})
	_, outOfRange := vulkan.Choose(cpuOnly, vulkan.Options{Index: 1})
	for _, c := range []struct {
		name          string
		err           error
		want, require string // gputest.Verdict without and with VKCNN_REQUIRE_GPU=1
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
		assert.Equal(t, c.want, gputest.Verdict(c.err, false), c.name)
		assert.Equal(t, c.require, gputest.Verdict(c.err, true), "%s, VKCNN_REQUIRE_GPU=1", c.name)
	}
}

// A loader that finds no driver is ErrNoDevice (as is no loader at all).
func TestNoDriverIsNoDevice(t *testing.T) {
	t.Setenv("VK_DRIVER_FILES", t.TempDir()+"/no_such_icd.json")
	_, err := vulkan.Open(vulkan.Options{Index: vulkan.Auto, AllowCPU: true})
	require.Error(t, err)
	assert.ErrorIs(t, err, vulkan.ErrNoDevice)
	t.Log(err)
}
