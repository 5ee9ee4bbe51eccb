package cpu_test

import (
	"fmt"
	"math"
	"testing"
	"time"

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

// TestConvFilterManySmallPlanes: the weight gradient of a valid convolution over 2048
// samples of 8×8 output planes and one output channel, whose patch matrix of 9 rows takes
// 18 blocks of patchBlockLen values: one row per block. Rows per block computed as
// ⌊K/blocks⌋ instead of ⌈K/blocks⌉ would be 0 there: an empty block, whose patch matrix
// panics on its first sample (were it not to, the loop over the blocks would never end;
// the test fails after a minute instead of hanging).
func TestConvFilterManySmallPlanes(t *testing.T) {
	s := model.ConvShape{N: 2048, C: 1, H: 10, W: 10, OC: 1, KH: 3, KW: 3}
	src := rng.New(5)
	dOut, dOut64 := uniformPair(src, s.OutLen())
	in, in64 := uniformPair(src, s.InLen())
	want, wantB := make([]float64, s.WeightLen()), make([]float64, s.OC)
	ref.Conv2DBackwardFilter(want, wantB, dOut64, in64, s)
	forEachPath(t, func(t *testing.T) {
		dW, dB := make([]float32, s.WeightLen()), make([]float32, s.OC)
		done := make(chan struct{})
		go func() {
			defer close(done)
			cpu.Conv2DBackwardFilter(dW, dB, dOut, in, s)
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("Conv2DBackwardFilter did not return within a minute")
		}
		terms := s.N * s.OH() * s.OW()
		if i := closeTo(dW, want, terms); i >= 0 {
			assert.Failf(t, "dW", "dW[%d] = %v, want %v", i, dW[i], want[i])
		}
		if i := closeTo(dB, wantB, terms); i >= 0 {
			assert.Failf(t, "dB", "dB[%d] = %v, want %v", i, dB[i], wantB[i])
		}
	})
}

// biasGradOrder is the conv bias gradient dB[o] = Σ_n Σ_p dOut[n, o, p] in the order the
// AVX-512 path documents (convBiasGradSIMD), lane by lane in float32: four accumulators of
// 16 lanes take each plane 64 values at a time, then the first 16 at a time, then the
// second the last 1…15 (and +0 in its other lanes); (0 + 1) + (2 + 3), then lanes l and
// l + 8, then l and l + 4, then (0 + 1) + (2 + 3).
func biasGradOrder(dOut []float32, s model.ConvShape) []float32 {
	p := s.OH() * s.OW()
	dB := make([]float32, s.OC)
	for o := range s.OC {
		var a [4][16]float32
		for n := range s.N {
			plane := dOut[(n*s.OC+o)*p : (n*s.OC+o+1)*p]
			i := 0
			for ; i+64 <= p; i += 64 {
				for q := range 4 {
					for l := range 16 {
						a[q][l] += plane[i+16*q+l]
					}
				}
			}
			for ; i+16 <= p; i += 16 {
				for l := range 16 {
					a[0][l] += plane[i+l]
				}
			}
			if i < p {
				for l := range 16 {
					var v float32
					if i+l < p {
						v = plane[i+l]
					}
					a[1][l] += v
				}
			}
		}
		var t [16]float32
		for l := range 16 {
			t[l] = (a[0][l] + a[1][l]) + (a[2][l] + a[3][l])
		}
		var h [8]float32
		for l := range 8 {
			h[l] = t[l] + t[l+8]
		}
		var q [4]float32
		for l := range 4 {
			q[l] = h[l] + h[l+4]
		}
		dB[o] = (q[0] + q[1]) + (q[2] + q[3])
	}
	return dB
}

// TestConvBiasGradientOrderAVX512: the AVX-512 path's conv bias gradient is, bit for bit,
// the sum in its documented order, on planes that end at each of its loops (P = 576 in
// blocks of 64; 144 with a last block of 16; 25 = 16 + 9; 9; 4): a last block of exactly
// 16 taken as a partial one (into another accumulator) stayed within the tolerance of
// every other test.
func TestConvBiasGradientOrderAVX512(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, s := range []model.ConvShape{
			{N: 3, C: 1, H: 28, W: 28, OC: 2, KH: 5, KW: 5}, // P 24·24
			{N: 3, C: 2, H: 16, W: 16, OC: 3, KH: 5, KW: 5}, // P 12·12
			{N: 5, C: 1, H: 7, W: 7, OC: 2, KH: 3, KW: 3},   // P 5·5
			{N: 5, C: 2, H: 5, W: 5, OC: 2, KH: 3, KW: 3},   // P 3·3
			{N: 9, C: 1, H: 4, W: 4, OC: 2, KH: 3, KW: 3},   // P 2·2
		} {
			src := rng.New(uint64(s.H))
			dOut, _ := uniformPair(src, s.OutLen())
			in, _ := uniformPair(src, s.InLen())
			dW, dB := make([]float32, s.WeightLen()), make([]float32, s.OC)
			cpu.Conv2DBackwardFilter(dW, dB, dOut, in, s)
			assert.Equal(t, biasGradOrder(dOut, s), dB, "P %d×%d", s.OH(), s.OW())
		}
	}, "avx512")
}
