package mnist

import (
	"os"
	"testing"
)

const realDir = "../data/mnist"

// realDataDir returns the real MNIST directory; without it the test is skipped, or fails when
// VKCNN_REQUIRE_DATA=1 (CI runs "make data" first and sets it).
func realDataDir(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat(realDir); err != nil {
		if os.Getenv("VKCNN_REQUIRE_DATA") == "1" {
			tb.Fatalf("VKCNN_REQUIRE_DATA=1 but %s is missing (%v): run \"make data\"", realDir, err)
		}
		tb.Skipf("%s is missing: run \"make data\" (VKCNN_REQUIRE_DATA=1 makes this a failure)", realDir)
	}
	return realDir
}
