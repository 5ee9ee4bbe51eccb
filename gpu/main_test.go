package gpu

import (
	"testing"

	"github.com/vkcnn/vkcnn/internal/gputest"
	"github.com/vkcnn/vkcnn/vulkan"
)

// The tests share one device, opened on first use with validation (synchronization
// validation included) on; a CPU device such as lavapipe is accepted. Every test that uses
// it fails if the validation layer reported anything during the test. Without a device the
// tests skip, unless VKCNN_REQUIRE_GPU=1 (see internal/gputest).
func testDevice(t testing.TB) *vulkan.Device { return gputest.Device(t) }

func testOptions() vulkan.Options { return gputest.Options() }

func needDevice(t testing.TB, err error) {
	t.Helper()
	gputest.Need(t, err)
}

func TestMain(m *testing.M) { gputest.Main(m) }
