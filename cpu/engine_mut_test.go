package cpu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// Two facts of the CPU engine that only the comparison with the GPU engine checked, so
// that a machine without a GPU let a deliberate wrong change to either through.

// newEngine builds a CPU engine for arch on n random samples with the given batch.
func newEngine(t *testing.T, arch string, n, batch int) (*cpu.Engine, *model.Arch) {
	t.Helper()
	a, err := model.Parse(arch)
	require.NoError(t, err)
	data := randomSet(n, a.Input, 9)
	e, err := cpu.New(engine.Config{Arch: a, Batch: batch, Momentum: 0.9, Seed: 4, Train: data, Test: data})
	require.NoError(t, err)
	require.NoError(t, e.SetParams(a.InitParams(2)))
	return e, a
}

// TestSmallerBatchIsAMeanOverItsSamples: the last, smaller batch of an epoch is scaled by
// its own size, 1/|B|, not by 1/Batch: its loss and gradient are those of the same
// samples in an engine whose batch is exactly that size.
func TestSmallerBatchIsAMeanOverItsSamples(t *testing.T) {
	idx := []int32{3, 0, 5}
	big, _ := newEngine(t, "lenet-6-12", 6, 4)
	exact, _ := newEngine(t, "lenet-6-12", 6, 3)
	got, err := big.Gradient(idx, 0)
	require.NoError(t, err)
	want, err := exact.Gradient(idx, 0)
	require.NoError(t, err)
	assert.Equal(t, want.Loss, got.Loss)
	assert.Equal(t, want.Grad, got.Grad, "the gradient of the mean over the 3 samples")
}

// TestTrainEpochDrawsMasksAtItsGlobalSteps: an epoch's step s draws the dropout masks of
// global step FirstStep+s, so that later epochs do not repeat the first one's masks: the
// loss of an epoch's only step at FirstStep 5 is that of Gradient at step 5.
func TestTrainEpochDrawsMasksAtItsGlobalSteps(t *testing.T) {
	const n = 8
	order := []int32{0, 1, 2, 3, 4, 5, 6, 7}
	lossAt := func(first int) float32 {
		e, _ := newEngine(t, "lenet-6-12-dropout", n, n)
		res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: []float32{0.01}, FirstStep: first}, nil)
		require.NoError(t, err)
		require.Len(t, res.StepLoss, 1)
		return res.StepLoss[0]
	}
	e, _ := newEngine(t, "lenet-6-12-dropout", n, n)
	at0, err := e.Gradient(order, 0)
	require.NoError(t, err)
	at5, err := e.Gradient(order, 5)
	require.NoError(t, err)
	require.NotEqual(t, at0.Loss, at5.Loss, "steps 0 and 5 draw different masks")
	assert.Equal(t, at0.Loss, lossAt(0))
	assert.Equal(t, at5.Loss, lossAt(5))
}

// TestEvaluateIsTheMeanOverTheTestSet: Evaluate's loss is the mean of the per-sample losses
// (each the loss of a one-sample Gradient on the same data, no dropout in this arch), its
// Correct the count of samples whose first maximal logit is the label, over more samples
// than one evaluation chunk holds.
func TestEvaluateIsTheMeanOverTheTestSet(t *testing.T) {
	const n = 70
	e, a := newEngine(t, "lenet-6-12", n, 8)
	ev, err := e.Evaluate()
	require.NoError(t, err)
	sum, correct := 0.0, 0
	data := e.Config().Train
	for i := range n {
		st, err := e.Gradient([]int32{int32(i)}, 0)
		require.NoError(t, err)
		sum += float64(st.Loss)
		best := 0
		for k, v := range st.Logits[:a.Classes] {
			if v > st.Logits[best] {
				best = k
			}
		}
		if best == int(data.Labels[i]) {
			correct++
		}
	}
	assert.Equal(t, n, ev.N)
	assert.InDelta(t, sum/n, ev.Loss, 1e-12)
	assert.Equal(t, correct, ev.Correct)
}

// TestTrainEpochReportsItsEnd: the last progress report of an epoch is every sample, also
// when the step count is no multiple of the reporting interval.
func TestTrainEpochReportsItsEnd(t *testing.T) {
	const n, batch = 203, 1 // 203 steps, reported every 2: the last step is odd
	e, _ := newEngine(t, "conv1x1x2,maxpool4,dense10", n, batch)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	var reports []int
	_, err := e.TrainEpoch(engine.Epoch{Order: order, LR: make([]float32, n)}, func(done int) { reports = append(reports, done) })
	require.NoError(t, err)
	require.NotEmpty(t, reports)
	assert.Equal(t, n, reports[len(reports)-1])
}
