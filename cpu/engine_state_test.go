package cpu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// TestEpochInSegmentsIsTheWholeEpoch: an epoch run as steps [0,3), [3,4), [4,13) gives
// the whole epoch's losses, hits, weights and momentum bit for bit (dropout included),
// the momentum set is the momentum read, and a closed Stop ends the epoch after the step
// it is in (here before the first).
func TestEpochInSegmentsIsTheWholeEpoch(t *testing.T) {
	a, err := model.Parse("lenet-6-12-dropout")
	require.NoError(t, err)
	cfg := engine.Config{Arch: a, Batch: 4, Momentum: 0.9, Seed: 7, Train: randomSet(51, a.Input, 1), Test: randomSet(5, a.Input, 2)}
	e, err := cpu.New(cfg)
	require.NoError(t, err)
	order := make([]int32, 51)
	train.NewOrders(5, true).Next(order)
	lrs := make([]float32, 13)
	for i := range lrs {
		lrs[i] = 0.05
	}
	init := a.InitParams(3)
	run := func(ranges [][2]int) (engine.EpochResult, *model.Params, *model.Params) {
		require.NoError(t, e.SetParams(init))
		var all engine.EpochResult
		for _, r := range ranges {
			res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, FirstStep: 26, From: r[0], To: r[1]}, nil)
			require.NoError(t, err)
			all.StepLoss = append(all.StepLoss, res.StepLoss...)
			all.Correct += res.Correct
		}
		p, err := e.Params()
		require.NoError(t, err)
		v, err := e.Momentum()
		require.NoError(t, err)
		return all, p, v
	}
	whole, wp, wv := run([][2]int{{0, 0}})
	parts, pp, pv := run([][2]int{{0, 3}, {3, 4}, {4, 13}})
	require.Len(t, whole.StepLoss, 13)
	assert.Equal(t, whole, parts)
	assert.Equal(t, wp, pp)
	assert.Equal(t, wv, pv)

	require.NoError(t, e.SetParams(init))
	require.NoError(t, e.SetMomentum(wv))
	v, err := e.Momentum()
	require.NoError(t, err)
	assert.Equal(t, wv, v)

	stop := make(chan struct{})
	close(stop)
	res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, Stop: stop}, nil)
	require.NoError(t, err)
	assert.Empty(t, res.StepLoss)
	_, err = e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, From: 5, To: 4}, nil)
	assert.EqualError(t, err, "cpu: steps [5, 4) are not within the epoch's 13")
}
