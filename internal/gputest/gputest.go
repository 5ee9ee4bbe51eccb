// Package gputest is what every test that needs a Vulkan device shares: when a missing
// device skips a test and when it fails it, the validated device the tests of one package
// share, and the check that the validation layer reported nothing.
//
// A test skips only when opening the device failed with vulkan.ErrNoDevice (no loader, no
// driver, no physical device, or only device types it does not allow), and never under
// VKCNN_REQUIRE_GPU=1 (set by make test, so that CI fails instead of skipping); every other
// error fails it.
package gputest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/vkcnn/vkcnn/vulkan"
)

// Required reports whether a missing device must fail the tests (VKCNN_REQUIRE_GPU=1).
func Required() bool { return os.Getenv("VKCNN_REQUIRE_GPU") == "1" }

// Verdict is what a test does with err from opening a device or an engine: "" (go on)
// when err is nil; "skip" when err is vulkan.ErrNoDevice and require is not set; "fail"
// for every other error, and for ErrNoDevice under require.
func Verdict(err error, require bool) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, vulkan.ErrNoDevice) && !require:
		return "skip"
	}
	return "fail"
}

// Need ends t unless err is nil: a skip when the machine has no Vulkan device (see
// Verdict, with Required()), a failure otherwise.
func Need(t testing.TB, err error) {
	t.Helper()
	switch Verdict(err, Required()) {
	case "skip":
		t.Skipf("no Vulkan device: %v", err)
	case "fail":
		if errors.Is(err, vulkan.ErrNoDevice) {
			t.Fatalf("no Vulkan device (VKCNN_REQUIRE_GPU=1): %v", err)
		}
		t.Fatal(err)
	}
}

// Options opens any device, a CPU implementation such as lavapipe included, with the
// validation layer and synchronization validation on.
func Options() vulkan.Options {
	return vulkan.Options{Index: vulkan.Auto, AllowCPU: true, Validation: true}
}

// Open opens a device with o, ending t as Need does when that fails. The caller closes it.
func Open(t testing.TB, o vulkan.Options) *vulkan.Device {
	t.Helper()
	d, err := vulkan.Open(o)
	Need(t, err)
	return d
}

// The tests of a package share one device, opened with Options() on first use and closed
// by Main.
var (
	sharedOnce sync.Once
	sharedDev  *vulkan.Device
	sharedErr  error
)

// Device returns the package's shared validated device (see Need for when there is none)
// and fails t if the validation layer reports anything while t runs.
func Device(t testing.TB) *vulkan.Device {
	t.Helper()
	sharedOnce.Do(func() { sharedDev, sharedErr = vulkan.Open(Options()) })
	Need(t, sharedErr)
	d := sharedDev
	if m := d.ValidationMessages(); len(m) > 0 {
		t.Fatalf("validation messages before the test:\n%s", strings.Join(m, "\n"))
	}
	t.Cleanup(func() { CheckValidation(t, d) })
	return d
}

// CheckValidation fails t if the validation layer reported anything on d since the last
// check.
func CheckValidation(t testing.TB, d *vulkan.Device) {
	t.Helper()
	if m := d.ValidationMessages(); len(m) > 0 {
		t.Errorf("validation layer reported %d messages:\n%s", len(m), strings.Join(m, "\n"))
	}
}

// Main runs the tests (call it from TestMain) and then closes the shared device, failing
// the run if closing it fails or the validation layer reports anything (an object left
// alive, for one).
func Main(m *testing.M) {
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
