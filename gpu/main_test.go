package gpu

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// The tests share one device, opened on first use with validation (synchronization
// validation included) on; a CPU device such as lavapipe is accepted. Every test that uses
// it fails if the validation layer reported anything during the test.
var (
	sharedOnce sync.Once
	sharedDev  *Device
	sharedErr  error
)

func testOptions() Options { return Options{Index: Auto, AllowCPU: true, Validation: true} }

// requireGPU reports whether a missing device must fail the tests (CI sets it).
func requireGPU() bool { return os.Getenv("VKCNN_REQUIRE_GPU") == "1" }

// openOrSkip opens a device with o, skipping (or failing, under VKCNN_REQUIRE_GPU=1) the
// test when there is none.
func openOrSkip(t testing.TB, o Options) *Device {
	t.Helper()
	d, err := Open(o)
	if err != nil {
		if requireGPU() {
			t.Fatalf("no Vulkan device (VKCNN_REQUIRE_GPU=1): %v", err)
		}
		t.Skipf("no Vulkan device: %v", err)
	}
	return d
}

// testDevice returns the shared validated device and fails t if validation reports
// anything while t runs.
func testDevice(t testing.TB) *Device {
	t.Helper()
	sharedOnce.Do(func() { sharedDev, sharedErr = Open(testOptions()) })
	if sharedErr != nil {
		if requireGPU() {
			t.Fatalf("no Vulkan device (VKCNN_REQUIRE_GPU=1): %v", sharedErr)
		}
		t.Skipf("no Vulkan device: %v", sharedErr)
	}
	d := sharedDev
	if m := d.ValidationMessages(); len(m) > 0 {
		t.Fatalf("validation messages before the test:\n%s", strings.Join(m, "\n"))
	}
	t.Cleanup(func() { checkValidation(t, d) })
	return d
}

func checkValidation(t testing.TB, d *Device) {
	t.Helper()
	if m := d.ValidationMessages(); len(m) > 0 {
		t.Errorf("validation layer reported %d messages:\n%s", len(m), strings.Join(m, "\n"))
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDev != nil {
		err := sharedDev.Close()
		msgs := sharedDev.ValidationMessages()
		if err != nil || len(msgs) > 0 {
			fmt.Fprintf(os.Stderr, "closing the shared device: %v\n%s\n", err, strings.Join(msgs, "\n"))
			code = 1
		}
	}
	os.Exit(code)
}
