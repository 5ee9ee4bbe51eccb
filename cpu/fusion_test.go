package cpu_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// The fused passes (a ReLU next to a max-pool as one pass, a ReLU in the buffer of a conv's
// or dense layer's output) must give the bits of the layers run one at a time.

// TestFusionPlan: which layers the engine fuses, and that it leaves alone a ReLU after a
// sigmoid (whose backward reads the output a ReLU in place would overwrite), after a fused
// pass, or on the network's input.
func TestFusionPlan(t *testing.T) {
	for spec, want := range map[string][]string{
		"lenet-6-12":     {"layer@0", "maxpool+relu@1", "layer@3", "maxpool+relu@4", "layer@6"},
		"conv3-16-32-32": {"layer@0", "maxpool+relu@1", "layer@3", "maxpool+relu@4", "layer@6", "relu-in-place@7", "layer@8"},
		"conv5x5x4,maxpool2,relu,relu,dense16,relu,dense10":  {"layer@0", "maxpool+relu@1", "layer@3", "layer@4", "relu-in-place@5", "layer@6"},
		"conv3x3x4,relu,relu,maxpool2,dense10":               {"layer@0", "relu-in-place@1", "maxpool+relu@2", "layer@4"},
		"conv3x3x4,sigmoid,relu,dense10":                     {"layer@0", "layer@1", "layer@2", "layer@3"},
		"relu,conv3x3x4,minpool2,relu,avgpool2,relu,dense10": {"layer@0", "layer@1", "layer@2", "relu-in-place@3", "layer@4", "relu-in-place@5", "layer@6"},
	} {
		a, err := model.Parse(spec)
		require.NoError(t, err)
		assert.Equal(t, want, cpu.PassKinds(a), spec)
	}
}

// TestFusedMaxPoolReLUKernelsEveryKernelPath: the fused pass's forward is, bit for bit, a
// max-pool then a ReLU (values and argmax) and a ReLU then a max-pool (values), and its
// backward is the two layers' backward passes in either order, for signed zeros, NaNs,
// infinities, ties and negative windows, at pool shapes that take the SIMD blocks, their
// tails, the rows and columns no window covers, and the scalar loop. dIn starts as NaNs:
// a backward pass that leaves a value unwritten fails; one that writes past an output's
// end changes the guard values there.
func TestFusedMaxPoolReLUKernelsEveryKernelPath(t *testing.T) {
	pools := []model.PoolShape{
		{N: 3, C: 2, H: 24, W: 24, Size: 2},
		{N: 2, C: 3, H: 9, W: 35, Size: 2},
		{N: 2, C: 3, H: 8, W: 8, Size: 2},
		{N: 1, C: 2, H: 4, W: 31, Size: 2},
		{N: 2, C: 2, H: 3, W: 5, Size: 2},
		{N: 1, C: 1, H: 5, W: 64, Size: 2}, // two blocks of 16 windows
		{N: 2, C: 1, H: 3, W: 17, Size: 2}, // 8 windows: the second input vector unused
		{N: 1, C: 2, H: 6, W: 19, Size: 2}, // 9 windows: two values in the second
		{N: 2, C: 3, H: 13, W: 8, Size: 2}, // 8 wide: 4 output rows at a time, then 2 alone
		{N: 1, C: 2, H: 15, W: 8, Size: 2}, // then 3 alone
		{N: 1, C: 2, H: 7, W: 11, Size: 3},
	}
	src := rng.New(5)
	const guard = 64 // values past the end of each output, which must stay as they were
	forEachPath(t, func(t *testing.T) {
		for _, s := range pools {
			x, dOut := drawSpecial(src, s.InLen()), drawSpecial(src, s.OutLen())
			gotG, argG := nanSlice(s.OutLen()+guard), make([]int32, s.OutLen()+guard)
			for i := range argG {
				argG[i] = -7
			}
			got, arg := gotG[:s.OutLen()], argG[:s.OutLen()]
			cpu.MaxPoolReLUForward(got, arg, x, s)
			require.Equal(t, bits(nanSlice(guard)), bits(gotG[s.OutLen():]), "forward wrote past out %+v", s)
			require.Equal(t, slices.Repeat([]int32{-7}, guard), argG[s.OutLen():], "forward wrote past argmax %+v", s)

			// max-pool, then ReLU: the same argmax and values.
			pooled, pArg, poolRelu := make([]float32, s.OutLen()), make([]int32, s.OutLen()), make([]float32, s.OutLen())
			cpu.MaxPoolForward(pooled, pArg, x, s)
			cpu.ReLUForward(poolRelu, pooled)
			require.Equal(t, pArg, arg, "argmax %+v", s)
			require.Equal(t, bits(poolRelu), bits(got), "relu(maxpool) %+v", s)
			// ReLU, then max-pool: the same values.
			relu, reluPool, rArg := make([]float32, s.InLen()), make([]float32, s.OutLen()), make([]int32, s.OutLen())
			cpu.ReLUForward(relu, x)
			cpu.MaxPoolForward(reluPool, rArg, relu, s)
			require.Equal(t, bits(reluPool), bits(got), "maxpool(relu) %+v", s)

			dInG := nanSlice(s.InLen() + guard)
			dIn := dInG[:s.InLen()]
			cpu.MaxPoolReLUBackward(dIn, dOut, got, arg, s)
			require.Equal(t, bits(nanSlice(guard)), bits(dInG[s.InLen():]), "backward wrote past dIn %+v", s)
			// ReLU's backward on the pooled values, then the max-pool's.
			dPool, want := make([]float32, s.OutLen()), nanSlice(s.InLen())
			cpu.ReLUBackward(dPool, dOut, poolRelu)
			cpu.MaxPoolBackward(want, dPool, pArg, s)
			assert.Equal(t, bits(want), bits(dIn), "backward of relu(maxpool) %+v", s)
			// The max-pool's backward with the argmax of the ReLU's output, then the ReLU's.
			dRelu := make([]float32, s.InLen())
			cpu.MaxPoolBackward(dRelu, dOut, rArg, s)
			cpu.ReLUBackward(want, dRelu, relu)
			assert.Equal(t, bits(want), bits(dIn), "backward of maxpool(relu) %+v", s)
		}
	})
}

// tiedSet is n images of which about half the pixels are exactly 0 and the rest small
// integers over 4: a conv over a zero patch gives its bias exactly, so max-pool windows
// hold ties, and those of a negative bias are negative throughout (the windows where the
// fused pass's argmax may differ from the unfused one's).
func tiedSet(n int, in model.Shape, seed uint64) *engine.Dataset {
	d := randomSet(n, in, seed)
	src := rng.New(seed + 1)
	for i := range d.Images {
		if src.Intn(2) == 0 {
			d.Images[i] = 0
		} else {
			d.Images[i] = float32(src.Intn(5)) / 4
		}
	}
	return d
}

// TestFusedPassesMatchLayersOneAtATime: on every kernel path, an engine with the fused
// passes gives the unfused engine's logits, loss and gradient bit for bit (a batch of 11:
// a chunk of 8 and one of 3), the same weights after an epoch of 3 steps with momentum,
// and a predictor the same logits, for every preset and networks that put a ReLU before,
// after, between and beside max-pools, min-pools, average pools, sigmoids, dropout and
// dense layers.
func TestFusedPassesMatchLayersOneAtATime(t *testing.T) {
	specs := []string{
		"conv3x3x8:same,relu,maxpool2,conv3x3x16,relu,avgpool2,dropout0.25,dense64,relu,dense10",
		"conv5x5x6,maxpool2,relu,conv5x5x12,relu,maxpool3,dense32,sigmoid,dense10",
		"conv3x3x4,relu,relu,maxpool2,dense10",
		"relu,maxpool2,conv5x5x8,relu,dense10",
		"conv5x5x6:same,relu,minpool2,conv3x3x8,sigmoid,relu,avgpool2,relu,dense10",
		"conv5x5x6:full,relu,maxpool2,relu,conv5x5x8,sigmoid,maxpool2,dense10",
		"conv3x3x5,relu,dropout0.3,maxpool3,conv3x3x7,maxpool2,relu,dense10,relu",
	}
	for name := range model.Presets {
		specs = append(specs, name)
	}
	const n, batch = 33, 11
	forEachPath(t, func(t *testing.T) {
		for _, spec := range specs {
			a, err := model.Parse(spec)
			require.NoError(t, err)
			data := tiedSet(n, a.Input, 3)
			p := a.InitParams(5)
			type result struct {
				st      engine.StepState
				weights *model.Params
				logits  []float32
			}
			run := func(fused bool) result {
				defer cpu.SetFusion(fused)()
				e, err := cpu.New(engine.Config{Arch: a, Batch: batch, Momentum: 0.9, Seed: 4, Train: data, Test: data})
				require.NoError(t, err)
				require.NoError(t, e.SetParams(p))
				st, err := e.Gradient([]int32{4, 0, 9, 31, 2, 7, 7, 12, 30, 1, 5}, 3)
				require.NoError(t, err)
				order := make([]int32, n)
				for i := range order {
					order[i] = int32((i * 7) % n)
				}
				_, err = e.TrainEpoch(engine.Epoch{Order: order, LR: []float32{0.1, 0.05, 0.02}}, nil)
				require.NoError(t, err)
				w, err := e.Params()
				require.NoError(t, err)
				pr, err := cpu.NewPredictor(a, p)
				require.NoError(t, err)
				logits, err := pr.Logits(data.Images)
				require.NoError(t, err)
				return result{st, w, logits}
			}
			fused, alone := run(true), run(false)
			assert.Equal(t, bits(alone.st.Logits), bits(fused.st.Logits), "%s: logits", spec)
			assert.Equal(t, alone.st.Loss, fused.st.Loss, "%s: loss", spec)
			for i, g := range alone.st.Grad.Tensors {
				assert.Equal(t, bits(g.Data), bits(fused.st.Grad.Tensors[i].Data), "%s: gradient of %s", spec, g.Name)
			}
			for i, w := range alone.weights.Tensors {
				assert.Equal(t, bits(w.Data), bits(fused.weights.Tensors[i].Data), "%s: %s after an epoch", spec, w.Name)
			}
			assert.Equal(t, bits(alone.logits), bits(fused.logits), "%s: predictor logits", spec)
		}
	})
}
