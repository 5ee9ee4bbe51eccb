package vulkan_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vk "github.com/vulkan-go/vulkan"

	"github.com/vkcnn/vkcnn/internal/gputest"
	"github.com/vkcnn/vkcnn/vulkan"
)

// The layer must really be on: an invalid call is reported.
func TestValidationReportsInvalidUsage(t *testing.T) {
	d := gputest.Open(t, gputest.Options())
	defer d.Close()
	info := vk.BufferCreateInfo{
		SType:       vk.StructureTypeBufferCreateInfo,
		Size:        0, // VUID-VkBufferCreateInfo-size-00912: size must be greater than 0
		Usage:       vk.BufferUsageFlags(vk.BufferUsageStorageBufferBit),
		SharingMode: vk.SharingModeExclusive,
	}
	var buf vk.Buffer
	if vk.CreateBuffer(d.Raw(), &info, nil, &buf) == vk.Success {
		vk.DestroyBuffer(d.Raw(), buf, nil)
	}
	msgs := d.ValidationMessages()
	require.NotEmpty(t, msgs)
	assert.Contains(t, strings.Join(msgs, "\n"), "00912")
	assert.Empty(t, d.ValidationMessages(), "ValidationMessages clears the log")
}

// Synchronization validation must be on: a dispatch reading what the one before it wrote,
// with no barrier between them, is a read-after-write hazard.
func TestValidationReportsMissingBarrier(t *testing.T) {
	d := gputest.Open(t, gputest.Options())
	defer d.Close()
	k := kernel(t, d, "relu_forward", 64)
	out, err := d.NewBuffer(256*4, vulkan.DeviceLocal)
	require.NoError(t, err)
	in, err := d.NewBuffer(256*4, vulkan.DeviceLocal)
	require.NoError(t, err)
	fwd, err := k.Bind(out.All(), in.All())
	require.NoError(t, err)
	back, err := k.Bind(in.All(), out.All())
	require.NoError(t, err)
	p := count{256}
	record := func(barrier bool) {
		err := d.OneShot(func(c *vulkan.Commands) {
			c.Dispatch(fwd, vulkan.Bytes(&p), 256)
			if barrier {
				c.Barrier()
			}
			c.Dispatch(back, vulkan.Bytes(&p), 256)
		})
		require.NoError(t, err)
	}
	record(true)
	require.Empty(t, d.ValidationMessages(), "with a barrier")
	record(false)
	msgs := d.ValidationMessages()
	require.NotEmpty(t, msgs, "without a barrier")
	assert.Contains(t, strings.Join(msgs, "\n"), "SYNC-HAZARD-READ-AFTER-WRITE")
}
