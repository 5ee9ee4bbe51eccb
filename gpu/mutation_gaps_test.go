package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// rangeRecorder is a GPU engine (its ChunkSteps promoted: a train.Chunked) that records
// the part [From, To) of each TrainEpoch call.
type rangeRecorder struct {
	*Engine
	ranges [][2]int
}

func (r *rangeRecorder) TrainEpoch(ep engine.Epoch, progress func(int)) (engine.EpochResult, error) {
	r.ranges = append(r.ranges, [2]int{ep.From, ep.To})
	return r.Engine.TrainEpoch(ep, progress)
}

// TestRunAsksTheGPUForWholeChunks: the GPU engine is a train.Chunked whose chunk is the
// steps recorded into its replayed command buffer (a 16th of the epoch's 200 full steps,
// 12), so that train.Run's in-epoch divergence checks (a window of 50 steps, rounded up to
// 60) cut its epoch only at whole chunks, never every 5 steps as on the CPU engine: an
// engine that reported no chunk (ChunkSteps 0) passed every other test, only slower.
func TestRunAsksTheGPUForWholeChunks(t *testing.T) {
	a, err := model.Parse("conv3x3x4,relu,maxpool2,dense10")
	require.NoError(t, err)
	cfg := engine.Config{Arch: a, Batch: 1, Seed: 7, Train: randomDigits(200, 1), Test: randomDigits(20, 2)}
	e := &rangeRecorder{Engine: newTestEngine(t, cfg)}
	require.NoError(t, e.SetParams(a.InitParams(11)))
	require.Equal(t, 12, e.ChunkSteps())
	_, _, err = train.Run(e, train.Options{Epochs: 1, LR0: 0.01, LR1: 0.001, Seed: 3}, nil)
	require.NoError(t, err)
	assert.Equal(t, [][2]int{{0, 60}, {60, 120}, {120, 180}, {180, 200}}, e.ranges)
}
