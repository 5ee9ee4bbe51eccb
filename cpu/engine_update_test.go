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

// TestSumSGDIsTheSumThenSGDUpdate: the engine's one-pass update from its chunk gradients
// gives, on every kernel path, the bits of summing the chunks in order into one gradient
// and calling SGDUpdate, with and without momentum, for 1, 2 and 8 chunks, lengths that
// leave a tail to the scalar loop, and a block that starts inside the gradients (off).
func TestSumSGDIsTheSumThenSGDUpdate(t *testing.T) {
	src := rng.New(8)
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 8, 37, 1000} {
			for _, chunks := range []int{1, 2, 8} {
				for _, mom := range []float32{0, 0.9} {
					const off = 5
					parts := make([][]float32, chunks)
					for c := range parts {
						parts[c] = wideSlice(src, off+n+3)
					}
					w0, v0 := wideSlice(src, n), wideSlice(src, n)
					g := slices.Clone(parts[0][off : off+n])
					for _, p := range parts[1:] {
						for i, x := range p[off : off+n] {
							g[i] += x
						}
					}
					wantW, wantV := slices.Clone(w0), slices.Clone(v0)
					cpu.SGDUpdate(wantW, wantV, g, 0.037, mom)
					w, v := slices.Clone(w0), slices.Clone(v0)
					cpu.SumSGD(w, v, parts, off, 0.037, mom)
					assert.Equal(t, bits(wantW), bits(w), "w: %d values, %d chunks, momentum %g", n, chunks, mom)
					assert.Equal(t, bits(wantV), bits(v), "v: %d values, %d chunks, momentum %g", n, chunks, mom)
				}
			}
		}
	})
}

// TestTrainingStepIsGradientThenSGDUpdate: a training step of 20 samples (three chunks)
// moves the weights exactly as SGDUpdate does with the gradient Gradient reports for the
// same samples, with momentum, on a second step too (the momentum buffer of the first),
// on a network whose conv2.weight spans several of the update's blocks.
func TestTrainingStepIsGradientThenSGDUpdate(t *testing.T) {
	const n = 20
	e, a := newEngine(t, "lenet-16-32", n, n)
	ref, _ := newEngine(t, "lenet-16-32", n, n)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(n - 1 - i)
	}
	w, v := a.InitParams(2), a.NewParams()
	for step, lr := range []float32{0.05, 0.02} {
		st, err := ref.Gradient(order, step)
		require.NoError(t, err)
		for i := range w.Tensors {
			cpu.SGDUpdate(w.Tensors[i].Data, v.Tensors[i].Data, st.Grad.Tensors[i].Data, lr, 0.9)
		}
		require.NoError(t, ref.SetParams(w))
		_, err = e.TrainEpoch(engine.Epoch{Order: order, LR: []float32{lr}, FirstStep: step}, nil)
		require.NoError(t, err)
		got, err := e.Params()
		require.NoError(t, err)
		for i := range w.Tensors {
			assert.Equal(t, bits(w.Tensors[i].Data), bits(got.Tensors[i].Data), "step %d: %s", step, w.Tensors[i].Name)
		}
	}
}

// TestConsecutiveSamplesReadInPlace: a chunk of consecutive samples, which the engine
// reads where they lie in the dataset instead of copying them, gives the bits of the same
// images gathered from scattered places: the same loss, logits and gradient.
func TestConsecutiveSamplesReadInPlace(t *testing.T) {
	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	const n = 12
	data := randomSet(n, a.Input, 6)
	// spread: sample k of data at 2k+1, the even places holding other images.
	spread := randomSet(2*n, a.Input, 7)
	for k := range n {
		copy(spread.Image(2*k+1), data.Image(k))
		spread.Labels[2*k+1] = data.Labels[k]
	}
	before := slices.Clone(data.Images)
	grad := func(d *engine.Dataset, idx []int32) engine.StepState {
		e, err := cpu.New(engine.Config{Arch: a, Batch: len(idx), Momentum: 0.9, Seed: 4, Train: d, Test: d})
		require.NoError(t, err)
		require.NoError(t, e.SetParams(a.InitParams(2)))
		st, err := e.Gradient(idx, 0)
		require.NoError(t, err)
		return st
	}
	// 10 samples: a chunk of 8 and one of 2, both consecutive.
	got := grad(data, []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	want := grad(spread, []int32{3, 5, 7, 9, 11, 13, 15, 17, 19, 21})
	assert.Equal(t, want.Loss, got.Loss)
	assert.Equal(t, bits(want.Logits), bits(got.Logits))
	for i, g := range want.Grad.Tensors {
		assert.Equal(t, bits(g.Data), bits(got.Grad.Tensors[i].Data), g.Name)
	}
	assert.Equal(t, bits(before), bits(data.Images), "the dataset is not written")
}

// TestSumSGDRefusesMismatchedLengths: momentum buffers of another length than the weights,
// parts shorter than off + len(w), a negative off and no parts at all panic rather than
// update part of a tensor or read another tensor's values.
func TestSumSGDRefusesMismatchedLengths(t *testing.T) {
	w, parts := make([]float32, 8), [][]float32{make([]float32, 10)}
	for name, f := range map[string]func(){
		"v longer":        func() { cpu.SumSGD(w, make([]float32, 9), parts, 0, 0.1, 0.9) },
		"v shorter":       func() { cpu.SumSGD(w, make([]float32, 7), parts, 0, 0.1, 0.9) },
		"part too short":  func() { cpu.SumSGD(w, make([]float32, 8), parts, 3, 0.1, 0.9) },
		"negative offset": func() { cpu.SumSGD(w, nil, parts, -1, 0.1, 0) },
		"no parts":        func() { cpu.SumSGD(w, nil, nil, 0, 0.1, 0) },
	} {
		assert.Panics(t, f, name)
	}
	assert.NotPanics(t, func() { cpu.SumSGD(w, make([]float32, 8), parts, 2, 0.1, 0.9) }, "parts of exactly off + len(w)")
	assert.NotPanics(t, func() { cpu.SumSGD(w, nil, parts, 0, 0.1, 0) }, "no momentum buffer without momentum")
}
