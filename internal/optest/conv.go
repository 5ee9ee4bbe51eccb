package optest

import (
	"fmt"
	"math"
	"testing"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// Tolerances of the convolutions, against the exact (float64) sums. Inputs are uniform in
// [−1, 1) and weights in ±1/√fanIn (the initialisation), so every output is a sum of up to
// a few hundred terms whose magnitudes add up to a few units; a float32 implementation sums
// them in its own order (blocked, vectorised, with fused multiply-adds or not), off the
// exact sum by about √terms·2^−24 of that magnitude, terms·2^−24 at worst. A naive float32
// loop, one output at a time in formula order (what a simple shader does), was measured up
// to 7e-7 (out, dIn) and 4e-6 (dW of the 36,864-term sums) from the exact sums; the bounds
// leave an order of magnitude above that.
var (
	// convForwardTol: out = b + Σ of C·KH·KW ≤ 800 products.
	convForwardTol = Tol{Atol: 1e-5, Rtol: 1e-4}
	// convBackwardDataTol: dIn = Σ of OC·KH·KW ≤ 800 products.
	convBackwardDataTol = Tol{Atol: 1e-5, Rtol: 1e-4}
	// convBackwardFilterTol: dW = Σ of N·OH·OW ≤ 36,864 products with dOut scaled by
	// 1/√(N·OH·OW), so that dW stays of order one while its rounding grows with √terms.
	convBackwardFilterTol = Tol{Atol: 4e-5, Rtol: 1e-4}
)

// ConvShapes are the convolutions every conv test runs: the presets' real layers at
// batch 1, 3 and 64, odd and non-square images, kernels of 1×1, 3×2, 3×3, 5×5 and one
// larger than the image, valid, same and full padding, rows wider than the CPU kernels'
// padded-row buffer, and an empty batch (whose filter gradient is zero).
var ConvShapes = []model.ConvShape{
	// lenet-6-12, the default network
	{N: 1, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},
	{N: 3, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},
	{N: 64, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},
	{N: 1, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},
	{N: 3, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},
	{N: 64, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},
	// lenet-16-32's second, conv3-6-12-16's 1×1 and conv3-16-32-32's 3×3 layers
	{N: 3, C: 16, H: 12, W: 12, OC: 32, KH: 5, KW: 5},
	{N: 64, C: 12, H: 4, W: 4, OC: 16, KH: 1, KW: 1},
	{N: 64, C: 32, H: 4, W: 4, OC: 32, KH: 3, KW: 3},
	// odd and non-square
	{N: 3, C: 2, H: 7, W: 5, OC: 3, KH: 3, KW: 2},
	{N: 64, C: 2, H: 7, W: 5, OC: 3, KH: 3, KW: 2, PadH: 1},
	{N: 1, C: 2, H: 7, W: 5, OC: 5, KH: 3, KW: 2, PadH: 2, PadW: 1}, // full
	{N: 3, C: 3, H: 7, W: 5, OC: 4, KH: 3, KW: 3, PadH: 1, PadW: 1}, // same
	{N: 3, C: 2, H: 5, W: 9, OC: 3, KH: 1, KW: 3, PadW: 1},          // padded along W only
	{N: 3, C: 5, H: 7, W: 5, OC: 3, KH: 1, KW: 1},
	{N: 3, C: 2, H: 7, W: 5, OC: 3, KH: 5, KW: 5, PadH: 2, PadW: 2}, // same
	{N: 1, C: 1, H: 3, W: 4, OC: 2, KH: 5, KW: 5, PadH: 4, PadW: 4}, // full, kernel > image
	{N: 1, C: 2, H: 10, W: 70, OC: 8, KH: 3, KW: 3},                 // wide rows
	{N: 0, C: 2, H: 7, W: 5, OC: 3, KH: 3, KW: 2, PadH: 1},          // empty batch
}

func convName(s model.ConvShape) string {
	return fmt.Sprintf("N%d_C%d_%dx%d_OC%d_k%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.PadH, s.PadW)
}

// weights returns an input of n values uniform in ±1/√fanIn.
func (e *env) weights(name string, n, fanIn int) []float32 {
	bound := float32(1 / math.Sqrt(float64(fanIn)))
	return e.uniform(name, n, -bound, bound)
}

// Conv2DForward checks ops.Conv2DForward against ref.Conv2DForward.
func Conv2DForward(t *testing.T, ops Ops) {
	for _, s := range ConvShapes {
		run(t, "Conv2DForward", convName(s), func(e *env) {
			fan := s.C * s.KH * s.KW
			in := e.uniform("in", s.InLen(), -1, 1)
			w := e.weights("w", s.WeightLen(), fan)
			b := e.weights("b", s.OC, fan)
			out := e.out("out", s.OutLen())
			e.check(ops.Conv2DForward(out, in, w, b, s))
			want := make([]float64, s.OutLen())
			ref.Conv2DForward(want, ref.To64(in), ref.To64(w), ref.To64(b), s)
			e.expect("out", out, want, convForwardTol)
		})
	}
}

// Conv2DBackwardData checks ops.Conv2DBackwardData against ref.Conv2DBackwardData.
func Conv2DBackwardData(t *testing.T, ops Ops) {
	for _, s := range ConvShapes {
		run(t, "Conv2DBackwardData", convName(s), func(e *env) {
			dOut := e.uniform("dOut", s.OutLen(), -1, 1)
			w := e.weights("w", s.WeightLen(), s.C*s.KH*s.KW)
			dIn := e.out("dIn", s.InLen())
			e.check(ops.Conv2DBackwardData(dIn, dOut, w, s))
			want := make([]float64, s.InLen())
			ref.Conv2DBackwardData(want, ref.To64(dOut), ref.To64(w), s)
			e.expect("dIn", dIn, want, convBackwardDataTol)
		})
	}
}

// Conv2DBackwardFilter checks ops.Conv2DBackwardFilter against ref.Conv2DBackwardFilter.
func Conv2DBackwardFilter(t *testing.T, ops Ops) {
	for _, s := range ConvShapes {
		run(t, "Conv2DBackwardFilter", convName(s), func(e *env) {
			dOut := e.weights("dOut", s.OutLen(), s.N*s.OH()*s.OW())
			in := e.uniform("in", s.InLen(), -1, 1)
			dW, dB := e.out("dW", s.WeightLen()), e.out("dB", s.OC)
			e.check(ops.Conv2DBackwardFilter(dW, dB, dOut, in, s))
			wantW, wantB := make([]float64, s.WeightLen()), make([]float64, s.OC)
			ref.Conv2DBackwardFilter(wantW, wantB, ref.To64(dOut), ref.To64(in), s)
			e.expect("dW", dW, wantW, convBackwardFilterTol)
			e.expect("dB", dB, wantB, convBackwardFilterTol)
		})
	}
}
