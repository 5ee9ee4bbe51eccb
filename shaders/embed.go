// Package shaders holds the SPIR-V of every compute shader, compiled from the GLSL beside
// it (*.comp → *.spv by `make shaders`, see shaders.mk) and embedded in the binary.
package shaders

import "embed"

// FS holds every compiled shader as <name>.spv.
//
//go:embed *.spv
var FS embed.FS
