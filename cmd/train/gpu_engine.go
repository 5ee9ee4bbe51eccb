package main

import (
	"vkcnn/engine"
	"vkcnn/gpu"
)

func init() {
	openGPU = func(cfg engine.Config, o gpuOptions) (engine.Engine, error) {
		e, err := gpu.NewEngine(cfg, gpu.EngineOptions{Device: gpu.Options{Index: o.Index, AllowCPU: o.AllowCPU}})
		if err != nil {
			return nil, err
		}
		return e, nil
	}
}
