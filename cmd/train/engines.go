package main

import (
	"fmt"
	"io"

	"vkcnn/cpu"
	"vkcnn/engine"
)

// gpuOptions are what the command passes to the GPU engine.
type gpuOptions struct {
	Index    int  // -1: the best device
	AllowCPU bool // accept a CPU-type Vulkan device (lavapipe)
	Profile  bool
}

// openGPU builds the Vulkan engine; set by gpu_engine.go.
var openGPU = func(cfg engine.Config, o gpuOptions) (engine.Engine, error) {
	return nil, fmt.Errorf("the gpu engine is not built into this binary")
}

// openEngine picks the engine for -device: gpu must work; auto tries the GPU (not a CPU-type
// Vulkan device) and falls back to the CPU with one line saying why.
func (c *config) openEngine(cfg engine.Config, stderr io.Writer) (engine.Engine, error) {
	switch c.device {
	case "cpu":
		return cpu.New(cfg)
	case "gpu":
		e, err := openGPU(cfg, gpuOptions{Index: c.gpu, AllowCPU: true, Profile: c.profile})
		if err != nil {
			return nil, fmt.Errorf("-device gpu: %w", err)
		}
		return e, nil
	}
	e, err := openGPU(cfg, gpuOptions{Index: c.gpu, AllowCPU: false, Profile: c.profile})
	if err == nil {
		return e, nil
	}
	fmt.Fprintf(stderr, "train: no usable GPU (%v); training on the CPU\n", err)
	return cpu.New(cfg)
}
