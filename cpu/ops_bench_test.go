package cpu_test

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// The benchmarks run the default network's (lenet-6-12) layers on one sample and, for the
// convolutions (lenet-16-32's too), also on the 8 samples (chunkSize) that the CPU engine
// hands an op at a time. The convolutions and BenchmarkStep run
// on every kernel path this machine runs (AVX-512, AVX2+FMA: GOEXPERIMENT=simd; scalar),
// named …/avx512, …/avx2, …/scalar.

func defaultArch(b *testing.B) *model.Arch {
	a, err := model.Parse(model.DefaultPreset)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// convLayers returns the convolutions of the default network (lenet-6-12) and of the widest
// preset (lenet-16-32) for a batch of 1 and of 8, named conv1, conv2, conv1/N=8, …,
// 16-32/conv1, ….
func convLayers(b *testing.B) (names []string, shapes []model.ConvShape) {
	for _, arch := range []string{model.DefaultPreset, "lenet-16-32"} {
		a, err := model.Parse(arch)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{1, 8} {
			for i := range a.Layers {
				if l := &a.Layers[i]; l.Kind == model.Conv {
					name := l.Name
					if n > 1 {
						name = fmt.Sprintf("%s/N=%d", l.Name, n)
					}
					if arch != model.DefaultPreset {
						name = "16-32/" + name
					}
					names = append(names, name)
					shapes = append(shapes, l.ConvShape(n))
				}
			}
		}
	}
	return names, shapes
}

func randSlice(src *rng.Source, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*src.Float32() - 1
	}
	return x
}

func BenchmarkConv2DForward(b *testing.B) {
	names, shapes := convLayers(b)
	for k, s := range shapes {
		benchPaths(b, names[k], func(b *testing.B) {
			src := rng.New(1)
			in, w, bias := randSlice(src, s.InLen()), randSlice(src, s.WeightLen()), randSlice(src, s.OC)
			out := make([]float32, s.OutLen())
			b.ReportAllocs()
			clk := startCPU()
			for b.Loop() {
				cpu.Conv2DForward(out, in, w, bias, s)
			}
			reportMACs(b, s)
			clk.report(b, float64(s.OutLen()*s.C*s.KH*s.KW)/1e9, "MAC/cpu-ns")
		})
	}
}

func BenchmarkConv2DBackwardData(b *testing.B) {
	names, shapes := convLayers(b)
	for k, s := range shapes {
		benchPaths(b, names[k], func(b *testing.B) {
			src := rng.New(1)
			dOut, w := randSlice(src, s.OutLen()), randSlice(src, s.WeightLen())
			dIn := make([]float32, s.InLen())
			b.ReportAllocs()
			clk := startCPU()
			for b.Loop() {
				cpu.Conv2DBackwardData(dIn, dOut, w, s)
			}
			reportMACs(b, s)
			clk.report(b, float64(s.OutLen()*s.C*s.KH*s.KW)/1e9, "MAC/cpu-ns")
		})
	}
}

func BenchmarkConv2DBackwardFilter(b *testing.B) {
	names, shapes := convLayers(b)
	for k, s := range shapes {
		benchPaths(b, names[k], func(b *testing.B) {
			src := rng.New(1)
			dOut, in := randSlice(src, s.OutLen()), randSlice(src, s.InLen())
			dW, dB := make([]float32, s.WeightLen()), make([]float32, s.OC)
			b.ReportAllocs()
			clk := startCPU()
			for b.Loop() {
				cpu.Conv2DBackwardFilter(dW, dB, dOut, in, s)
			}
			reportMACs(b, s)
			clk.report(b, float64(s.OutLen()*s.C*s.KH*s.KW)/1e9, "MAC/cpu-ns")
		})
	}
}

// benchPaths runs f as the benchmark name/path for every kernel path this machine runs.
func benchPaths(b *testing.B, name string, f func(b *testing.B)) {
	for _, p := range kernelPaths() {
		if p.can {
			b.Run(name+"/"+p.name, func(b *testing.B) {
				defer p.use()()
				f(b)
			})
		}
	}
}

// reportMACs reports the multiply-adds per nanosecond of one conv op of shape s.
func reportMACs(b *testing.B, s model.ConvShape) {
	macs := float64(s.OutLen() * s.C * s.KH * s.KW)
	b.ReportMetric(macs*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "MAC/ns")
}

// cpuTime is the CPU time (user and system) this process has used so far, all threads.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// cpuClock measures the CPU time of a benchmark's loop: on a machine shared with other
// work the wall-clock ns/op grows with the time the process waits for a core, the CPU
// time does not (it still grows with contention for caches and a shared core).
type cpuClock struct{ t0 time.Duration }

// startCPU starts a cpuClock.
func startCPU() cpuClock { return cpuClock{cpuTime()} }

// report adds "cpu-ns/op" (CPU time of all threads per iteration) and, for perItem > 0,
// "items/cpu-s" under the name unit: items per second of one core's time.
func (c cpuClock) report(b *testing.B, perItem float64, unit string) {
	d := float64(cpuTime() - c.t0)
	b.ReportMetric(d/float64(b.N), "cpu-ns/op")
	if perItem > 0 && d > 0 {
		b.ReportMetric(perItem*float64(b.N)/(d/1e9), unit)
	}
}

// BenchmarkSample trains the default network on one sample: every forward and backward op
// (the first convolution's input gradient is not needed and not computed) and the SGD
// update, as the CPU engine does per sample.
func BenchmarkSample(b *testing.B) {
	a := defaultArch(b)
	l := a.Layers // conv relu pool conv relu pool dense
	c1, p1, c2, p2, fc := l[0].ConvShape(1), l[2].PoolShape(1), l[3].ConvShape(1), l[5].PoolShape(1), l[6].DenseShape(1)
	p := a.InitParams(1)
	w1, b1 := p.Layer(0)
	w2, b2 := p.Layer(1)
	w3, b3 := p.Layer(2)
	src := rng.New(2)
	x := make([]float32, c1.InLen())
	for i := range x {
		x[i] = src.Float32()
	}
	f := func(n int) []float32 { return make([]float32, n) }
	a1, r1, q1 := f(c1.OutLen()), f(c1.OutLen()), f(p1.OutLen())
	a2, r2, q2 := f(c2.OutLen()), f(c2.OutLen()), f(p2.OutLen())
	z, loss, dz := f(fc.N*fc.Out), f(1), f(fc.N*fc.Out)
	arg1, arg2, correct := make([]int32, p1.OutLen()), make([]int32, p2.OutLen()), make([]int32, 1)
	dq2, dr2, da2, dq1, dr1, da1 := f(p2.OutLen()), f(c2.OutLen()), f(c2.OutLen()), f(p1.OutLen()), f(c1.OutLen()), f(c1.OutLen())
	gw1, gb1, gw2, gb2, gw3, gb3 := f(len(w1)), f(len(b1)), f(len(w2)), f(len(b2)), f(len(w3)), f(len(b3))
	b.ReportAllocs()
	for b.Loop() {
		cpu.Conv2DForward(a1, x, w1, b1, c1)
		cpu.ReLUForward(r1, a1)
		cpu.MaxPoolForward(q1, arg1, r1, p1)
		cpu.Conv2DForward(a2, q1, w2, b2, c2)
		cpu.ReLUForward(r2, a2)
		cpu.MaxPoolForward(q2, arg2, r2, p2)
		cpu.DenseForward(z, q2, w3, b3, fc)
		cpu.SoftmaxCrossEntropy(loss, dz, correct, z, []int32{3}, 1, 10, 1)
		cpu.DenseBackwardWeights(gw3, gb3, dz, q2, fc)
		cpu.DenseBackwardData(dq2, dz, w3, fc)
		cpu.MaxPoolBackward(dr2, dq2, arg2, p2)
		cpu.ReLUBackward(da2, dr2, r2)
		cpu.Conv2DBackwardFilter(gw2, gb2, da2, q1, c2)
		cpu.Conv2DBackwardData(dq1, da2, w2, c2)
		cpu.MaxPoolBackward(dr1, dq1, arg1, p1)
		cpu.ReLUBackward(da1, dr1, r1)
		cpu.Conv2DBackwardFilter(gw1, gb1, da1, x, c1)
		cpu.SGDUpdate(w1, nil, gw1, 1e-6, 0)
		cpu.SGDUpdate(b1, nil, gb1, 1e-6, 0)
		cpu.SGDUpdate(w2, nil, gw2, 1e-6, 0)
		cpu.SGDUpdate(b2, nil, gb2, 1e-6, 0)
		cpu.SGDUpdate(w3, nil, gw3, 1e-6, 0)
		cpu.SGDUpdate(b3, nil, gb3, 1e-6, 0)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkStep trains every preset for one step of 64 random samples at a time (the
// engine, chunks in parallel on GOMAXPROCS goroutines, and the update) on every kernel
// path this machine runs, reporting samples/s and samples/cpu-s (per second of one core's
// CPU time: the speed on an idle core, when other work shares the machine): the
// whole-network cost of each op mix, e.g. for a profile of one wide preset,
//
//	go test -run '^$' -bench 'Step/lenet-16-32/avx512' -cpuprofile cpu.out ./cpu
func BenchmarkStep(b *testing.B) {
	names := make([]string, 0, len(model.Presets))
	for name := range model.Presets {
		names = append(names, name)
	}
	slices.Sort(names)
	const batch = 64
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			a, err := model.Parse(name)
			if err != nil {
				b.Fatal(err)
			}
			cfg := engine.Config{Arch: a, Batch: batch, Momentum: 0.9, Seed: 1,
				Train: randomSet(batch, a.Input, 1), Test: randomSet(1, a.Input, 2)}
			e, err := cpu.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			ep := engine.Epoch{Order: make([]int32, batch), LR: []float32{1e-4}}
			for i := range ep.Order {
				ep.Order[i] = int32(i)
			}
			for _, p := range kernelPaths() {
				if !p.can {
					continue
				}
				b.Run(p.name, func(b *testing.B) {
					defer p.use()()
					clk := startCPU()
					for b.Loop() {
						if _, err := e.TrainEpoch(ep, nil); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
					clk.report(b, batch, "samples/cpu-s")
				})
			}
		})
	}
}
