package gpu

import (
	"math"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// randomDigits is n random images with pixels k/255 (as MNIST's) and random labels.
func randomDigits(n int, seed uint64) *engine.Dataset {
	src := rng.New(seed)
	d := &engine.Dataset{Images: make([]float32, n*28*28), Labels: make([]uint8, n), N: n, H: 28, W: 28}
	for i := range d.Images {
		d.Images[i] = float32(src.Intn(256)) / 255
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(src.Intn(10))
	}
	return d
}

// newTestEngine builds a GPU engine on the validated test device options and fails the
// test on any validation message during its life.
func newTestEngine(t *testing.T, cfg engine.Config) *Engine {
	t.Helper()
	return newTestEngineWG(t, cfg, 0)
}

// newTestEngineWG is newTestEngine with every shader at workgroup size wg (0: default).
func newTestEngineWG(t *testing.T, cfg engine.Config, wg int) *Engine {
	t.Helper()
	e, err := NewEngine(cfg, EngineOptions{Device: testOptions(), EvalBatch: 100, WG: wg})
	needDevice(t, err)
	t.Cleanup(func() {
		d := e.Vulkan()
		msgs := d.ValidationMessages()
		require.NoError(t, e.Close())
		msgs = append(msgs, d.ValidationMessages()...)
		assert.Empty(t, msgs, "validation messages")
	})
	return e
}

// runBoth trains the same network from the same weights in the same order on both engines
// and returns their results.
func runBoth(t *testing.T, arch string, batch, samples, epochs int, momentum float32) (cp, gp *model.Params, cs, gs []train.EpochStats) {
	return runBothWG(t, arch, batch, samples, epochs, momentum, 0)
}

func runBothWG(t *testing.T, arch string, batch, samples, epochs int, momentum float32, wg int) (cp, gp *model.Params, cs, gs []train.EpochStats) {
	a, err := model.Parse(arch)
	require.NoError(t, err)
	data := randomDigits(samples, 1)
	test := randomDigits(150, 2)
	cfg := engine.Config{Arch: a, Batch: batch, Momentum: momentum, Seed: 7, Train: data, Test: test}
	opts := train.Options{Epochs: epochs, LR0: 0.05, LR1: 0.01, Seed: 3, Shuffle: true}
	ce, err := cpu.New(cfg)
	require.NoError(t, err)
	ge := newTestEngineWG(t, cfg, wg)
	init := a.InitParams(11)
	require.NoError(t, ce.SetParams(init))
	require.NoError(t, ge.SetParams(init))
	cs, _, err = train.Run(ce, opts, nil)
	require.NoError(t, err)
	gs, _, err = train.Run(ge, opts, nil)
	require.NoError(t, err)
	cp, err = ce.Params()
	require.NoError(t, err)
	gp, err = ge.Params()
	require.NoError(t, err)
	return cp, gp, cs, gs
}

// TestEngineMatchesCPU: 20 steps (batch 9, two epochs, a smaller last batch each epoch)
// from the same init in the same order. Both engines round differently (summation order),
// so weights drift apart by float32 rounding amplified over the steps: tolerance
// |gpu − cpu| ≤ 1e-4 + 1e-3·|cpu| per weight, and the loss curves within 1e-4 relative.
// Dropout masks must be identical for that to hold. Every preset and layer strings with
// the other layer kinds and every fusion (see fusedAct), each producer applying ReLU' and
// sigmoid' (avgpool, maxpool, minpool, dropout, conv and dense backward data), a conv that both
// applies one and fuses one, and the activations that run unfused: one before another
// activation and one that ends the network.
func TestEngineMatchesCPU(t *testing.T) {
	archs := []string{
		"conv3x3x4:same,sigmoid,avgpool2,conv3x5x5:full,relu,maxpool3,dense16,relu,dense10",
		"conv3x3x3,relu,conv3x3x4:same,sigmoid,maxpool2,dense12,sigmoid,relu,dense10,sigmoid",
		"conv3x3x4,relu,dropout0.3,conv3x3x3,sigmoid,dropout0.5,dense12,sigmoid,dense10",
		"conv5x5x4,relu,minpool2,conv3x3x6,sigmoid,minpool3,dense10",
	}
	for name := range model.Presets {
		archs = append(archs, name)
	}
	sort.Strings(archs)
	for _, arch := range archs {
		t.Run(arch, func(t *testing.T) {
			cp, gp, cs, gs := runBoth(t, arch, 9, 85, 2, 0.9)
			for i := range cp.Tensors {
				c, g := cp.Tensors[i].Data, gp.Tensors[i].Data
				worst, at := 0.0, -1
				for j := range c {
					d := math.Abs(float64(g[j]-c[j])) - (1e-4 + 1e-3*math.Abs(float64(c[j])))
					if d > worst {
						worst, at = d, j
					}
				}
				if at >= 0 {
					t.Errorf("%s[%d]: gpu %g, cpu %g (over tolerance by %g)", cp.Tensors[i].Name, at, g[at], c[at], worst)
				}
			}
			require.Len(t, gs, 2)
			for i := range cs {
				assert.InEpsilon(t, cs[i].TrainLoss, gs[i].TrainLoss, 1e-4, "epoch %d train loss", i+1)
				// Random digits and labels leave near-ties in the logits; a GPU whose exp/log
				// are not correctly rounded may flip a couple (lavapipe flips none).
				assert.InDelta(t, cs[i].TrainAcc, gs[i].TrainAcc, 2.5/85, "epoch %d train acc: ≤ 2 samples apart", i+1)
				assert.InEpsilon(t, cs[i].TestLoss, gs[i].TestLoss, 1e-4, "epoch %d test loss", i+1)
				assert.InDelta(t, cs[i].TestAcc, gs[i].TestAcc, 2.5/150, "epoch %d test acc: ≤ 2 samples apart", i+1)
			}
		})
	}
}

// TestEngineIsDeterministic: two engines, same seed and order → bit-identical weights.
func TestEngineIsDeterministic(t *testing.T) {
	a, err := model.Parse("lenet-6-12-dropout")
	require.NoError(t, err)
	data := randomDigits(200, 1)
	cfg := engine.Config{Arch: a, Batch: 16, Momentum: 0.9, Seed: 7, Train: data, Test: data}
	var got []*model.Params
	for range 2 {
		e := newTestEngine(t, cfg)
		require.NoError(t, e.SetParams(a.InitParams(5)))
		_, _, err := train.Run(e, train.Options{Epochs: 2, LR0: 0.05, LR1: 0.01, Seed: 1, Shuffle: true}, nil)
		require.NoError(t, err)
		p, err := e.Params()
		require.NoError(t, err)
		got = append(got, p)
	}
	assert.Equal(t, got[0], got[1])
	assert.NotEqual(t, a.InitParams(5), got[0])
}

// TestEngineWorkgroupSizes: the shaders are right for any workgroup size (the reductions
// run with 256 on GPUs), not just the default 64.
func TestEngineWorkgroupSizes(t *testing.T) {
	for _, wg := range []int{32, 256} {
		cp, gp, _, _ := runBothWG(t, "lenet-6-12-dropout", 16, 70, 1, 0.9, wg)
		for i := range cp.Tensors {
			for j, v := range cp.Tensors[i].Data {
				require.InDelta(t, v, gp.Tensors[i].Data[j], 1e-4+1e-3*math.Abs(float64(v)), "wg %d %s[%d]", wg, cp.Tensors[i].Name, j)
			}
		}
	}
}

// TestEngineChunking covers an epoch longer than one chunk with a partial tail and batch 1.
func TestEngineChunking(t *testing.T) {
	for _, c := range []struct{ batch, samples int }{{1, 40}, {4, 150}, {64, 50}} {
		cp, gp, cs, gs := runBoth(t, "lenet-6-12", c.batch, c.samples, 1, 0)
		for i := range cp.Tensors {
			for j, v := range cp.Tensors[i].Data {
				require.InDelta(t, v, gp.Tensors[i].Data[j], 1e-4+1e-3*math.Abs(float64(v)), "batch %d %s[%d]", c.batch, cp.Tensors[i].Name, j)
			}
		}
		assert.InEpsilon(t, cs[0].TrainLoss, gs[0].TrainLoss, 1e-4)
	}
}

func TestEngineRejectsBadEpochs(t *testing.T) {
	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	data := randomDigits(10, 1)
	e := newTestEngine(t, engine.Config{Arch: a, Batch: 4, Train: data, Test: data})
	_, err = e.TrainEpoch(engine.Epoch{Order: make([]int32, 10), LR: make([]float32, 2)}, nil)
	assert.ErrorContains(t, err, "2 learning rates")
	_, err = e.TrainEpoch(engine.Epoch{Order: []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 10}, LR: make([]float32, 3)}, nil)
	assert.ErrorContains(t, err, "sample index 10 out of range")
	other, err := model.Parse("lenet-12-16")
	require.NoError(t, err)
	assert.ErrorContains(t, e.SetParams(other.InitParams(1)), "conv1.weight")
}

// TestEngineProfile: every dispatch of a step is timed, the op counts are the network's,
// and profiling leaves the weights as they were.
func TestEngineProfile(t *testing.T) {
	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	data := randomDigits(40, 1)
	e := newTestEngine(t, engine.Config{Arch: a, Batch: 16, Momentum: 0.9, Train: data, Test: data})
	init := a.InitParams(3)
	require.NoError(t, e.SetParams(init))
	ops, total, err := e.Profile(2)
	require.NoError(t, err)
	count := map[string]int{}
	sum := 0.0
	for _, op := range ops {
		count[op.Op] = op.Dispatches
		sum += op.Micros
		assert.Greater(t, op.Micros, 0.0, op.Op)
	}
	assert.Equal(t, map[string]int{
		"gather_batch": 1, "conv2d_forward": 2, "maxpool_forward": 2, "dense_forward": 1,
		"softmax_cross_entropy": 1, "step_stats": 1, "dense_backward_weights": 1, "dense_backward_data": 1,
		"maxpool_backward": 2, "conv2d_backward_filter": 1, "conv2d_backward_filter_serial": 1,
		"conv2d_backward_data": 1, "sgd_update": 1,
	}, count, "16 dispatches: both ReLUs fused into their convs (maxpool_backward applies relu'); "+
		"conv1 needs no input gradient; "+
		"conv2's 16·8·8 = 1,024 terms per weight sum serially")
	assert.InEpsilon(t, total, sum, 1e-6)
	p, err := e.Params()
	require.NoError(t, err)
	assert.Equal(t, init, p, "lr 0: the weights do not move")
}
