package gpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/optest"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

var _ optest.Ops = (*Ops)(nil)

// TestOps runs the shared parity suite: every op against the float64 reference
// (internal/ref) on fresh random inputs, dropout at offsets other than 0 included, and the
// bad-argument cases, under validation with synchronization checks.
func TestOps(t *testing.T) {
	optest.All(t, NewOps(testDevice(t)))
}

// TestEmptyOp: an empty batch is no error and writes what its maths says: nothing into an
// empty output (a write would reach the guard words behind it, which Ops reports as an
// error) and zeros, the sums over no samples, into the weight gradients.
func TestEmptyOp(t *testing.T) {
	o := NewOps(testDevice(t))
	require.NoError(t, o.ReLUForward([]float32{}, []float32{}))
	require.NoError(t, o.Conv2DForward(nil, nil, make([]float32, 36), make([]float32, 3),
		model.ConvShape{N: 0, C: 2, H: 5, W: 4, OC: 3, KH: 3, KW: 2}))

	ds := model.DenseShape{N: 0, In: 3, Out: 2}
	dW, dB := nanSlice(6), nanSlice(2)
	require.NoError(t, o.DenseBackwardWeights(dW, dB, nil, nil, ds))
	assert.Equal(t, make([]float32, 6), dW, "dW = Σ over no samples")
	assert.Equal(t, make([]float32, 2), dB, "dB = Σ over no samples")

	cs := model.ConvShape{N: 0, C: 2, H: 5, W: 4, OC: 3, KH: 3, KW: 2}
	dW, dB = nanSlice(cs.WeightLen()), nanSlice(cs.OC)
	require.NoError(t, o.Conv2DBackwardFilter(dW, dB, nil, nil, cs))
	assert.Equal(t, make([]float32, cs.WeightLen()), dW, "dW = Σ over no samples")
	assert.Equal(t, make([]float32, cs.OC), dB, "dB = Σ over no samples")
}

func randSlice(r *rng.Source, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}
