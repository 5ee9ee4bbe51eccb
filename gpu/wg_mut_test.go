package gpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/optest"
)

// The shaders' tree reductions (conv2d_backward_filter, step_stats) first fold the
// WG − 2^⌊log2 WG⌋ partial sums above the largest power of two, so that any workgroup size
// works, as EngineOptions.WG allows. Every other test runs powers of two (32, 64, 256), so
// dropping that fold passed them all.

// oddWG is a workgroup size that is not a power of two.
const oddWG = 48

// TestOpsAtAnOddWorkgroupSize runs the reductions' op tests with 48-thread workgroups.
func TestOpsAtAnOddWorkgroupSize(t *testing.T) {
	o := &Ops{d: testDevice(t), WG: oddWG}
	t.Run("Conv2DBackwardFilter", func(t *testing.T) { optest.Conv2DBackwardFilter(t, o) })
	t.Run("DenseBackwardWeights", func(t *testing.T) { optest.DenseBackwardWeights(t, o) })
}

// TestEngineAtAnOddWorkgroupSize trains an epoch with 48-thread workgroups and batches of
// 64 (more samples than threads, so the loss and hit sums of step_stats fold) and requires
// the CPU engine's loss, accuracy and weights.
func TestEngineAtAnOddWorkgroupSize(t *testing.T) {
	cp, gp, cs, gs := runBothWG(t, "lenet-6-12", 64, 130, 1, 0.9, oddWG)
	require.Len(t, gs, 1)
	assert.InEpsilon(t, cs[0].TrainLoss, gs[0].TrainLoss, 1e-4, "mean train loss")
	assert.Equal(t, cs[0].TrainAcc, gs[0].TrainAcc, "train accuracy")
	for i := range cp.Tensors {
		for j, v := range cp.Tensors[i].Data {
			require.InDelta(t, v, gp.Tensors[i].Data[j], 1e-4+1e-3*math.Abs(float64(v)), "%s[%d]", cp.Tensors[i].Name, j)
		}
	}
}
