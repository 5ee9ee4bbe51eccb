//go:build goexperiment.simd && amd64

package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// TestConv512GroupsAndBlocks runs the three AVX-512 convolutions against the float64
// reference on the shapes that take their less common paths, which the op suite's small
// shapes do not reach: a weight gradient summed sample by sample (P ≥ filterOwnTerms),
// several blocks of patch rows (past patchBlockLen), products batched over the samples
// (P < 64) with a last partial group, and padded shapes whose weight gradient takes
// several gathered groups (patch matrices past filterGroupLen).
func TestConv512GroupsAndBlocks(t *testing.T) {
	if !HasAVX512() {
		t.Skip("this CPU has no AVX-512: the kernels cannot run (reported by the kernel path tests)")
	}
	defer SetAVX512(SetAVX512(true))
	defer SetSIMD(SetSIMD(true))
	for _, s := range []model.ConvShape{
		{N: 8, C: 16, H: 12, W: 12, OC: 32, KH: 5, KW: 5},                 // lenet-16-32 conv2: 4 blocks of patch rows
		{N: 64, C: 1, H: 28, W: 28, OC: 16, KH: 5, KW: 5},                 // 3 sample groups in the weight gradient
		{N: 21, C: 32, H: 4, W: 4, OC: 32, KH: 3, KW: 3},                  // P = 4: groups of 16 samples, the last of 5
		{N: 30, C: 3, H: 9, W: 31, OC: 5, KH: 3, KW: 4, PadH: 1, PadW: 2}, // padded, P = 9·32: groups
		{N: 40, C: 2, H: 40, W: 40, OC: 3, KH: 2, KW: 2, PadH: 1},         // padded, weight gradient in 2 groups
	} {
		t.Run(fmt.Sprintf("N%d_C%d_%dx%d_OC%d_k%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.PadH, s.PadW), func(t *testing.T) {
			src := rng.New(uint64(s.N*131 + s.C))
			rnd := func(n int) ([]float32, []float64) {
				x, y := make([]float32, n), make([]float64, n)
				for i := range x {
					x[i] = 2*src.Float32() - 1
					y[i] = float64(x[i])
				}
				return x, y
			}
			in, in64 := rnd(s.InLen())
			w, w64 := rnd(s.WeightLen())
			b, b64 := rnd(s.OC)
			dOut, dOut64 := rnd(s.OutLen())
			// Each output is a sum of K = C·KH·KW (forward, data: OC·KH·KW) or N·P
			// (filter) products of values in [−1, 1]: float32 rounding of that many.
			check := func(name string, got []float32, want []float64, terms int) {
				tol := 2e-7 * float64(terms)
				for i := range got {
					if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
						assert.Failf(t, name, "index %d: got %v, want %v (tolerance %.3g)", i, got[i], want[i], tol)
						return
					}
				}
			}
			out, out64 := make([]float32, s.OutLen()), make([]float64, s.OutLen())
			Conv2DForward(out, in, w, b, s)
			ref.Conv2DForward(out64, in64, w64, b64, s)
			check("forward", out, out64, s.C*s.KH*s.KW)
			dIn, dIn64 := make([]float32, s.InLen()), make([]float64, s.InLen())
			Conv2DBackwardData(dIn, dOut, w, s)
			ref.Conv2DBackwardData(dIn64, dOut64, w64, s)
			check("data", dIn, dIn64, s.OC*s.KH*s.KW)
			dW, dW64 := make([]float32, s.WeightLen()), make([]float64, s.WeightLen())
			dB, dB64 := make([]float32, s.OC), make([]float64, s.OC)
			Conv2DBackwardFilter(dW, dB, dOut, in, s)
			ref.Conv2DBackwardFilter(dW64, dB64, dOut64, in64, s)
			check("filter", dW, dW64, s.N*s.OH()*s.OW())
			check("bias", dB, dB64, s.N*s.OH()*s.OW())
		})
	}
}
