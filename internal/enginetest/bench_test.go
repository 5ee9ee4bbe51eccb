// Package enginetest checks both engines against a PyTorch reference state and benchmarks
// whole training epochs of both on real MNIST.
package enginetest

import (
	"fmt"
	"os"
	"testing"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/gpu"
	"github.com/vkcnn/vkcnn/mnist"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
	"github.com/vkcnn/vkcnn/vulkan"
)

// BenchmarkTrain reports training samples/s of the default network, CPU and GPU side by
// side, at batch 1 and 64: `make bench`. Each iteration is one epoch over the first
// `samples` training images (set VKCNN_BENCH_SAMPLES to change it), timed by train.Run;
// evaluation is excluded from the metric. VKCNN_BENCH_ARCH names another network (a preset
// or a layer string), e.g. to profile a wide one:
//
//	VKCNN_BENCH_ARCH=lenet-16-32 go test -run '^$' -bench 'Train/cpu/batch=64' -cpuprofile cpu.out ./internal/enginetest
func BenchmarkTrain(b *testing.B) {
	tr, te, err := mnist.Load("../../data/mnist")
	if err != nil {
		b.Fatalf("%v (run make data)", err)
	}
	arch := model.DefaultPreset
	if s := os.Getenv("VKCNN_BENCH_ARCH"); s != "" {
		arch = s
	}
	a, err := model.Parse(arch)
	if err != nil {
		b.Fatal(err)
	}
	samples := 12800
	if s := os.Getenv("VKCNN_BENCH_SAMPLES"); s != "" {
		fmt.Sscan(s, &samples)
	}
	for _, name := range []string{"cpu", "gpu"} {
		for _, batch := range []int{1, 64} {
			n := samples
			if batch == 1 {
				n = samples / 4
			}
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				cfg := engine.Config{Arch: a, Batch: batch, Momentum: 0.9, Seed: 1, Train: (*engine.Dataset)(tr.Head(n)), Test: (*engine.Dataset)(te.Head(1000))}
				var e engine.Engine
				if name == "cpu" {
					e, err = cpu.New(cfg)
				} else {
					e, err = gpu.NewEngine(cfg, gpu.EngineOptions{Device: vulkan.Options{Index: vulkan.Auto, AllowCPU: true}})
				}
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				if err := e.SetParams(a.InitParams(1)); err != nil {
					b.Fatal(err)
				}
				secs := 0.0
				b.ResetTimer()
				for range b.N {
					stats, _, err := train.Run(e, train.Options{Epochs: 1, LR0: 0.01, LR1: 0.001, Seed: 1, Shuffle: true}, nil)
					if err != nil {
						b.Fatal(err)
					}
					secs += stats[0].Seconds
				}
				b.ReportMetric(float64(n*b.N)/secs, "samples/s")
				b.ReportMetric(secs/float64(b.N)*60000/float64(n), "s/epoch60k")
				b.ReportMetric(0, "ns/op")
				b.Log(e.Device())
			})
		}
	}
}
