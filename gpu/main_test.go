package gpu

import (
	"errors"
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

// deviceVerdict is what a test does with err from opening a device or an engine: "" (go
// on) when err is nil; "skip" when err is ErrNoDevice and require (VKCNN_REQUIRE_GPU=1) is
// not set; "fail" for every other error, and for ErrNoDevice under require.
func deviceVerdict(err error, require bool) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoDevice) && !require:
		return "skip"
	}
	return "fail"
}

// needDevice ends t unless err is nil: a skip when the machine has no Vulkan device (see
// deviceVerdict), a failure otherwise.
func needDevice(t testing.TB, err error) {
	t.Helper()
	switch deviceVerdict(err, requireGPU()) {
	case "skip":
		t.Skipf("no Vulkan device: %v", err)
	case "fail":
		if errors.Is(err, ErrNoDevice) {
			t.Fatalf("no Vulkan device (VKCNN_REQUIRE_GPU=1): %v", err)
		}
		t.Fatal(err)
	}
}

// openOrSkip opens a device with o, skipping the test when there is none (see needDevice).
func openOrSkip(t testing.TB, o Options) *Device {
	t.Helper()
	d, err := Open(o)
	needDevice(t, err)
	return d
}

// testDevice returns the shared validated device and fails t if validation reports
// anything while t runs.
func testDevice(t testing.TB) *Device {
	t.Helper()
	sharedOnce.Do(func() { sharedDev, sharedErr = Open(testOptions()) })
	needDevice(t, sharedErr)
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
