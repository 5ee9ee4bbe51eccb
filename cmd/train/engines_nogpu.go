//go:build !cgo

package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/vkcnn/vkcnn/engine"
)

// errNoVulkan is every GPU request of a binary built with CGO_ENABLED=0: the Vulkan
// binding (github.com/vulkan-go/vulkan) is cgo, so such a binary has the CPU engine only.
var errNoVulkan = errors.New("this binary was built without Vulkan (CGO_ENABLED=0)")

func openGPU(engine.Config, int, bool) (engine.Engine, error) { return nil, errNoVulkan }

// printProfile: -profile needs the GPU engine's timestamps.
func printProfile(engine.Engine, int, io.Writer) error {
	return fmt.Errorf("-profile: %w", errNoVulkan)
}
