package main

import (
	"fmt"
	"io"
	"os"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
)

// openGPU (engines_gpu.go, or engines_nogpu.go in a build without cgo) builds the Vulkan
// engine on device index (vulkan.Auto: the best one), accepting a CPU implementation of
// Vulkan (lavapipe) only when allowCPU.

// shaderDirEnv names the environment variable of the GPU engine's replacement shaders
// (gpu.ShaderDirEnv; spelled out here for the build without cgo, which has no package gpu).
const shaderDirEnv = "VKCNN_SHADER_DIR"

// openEngine picks the engine for -device: gpu must work; auto tries the GPU (not a CPU-type
// Vulkan device) and falls back to the CPU with one line saying why, except with -profile
// or VKCNN_SHADER_DIR, which need the GPU.
func (c *config) openEngine(cfg engine.Config, stderr io.Writer) (engine.Engine, error) {
	switch c.device {
	case "cpu":
		if dir := os.Getenv(shaderDirEnv); dir != "" {
			// Not an error (the variable may be left exported from a GPU session), but
			// the user must not believe the run tested their shaders.
			fmt.Fprintf(stderr, "train: %s=%s is ignored: -device cpu runs no shaders\n", shaderDirEnv, dir)
		}
		return cpu.New(cfg)
	case "gpu":
		e, err := openGPU(cfg, c.gpu, true)
		if err != nil {
			return nil, fmt.Errorf("-device gpu: %w", err)
		}
		return e, nil
	}
	e, err := openGPU(cfg, c.gpu, false)
	if err == nil {
		return e, nil
	}
	if dir := os.Getenv(shaderDirEnv); dir != "" {
		// The user asked for their own shaders: training on the CPU would ignore them.
		return nil, fmt.Errorf("-device auto with %s=%s: there is no usable GPU (%v) to run those shaders on; -device gpu also takes a CPU Vulkan device", shaderDirEnv, dir, err)
	}
	if c.profile { // GPU timestamps only: say so now rather than after the CPU engine is built
		return nil, fmt.Errorf("-profile: needs the GPU engine, and there is no usable GPU (%v); -device gpu also takes a CPU Vulkan device", err)
	}
	fmt.Fprintf(stderr, "train: no usable GPU (%v); training on the CPU\n", err)
	return cpu.New(cfg)
}
