package cpu_test

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// oddArchs are layer strings whose convolutions give output planes 1, 2, 3, 15, 16, 17,
// 63, 64 and 65 values wide (the tails of the 8- and 16-lane loops and of the patch-row
// blocks), with 1×1 to 38×38 kernels, every padding, 1, 2, 3, 5, 17, 33 and 65 channels,
// every pooling, sigmoid, dropout and several dense layers.
var oddArchs = []string{
	"conv28x28x3,relu,dense10",                                       // 1 wide
	"conv27x27x17,relu,maxpool2,dense10",                             // 2
	"conv26x26x1,sigmoid,dense10",                                    // 3
	"conv14x14x33,relu,avgpool3,dense10",                             // 15
	"conv13x13x3,relu,minpool2,conv1x1x65,relu,dense10",              // 16, then 8 with 65 channels
	"conv12x12x3,relu,maxpool2,dense10",                              // 17
	"conv36x36x1:full,relu,maxpool3,dense10",                         // 63
	"conv37x37x3:full,sigmoid,avgpool2,dense10",                      // 64
	"conv38x38x2:full,relu,maxpool2,dropout0.5,dense17,relu,dense10", // 65
	"conv7x7x17:same,relu,maxpool2,conv1x1x33,relu,conv3x3x3:same,minpool2,dropout0.25,dense65,sigmoid,dense33,relu,dense10",
	"conv2x2x3:full,relu,conv4x4x5,relu,maxpool2,dense10", // 29, 26 (an even kernel: same padding is refused)
	"conv1x1x1,relu,conv5x5x65,relu,maxpool4,dense10",
}

// params64 is p in float64, tensor by tensor.
func params64(p *model.Params) [][]float64 {
	out := make([][]float64, len(p.Tensors))
	for i, t := range p.Tensors {
		out[i] = make([]float64, len(t.Data))
		for j, v := range t.Data {
			out[i][j] = float64(v)
		}
	}
	return out
}

// TestOddArchsEveryKernelPath: on every kernel path, for every arch of oddArchs, the
// Predictor's logits and the engine's loss agree with the float64 reference, the gradient
// agrees with the scalar path's (relative L2 per tensor ≤ 1e-4), and nothing is NaN.
func TestOddArchsEveryKernelPath(t *testing.T) {
	for _, spec := range oddArchs {
		t.Run(spec, func(t *testing.T) {
			a, err := model.Parse(spec)
			require.NoError(t, err)
			const n = 9
			data := randomSet(n, a.Input, 7)
			p := a.InitParams(5)
			p64 := params64(p)
			want := forward64(a, p64, data.Images, n, nil)
			batch := make([]int32, n)
			labels := make([]int32, n)
			for i := range batch {
				batch[i], labels[i] = int32(i), int32(data.Labels[i])
			}
			const step = 3
			wantLoss := lossFloat64(a, p64, data.Images, labels, n, 9, step)
			grads := map[string]*model.Params{}
			forEachPath(t, func(t *testing.T) {
				pr, err := cpu.NewPredictor(a, p)
				require.NoError(t, err)
				got, err := pr.Logits(data.Images[:n*a.Input.Len()])
				require.NoError(t, err)
				require.Len(t, got, len(want))
				for i := range want {
					require.InDelta(t, want[i], float64(got[i]), 1e-4*(1+math.Abs(want[i])), "logit %d", i)
				}
				e, err := cpu.New(engine.Config{Arch: a, Batch: n, Seed: 9, Train: data, Test: data})
				require.NoError(t, err)
				require.NoError(t, e.SetParams(p))
				st, err := e.Gradient(batch, step)
				require.NoError(t, err)
				assert.InDelta(t, wantLoss, float64(st.Loss), 1e-5*(1+wantLoss), "loss against float64")
				for _, tt := range st.Grad.Tensors {
					for j, v := range tt.Data {
						require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), "%s[%d] = %v", tt.Name, j, v)
					}
				}
				grads[t.Name()] = st.Grad
			})
			ref, ok := grads[t.Name()+"/scalar"]
			require.True(t, ok, "the scalar path ran")
			for name, g := range grads {
				for ti, tt := range g.Tensors {
					num, den := 0.0, 0.0
					for j, v := range tt.Data {
						d := float64(v) - float64(ref.Tensors[ti].Data[j])
						num += d * d
						den += float64(ref.Tensors[ti].Data[j]) * float64(ref.Tensors[ti].Data[j])
					}
					assert.LessOrEqual(t, math.Sqrt(num), 1e-4*math.Sqrt(den)+1e-9, "%s: %s against the scalar path", name, tt.Name)
				}
			}
		})
	}
}

// TestOddBatchesIndependentOfGOMAXPROCS: training with 1, 2 and 3 goroutines gives the same
// bits, on every kernel path, for batches of 1, 7, 9, 63 and 65 samples (chunks that do not
// divide the batch, a last batch of one sample) and two of the odd archs.
func TestOddBatchesIndependentOfGOMAXPROCS(t *testing.T) {
	for _, spec := range []string{oddArchs[9], oddArchs[4], "lenet-6-12-dropout"} {
		a, err := model.Parse(spec)
		require.NoError(t, err)
		for _, b := range []int{1, 7, 9, 63, 65} {
			n := 2*b + 1 // two whole batches and one of a single sample
			if b == 1 {
				n = 5
			}
			data := randomSet(n, a.Input, uint64(b))
			t.Run(fmt.Sprintf("%s/batch%d", spec, b), func(t *testing.T) {
				forEachPath(t, func(t *testing.T) {
					run := func(procs int) *model.Params {
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
						e, err := cpu.New(engine.Config{Arch: a, Batch: b, Momentum: 0.9, Seed: 4, Train: data, Test: data})
						require.NoError(t, err)
						require.NoError(t, e.SetParams(a.InitParams(2)))
						_, _, err = train.Run(e, train.Options{Epochs: 1, LR0: 0.01, LR1: 0.005, Seed: 1, Shuffle: true}, nil)
						require.NoError(t, err)
						p, err := e.Params()
						require.NoError(t, err)
						return p
					}
					p1 := run(1)
					assert.NotEqual(t, a.InitParams(2), p1, "training changed the weights")
					assert.Equal(t, p1, run(2), "2 goroutines")
					assert.Equal(t, p1, run(3), "3 goroutines")
				})
			})
		}
	}
}
