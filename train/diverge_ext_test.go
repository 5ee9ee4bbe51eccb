package train_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// cpuOn builds a CPU engine for a small network with momentum on n random samples, batch 1.
func cpuOn(t *testing.T, n int) engine.Engine {
	a, err := model.Build("conv3x3x4,relu,maxpool2,dense10", model.Shape{C: 1, H: 8, W: 8}, 10)
	require.NoError(t, err)
	e, err := cpu.New(engine.Config{Arch: a, Batch: 1, Momentum: 0.9, Seed: 9, Train: randomSet(n, 1), Test: randomSet(20, 2)})
	require.NoError(t, err)
	require.NoError(t, e.SetParams(a.InitParams(5)))
	return e
}

// TestWindowSegmentsChangeNothing: an epoch run by Run in the parts its checks need (every
// 5 steps of 200) gives the weights, bit for bit, of the same epoch run whole.
func TestWindowSegmentsChangeNothing(t *testing.T) {
	opts := train.Options{Epochs: 1, LR0: 0.05, LR1: 0.01, Seed: 4, Shuffle: true}
	whole, parts := cpuOn(t, 200), cpuOn(t, 200)
	order := make([]int32, 200)
	train.NewOrders(opts.Seed, opts.Shuffle).Next(order)
	lrs := make([]float32, 200)
	for s := range lrs {
		lrs[s] = float32(train.LR(s, 200, opts.LR0, opts.LR1))
	}
	_, err := whole.TrainEpoch(engine.Epoch{Order: order, LR: lrs}, nil)
	require.NoError(t, err)
	_, _, err = train.Run(parts, opts, nil)
	require.NoError(t, err)
	want, err := whole.Params()
	require.NoError(t, err)
	got, err := parts.Params()
	require.NoError(t, err)
	assert.Equal(t, train.Fingerprint(want), train.Fingerprint(got))
}
