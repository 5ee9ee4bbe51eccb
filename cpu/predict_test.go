package cpu_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// logitsFloat64 is the network's logits on the n images x, computed in float64 with the
// reference ops of internal/ref, dropout off (evaluation).
func logitsFloat64(a *model.Arch, p *model.Params, x []float32, n int) []float64 {
	p64 := make([][]float64, len(p.Tensors))
	for i, t := range p.Tensors {
		p64[i] = ref.To64(t.Data)
	}
	return forward64(a, p64, x, n, nil)
}

// TestPredictorMatchesReference runs every preset and a network of every other layer kind
// on random images — 67 of them, so that a chunk of 64 and a partial one both run — and
// compares the logits with the float64 reference. Tolerance 1e-4·(1+|ref|): the logits are
// sums of at most a few thousand float32 products of values around 1, whose rounding is
// about 1e-6 relative, so 1e-4 is ~100× the expected error while a wrong layer (a mask
// applied, a pool or a padding off by one) moves logits by 1e-2 or more.
func TestPredictorMatchesReference(t *testing.T) {
	const n = 67
	for _, spec := range gradArchs() {
		t.Run(spec, func(t *testing.T) {
			a, err := model.Parse(spec)
			require.NoError(t, err)
			p := a.InitParams(7)
			images := randomSet(n, a.Input, 3).Images
			pr, err := cpu.NewPredictor(a, p)
			require.NoError(t, err)
			got, err := pr.Logits(images)
			require.NoError(t, err)
			want := logitsFloat64(a, p, images, n)
			require.Len(t, got, len(want))
			worst, at := 0.0, -1
			for i := range want {
				if d := math.Abs(float64(got[i])-want[i]) / (1 + math.Abs(want[i])); d > worst {
					worst, at = d, i
				}
			}
			assert.Less(t, worst, 1e-4, "largest scaled difference at logit %d (image %d): got %g, want %g", at, at/a.Classes, got[max(at, 0)], want[max(at, 0)])
		})
	}
}

// TestPredictorImageByImage checks that an image's logits do not depend on the images run
// with it, and that the predictor keeps its own copy of the parameters.
func TestPredictorImageByImage(t *testing.T) {
	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	p := a.InitParams(1)
	pr, err := cpu.NewPredictor(a, p)
	require.NoError(t, err)
	images := randomSet(70, a.Input, 5).Images
	all, err := pr.Logits(images)
	require.NoError(t, err)
	for i := range p.Tensors {
		clear(p.Tensors[i].Data)
	}
	in := a.Input.Len()
	for _, i := range []int{0, 63, 64, 69} {
		one, err := pr.Logits(images[i*in : (i+1)*in])
		require.NoError(t, err)
		assert.Equal(t, all[i*10:(i+1)*10], one, "image %d alone", i)
	}
	none, err := pr.Logits(nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}

// TestPredictorBadInput: parameters of another arch and a partial image are errors.
func TestPredictorBadInput(t *testing.T) {
	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	b, err := model.Parse("lenet-12-16")
	require.NoError(t, err)
	_, err = cpu.NewPredictor(a, b.InitParams(1))
	assert.ErrorContains(t, err, "params: tensor 0")
	_, err = cpu.NewPredictor(a, nil)
	assert.ErrorContains(t, err, "needs an arch and its parameters")
	pr, err := cpu.NewPredictor(a, a.InitParams(1))
	require.NoError(t, err)
	_, err = pr.Logits(make([]float32, 784+5))
	assert.EqualError(t, err, "cpu: 789 input values are not whole images of 1×28×28")
}
