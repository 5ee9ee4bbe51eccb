package vkcnn_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn"
	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// TestLoadedCheckpointAgreesWithTheEngine: for layer strings with odd shapes (planes 1 to
// 65 wide, 1×1 to 28×28 kernels, every padding and pool, sigmoid, dropout, stacked dense
// layers), a checkpoint written after training and read back by vkcnn.Load classifies the
// test set as the engine evaluates it: the same loss (mean −log of the probability of the
// label, from PredictPrepared's probabilities) and the same number right.
func TestLoadedCheckpointAgreesWithTheEngine(t *testing.T) {
	for _, spec := range []string{
		"conv7x7x17:same,relu,maxpool2,conv1x1x33,relu,conv3x3x3:same,minpool2,dropout0.25,dense65,sigmoid,dense33,relu,dense10",
		"conv13x13x3,relu,minpool2,conv1x1x65,relu,dense10",
		"conv3x3x1:full,sigmoid,avgpool2,conv5x5x17,relu,maxpool3,dense10",
		"conv28x28x3,relu,dense10",
		"conv2x2x3:full,relu,conv4x4x5,relu,maxpool2,dropout0.5,dense17,relu,dense10",
		"conv36x36x1:full,relu,maxpool3,dense10",
	} {
		t.Run(spec, func(t *testing.T) {
			a, err := model.Parse(spec)
			require.NoError(t, err)
			const n = 37
			src := rng.New(3)
			d := &engine.Dataset{Images: make([]float32, n*a.Input.Len()), Labels: make([]uint8, n), N: n, H: a.Input.H, W: a.Input.W}
			for i := range d.Images {
				d.Images[i] = src.Float32()
			}
			for i := range d.Labels {
				d.Labels[i] = uint8(src.Intn(10))
			}
			e, err := cpu.New(engine.Config{Arch: a, Batch: 7, Momentum: 0.9, Seed: 2, Train: d, Test: d})
			require.NoError(t, err)
			require.NoError(t, e.SetParams(a.InitParams(1)))
			_, _, err = train.Run(e, train.Options{Epochs: 1, LR0: 0.01, LR1: 0.005, Seed: 1, Shuffle: true}, nil)
			require.NoError(t, err)
			p, err := e.Params()
			require.NoError(t, err)
			want, err := e.Evaluate()
			require.NoError(t, err)

			path := filepath.Join(t.TempDir(), "m.safetensors")
			require.NoError(t, checkpoint.Save(path, a, p))
			m, err := vkcnn.Load(path)
			require.NoError(t, err)
			assert.Equal(t, spec, m.Arch())
			ps, err := m.PredictPrepared(d.Images)
			require.NoError(t, err)
			require.Len(t, ps, n)
			loss, right := 0.0, 0
			for i, pr := range ps {
				loss -= math.Log(float64(pr.Probs[d.Labels[i]]))
				if pr.Digit == int(d.Labels[i]) {
					right++
				}
			}
			assert.InDelta(t, want.Loss, loss/n, 1e-5*(1+want.Loss), "mean loss")
			assert.Equal(t, want.Correct, right, "right")
		})
	}
}
