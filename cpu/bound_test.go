package cpu

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// TestChunkGradientsAreBounded: the per-chunk gradients (one per 8 samples of a step,
// each the size of the network) are bounded before anything is allocated: near
// model.MaxParams, a large batch asked for tens of GiB and died with Go's "fatal error:
// out of memory" instead of one line. The bound is lowered here so that neither side
// of it allocates much.
func TestChunkGradientsAreBounded(t *testing.T) {
	old := maxChunkGradValues
	t.Cleanup(func() { maxChunkGradValues = old })
	a, err := model.Build("dense10", model.Shape{C: 1, H: 10, W: 10}, 10) // 1010 parameters
	require.NoError(t, err)
	maxChunkGradValues = 8 * 1010 // a step of up to 64 samples
	set := &engine.Dataset{Images: make([]float32, 100*100), Labels: make([]uint8, 100), N: 100, H: 10, W: 10}

	_, err = New(engine.Config{Arch: a, Batch: 64, Train: set, Test: set})
	require.NoError(t, err, "at the bound")
	_, err = New(engine.Config{Arch: a, Batch: 1000, Train: set, Test: set})
	require.EqualError(t, err, "cpu: a step of 100 samples keeps a gradient of the 1010 parameters per 8 samples, 13 of them (4.89e-05 GiB); more than 3.01e-05 GiB: use a smaller batch or network")
	maxChunkGradValues = 1
	_, err = New(engine.Config{Arch: a, Batch: 8, Train: set, Test: set})
	require.NoError(t, err, "one chunk: the step's gradient is the engine's own, no copy")
}
