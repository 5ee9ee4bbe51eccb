package vulkan

import vk "github.com/vulkan-go/vulkan"

// What the external tests (package vulkan_test, which can use internal/gputest) reach
// inside the package for.
var (
	OpenLoader = openLoader
	Choose     = choose
)

// StagingMax is the largest staging buffer; bigger transfers go in chunks.
const StagingMax = stagingMax

// Raw is the VkDevice, for tests that call Vulkan directly.
func (d *Device) Raw() vk.Device { return d.dev }
