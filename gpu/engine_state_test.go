package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// TestEpochInSegmentsIsTheWholeEpoch: an epoch run as steps [0,7), [7,8), [8,49), [49,51)
// — single steps, chunk replays, the smaller last batch alone — gives the whole epoch's
// losses, hits, weights and momentum bit for bit (dropout included: the global step of
// every segment's steps is right), and the momentum read back is what was set.
func TestEpochInSegmentsIsTheWholeEpoch(t *testing.T) {
	a, err := model.Parse("lenet-6-12-dropout")
	require.NoError(t, err)
	cfg := engine.Config{Arch: a, Batch: 4, Momentum: 0.9, Seed: 7, Train: randomDigits(203, 1), Test: randomDigits(10, 2)}
	e := newTestEngine(t, cfg)
	require.Equal(t, 51, e.steps)
	order := make([]int32, 203)
	train.NewOrders(5, true).Next(order)
	lrs := make([]float32, 51)
	for i := range lrs {
		lrs[i] = 0.05
	}
	init := a.InitParams(3)
	run := func(ranges [][2]int) (engine.EpochResult, *model.Params, *model.Params) {
		require.NoError(t, e.SetParams(init))
		var all engine.EpochResult
		for _, r := range ranges {
			res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, FirstStep: 102, From: r[0], To: r[1]}, nil)
			require.NoError(t, err)
			require.Len(t, res.StepLoss, r[1]-r[0])
			all.StepLoss = append(all.StepLoss, res.StepLoss...)
			all.Correct += res.Correct
		}
		p, err := e.Params()
		require.NoError(t, err)
		v, err := e.Momentum()
		require.NoError(t, err)
		return all, p, v
	}
	whole, wp, wv := run([][2]int{{0, 51}})
	parts, pp, pv := run([][2]int{{0, 7}, {7, 8}, {8, 49}, {49, 51}})
	assert.Equal(t, whole, parts)
	assert.Equal(t, wp, pp)
	assert.Equal(t, wv, pv)
	assert.NotEqual(t, a.NewParams(), wv, "momentum moved")

	require.NoError(t, e.SetParams(init))
	require.NoError(t, e.SetMomentum(wv))
	v, err := e.Momentum()
	require.NoError(t, err)
	assert.Equal(t, wv, v)

	stop := make(chan struct{})
	close(stop)
	res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, Stop: stop}, nil)
	require.NoError(t, err)
	assert.Empty(t, res.StepLoss, "a closed Stop runs no step")
	p, err := e.Params()
	require.NoError(t, err)
	assert.Equal(t, init, p)
	_, err = e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, From: 9, To: 52}, nil)
	assert.EqualError(t, err, "gpu: steps [9, 52) are not within the epoch's 51")
}
