package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// Tests that close gaps found by mutation testing: each pins a behaviour that a small
// wrong change in the kernels left the other tests passing.

// uniformPair returns n values uniform in [−1, 1) as float32 and the same values as float64.
func uniformPair(src *rng.Source, n int) ([]float32, []float64) {
	x, y := make([]float32, n), make([]float64, n)
	for i := range x {
		x[i] = 2*src.Float32() - 1
		y[i] = float64(x[i])
	}
	return x, y
}

// closeTo reports the first index where got differs from want by more than the rounding of
// a float32 sum of terms products of values in [−1, 1], or −1.
func closeTo(got []float32, want []float64, terms int) int {
	tol := 2e-7 * float64(terms)
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
			return i
		}
	}
	return -1
}

// TestConvBackwardDataOverwritesDIn: Conv2DBackwardData overwrites dIn (its doc), on every
// kernel path, for valid and padded shapes: dIn starts full of NaNs, which any value it
// leaves unwritten (or adds onto instead of clearing) keeps. The shapes include the edges
// of the AVX-512 col2im kernels' choice (col2imNarrow takes output rows of at most 8 and
// input rows of at most 16 values; a row of 17 takes col2imValid, whose 16-lane store mask
// could not hold it). The op suite and TestConv512GroupsAndBlocks pass a zeroed dIn, on
// which a padded convolution that skipped its clear(dIn) passed.
func TestConvBackwardDataOverwritesDIn(t *testing.T) {
	shapes := []model.ConvShape{
		{N: 3, C: 2, H: 12, W: 12, OC: 4, KH: 5, KW: 5},                  // valid, narrow: OW 8, W 12
		{N: 2, C: 2, H: 9, W: 16, OC: 3, KH: 2, KW: 9},                   // valid, narrow at its edge: OW 8, W 16
		{N: 2, C: 2, H: 9, W: 17, OC: 3, KH: 2, KW: 10},                  // valid, OW 8 but W 17: not narrow
		{N: 2, C: 3, H: 10, W: 23, OC: 4, KH: 3, KW: 3},                  // valid, wide rows
		{N: 3, C: 2, H: 7, W: 9, OC: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},  // padded
		{N: 2, C: 3, H: 6, W: 20, OC: 2, KH: 2, KW: 5, PadH: 0, PadW: 2}, // padded columns only
	}
	forEachPath(t, func(t *testing.T) {
		for _, s := range shapes {
			name := fmt.Sprintf("N%d_C%d_%dx%d_OC%d_k%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.PadH, s.PadW)
			src := rng.New(uint64(s.W*97 + s.KW))
			dOut, dOut64 := uniformPair(src, s.OutLen())
			w, w64 := uniformPair(src, s.WeightLen())
			dIn := make([]float32, s.InLen())
			for i := range dIn {
				dIn[i] = float32(math.NaN())
			}
			cpu.Conv2DBackwardData(dIn, dOut, w, s)
			want := make([]float64, s.InLen())
			ref.Conv2DBackwardData(want, dOut64, w64, s)
			if i := closeTo(dIn, want, s.OC*s.KH*s.KW); i >= 0 {
				assert.Failf(t, name, "dIn[%d] = %v, want %v", i, dIn[i], want[i])
			}
		}
	})
}
