package ref

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// Cases that the hand and finite-difference tests left open, each found by a deliberate
// wrong change to the reference that every other test of the package let through.

// TestConvAsymmetricPaddingByHand: a `:same` convolution with KH ≠ KW pads the rows and the
// columns by different amounts. Every other case pads both by the same, so reading PadH
// where PadW is meant (in all three functions at once) passed them.
func TestConvAsymmetricPaddingByHand(t *testing.T) {
	w := []float64{1, 10, 100}

	// 2×3 image [[1 2 3] [4 5 6]], kernel 1×3, PadH 0, PadW 1:
	// out[y,x] = 1·in[y,x−1] + 10·in[y,x] + 100·in[y,x+1], zero outside.
	s := model.ConvShape{N: 1, C: 1, H: 2, W: 3, OC: 1, KH: 1, KW: 3, PadW: 1}
	out := make([]float64, 6)
	Conv2DForward(out, []float64{1, 2, 3, 4, 5, 6}, w, []float64{0}, s)
	// row 0: 10+200, 1+20+300, 2+30; row 1: 40+500, 4+50+600, 5+60
	assert.Equal(t, []float64{210, 321, 32, 540, 654, 65}, out)

	// 3×2 image [[1 2] [3 4] [5 6]], kernel 3×1, PadH 1, PadW 0:
	// out[y,x] = 1·in[y−1,x] + 10·in[y,x] + 100·in[y+1,x].
	s = model.ConvShape{N: 1, C: 1, H: 3, W: 2, OC: 1, KH: 3, KW: 1, PadH: 1}
	Conv2DForward(out, []float64{1, 2, 3, 4, 5, 6}, w, []float64{0}, s)
	// row 0: 10+300, 20+400; row 1: 1+30+500, 2+40+600; row 2: 3+50, 4+60
	assert.Equal(t, []float64{310, 420, 531, 642, 53, 64}, out)
}

// TestConvAsymmetricPaddingGradients checks both backward functions by finite differences
// on shapes whose two paddings differ, so that a backward function that swaps them no
// longer agrees with the forward one.
func TestConvAsymmetricPaddingGradients(t *testing.T) {
	for _, s := range []model.ConvShape{
		{N: 2, C: 2, H: 4, W: 5, OC: 2, KH: 3, KW: 1, PadH: 1},
		{N: 1, C: 1, H: 3, W: 6, OC: 2, KH: 1, KW: 5, PadW: 2},
		{N: 1, C: 2, H: 3, W: 4, OC: 2, KH: 2, KW: 3, PadH: 1, PadW: 2}, // full in both directions
	} {
		t.Run(fmt.Sprintf("k%dx%d_pad%dx%d", s.KH, s.KW, s.PadH, s.PadW), func(t *testing.T) {
			src := rng.New(21)
			in, w, b := uniform(src, s.InLen()), uniform(src, s.WeightLen()), uniform(src, s.OC)
			r := uniform(src, s.OutLen())
			out := make([]float64, s.OutLen())
			loss := func() float64 { Conv2DForward(out, in, w, b, s); return dot(r, out) }
			dIn := make([]float64, s.InLen())
			Conv2DBackwardData(dIn, r, w, s)
			checkGrad(t, "dIn", in, loss, dIn)
			dW, dB := make([]float64, s.WeightLen()), make([]float64, s.OC)
			Conv2DBackwardFilter(dW, dB, r, in, s)
			checkGrad(t, "dW", w, loss, dW)
		})
	}
}

// TestDropoutKeepsBitsEqualToThreshold: an element is kept when its bits are ≥ Threshold,
// so bits exactly at the threshold are kept and one below are dropped. The masks of the
// other tests never meet the boundary, so `>` for `≥` passed them; the engines have to
// draw the same mask as the reference bit for bit.
func TestDropoutKeepsBitsEqualToThreshold(t *testing.T) {
	d := model.DropoutParams{Seed: 5, Step: 7, Offset: 40, Scale: 2}
	bits := rng.DropoutBits(d.Seed, d.Step, d.Offset+3) // element 3 of the slice
	in := []float64{1, 1, 1, 1, 1}
	out, dIn := make([]float64, 5), make([]float64, 5)

	d.Threshold = bits
	assert.True(t, Kept(d, 3), "bits %#x, threshold %#x", bits, d.Threshold)
	DropoutForward(out, in, d)
	DropoutBackward(dIn, in, d)
	assert.Equal(t, 2.0, out[3])
	assert.Equal(t, 2.0, dIn[3])

	d.Threshold = bits + 1
	assert.False(t, Kept(d, 3), "bits %#x, threshold %#x", bits, d.Threshold)
	DropoutForward(out, in, d)
	assert.Equal(t, 0.0, out[3])
}

// TestDegenerateShapesAndEmptySlicesPanic: a shape with no input channel or no input
// feature is a programmer error and panics with the package's message, and an empty slice
// where the shape wants values is a wrong length like any other (not an index panic
// later, after part of the output is written).
func TestDegenerateShapesAndEmptySlicesPanic(t *testing.T) {
	cs := model.ConvShape{N: 1, C: 0, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	assert.PanicsWithValue(t, errConvLen, func() { Conv2DForward(make([]float64, 4), nil, nil, []float64{0}, cs) })
	ds := model.DenseShape{N: 2, In: 0, Out: 2}
	assert.PanicsWithValue(t, errDenseLen, func() { DenseForward(make([]float64, 4), nil, nil, make([]float64, 2), ds) })

	cs.C = 1
	out := []float64{7, 7, 7, 7}
	assert.PanicsWithValue(t, errConvLen, func() { Conv2DForward(out, iota16(), kernel3, nil, cs) }, "no bias")
	assert.PanicsWithValue(t, errConvLen, func() { Conv2DForward(out, nil, kernel3, []float64{0}, cs) }, "no input")
	assert.Equal(t, []float64{7, 7, 7, 7}, out, "nothing written")
	assert.PanicsWithValue(t, errConvLen, func() { Conv2DBackwardData(make([]float64, 16), nil, kernel3, cs) }, "no dOut")
	ds.In = 3
	assert.PanicsWithValue(t, errDenseLen, func() { DenseForward(make([]float64, 4), make([]float64, 6), nil, make([]float64, 2), ds) }, "no weights")
}
