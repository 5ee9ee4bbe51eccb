//go:build cgo

package main

import (
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/gpu"
	"github.com/vkcnn/vkcnn/vulkan"
)

func openGPU(cfg engine.Config, index int, allowCPU bool) (engine.Engine, error) {
	e, err := gpu.NewEngine(cfg, gpu.EngineOptions{Device: vulkan.Options{Index: index, AllowCPU: allowCPU}})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return e, nil
}
