package cpu_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/rng"
)

// TestSumSGDIsTheSumThenSGDUpdate: the engine's one-pass update from its chunk gradients
// gives, on every kernel path, the bits of summing the chunks in order into one gradient
// and calling SGDUpdate, with and without momentum, for 1, 2 and 8 chunks and lengths that
// leave a tail to the scalar loop.
func TestSumSGDIsTheSumThenSGDUpdate(t *testing.T) {
	src := rng.New(8)
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 8, 37, 1000} {
			for _, chunks := range []int{1, 2, 8} {
				for _, mom := range []float32{0, 0.9} {
					parts := make([][]float32, chunks)
					for c := range parts {
						parts[c] = wideSlice(src, n)
					}
					w0, v0 := wideSlice(src, n), wideSlice(src, n)
					g := slices.Clone(parts[0])
					for _, p := range parts[1:] {
						for i, x := range p {
							g[i] += x
						}
					}
					wantW, wantV := slices.Clone(w0), slices.Clone(v0)
					cpu.SGDUpdate(wantW, wantV, g, 0.037, mom)
					w, v := slices.Clone(w0), slices.Clone(v0)
					cpu.SumSGD(w, v, parts, 0.037, mom)
					assert.Equal(t, bits(wantW), bits(w), "w: %d values, %d chunks, momentum %g", n, chunks, mom)
					assert.Equal(t, bits(wantV), bits(v), "v: %d values, %d chunks, momentum %g", n, chunks, mom)
				}
			}
		}
	})
}

// TestTrainingStepIsGradientThenSGDUpdate: a training step of 20 samples (three chunks)
// moves the weights exactly as SGDUpdate does with the gradient Gradient reports for the
// same samples, with momentum, on a second step too (the momentum buffer of the first).
func TestTrainingStepIsGradientThenSGDUpdate(t *testing.T) {
	const n = 20
	e, a := newEngine(t, "lenet-6-12", n, n)
	ref, _ := newEngine(t, "lenet-6-12", n, n)
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
