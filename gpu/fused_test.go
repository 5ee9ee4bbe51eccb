package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"vkcnn/cpu"
	"vkcnn/internal/rng"
	"vkcnn/model"
)

// The fused kernels (a conv or dense layer with the ReLU or sigmoid after it, see
// fusedAct) are checked two ways on each shape: against the CPU reference of the pair of
// ops they replace, within the parity suite's tolerances, and against the GPU's own
// unfused pair of dispatches, bit for bit — the fused kernels apply the activation
// shaders' expressions in the same order, so fusing changes no result of the engine.

// fusedTol is |got − ref| ≤ Atol + Rtol·|ref|, the tolerance of the layer's own op in
// internal/optest (the CPU and the GPU sum in different orders): ReLU only selects values,
// the sigmoid's slope is at most 1/4 and adds its exponential's few ulp (5e-6 relative,
// as optest's sigmoid tolerance), and the backward gradients dOut·act'(y) are the same
// float32 products on both sides.
type fusedTol struct{ atol, rtol float64 }

var (
	fusedConvForwardTol = fusedTol{1e-5 + 1e-7, 1e-4 + 5e-6}
	fusedConvDataTol    = fusedTol{1e-5, 1e-4}
	fusedConvFilterTol  = fusedTol{4e-5, 1e-4} // dOut scaled by 1/√(N·OH·OW), as in optest
	fusedDenseTol       = fusedTol{2e-5 + 1e-7, 1e-4 + 5e-6}
)

// fusedConvShapes: batch 1, 3 and 64, the default network's layers (conv1 at batch 1 and
// conv2 at batch 3 take the serial filter gradient, the batch-64 shapes the workgroup
// reduction), valid, same and full padding, odd and non-square sizes.
var fusedConvShapes = []model.ConvShape{
	{N: 1, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},
	{N: 3, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},
	{N: 64, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},
	{N: 3, C: 3, H: 7, W: 5, OC: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},
	{N: 1, C: 2, H: 7, W: 5, OC: 5, KH: 3, KW: 2, PadH: 2, PadW: 1},
	{N: 64, C: 2, H: 7, W: 5, OC: 3, KH: 3, KW: 2, PadH: 1},
}

// fusedDenseShapes: batch 1, 3 and 64, In a multiple of 4 and not (the forward's tail).
var fusedDenseShapes = []model.DenseShape{
	{N: 1, In: 192, Out: 10},
	{N: 3, In: 7, Out: 5},
	{N: 64, In: 128, Out: 16},
	{N: 64, In: 30, Out: 100},
}

// fusedActs are the activations a kernel fuses, with their CPU and GPU ops.
var fusedActs = []struct {
	name     string
	a        act
	fwd, bwd func(dst, src, aux []float32)
	gpuFwd   func(o *Ops, out, in []float32) error
	gpuBwd   func(o *Ops, dIn, dOut, out []float32) error
}{
	{"relu", actReLU,
		func(out, in, _ []float32) { cpu.ReLUForward(out, in) }, cpu.ReLUBackward,
		(*Ops).ReLUForward, (*Ops).ReLUBackward},
	{"sigmoid", actSigmoid,
		func(out, in, _ []float32) { cpu.SigmoidForward(out, in) }, cpu.SigmoidBackward,
		(*Ops).SigmoidForward, (*Ops).SigmoidBackward},
}

func TestFusedConv(t *testing.T) {
	o := NewOps(testDevice(t))
	for si, s := range fusedConvShapes {
		for _, f := range fusedActs {
			name := fmt.Sprintf("N%d_C%d_%dx%d_OC%d_k%dx%d_pad%dx%d/%s", s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.PadH, s.PadW, f.name)
			t.Run(name, func(t *testing.T) {
				r := rng.New(uint64(100 + si))
				bound := float32(1 / math.Sqrt(float64(s.C*s.KH*s.KW)))
				in := randSlice(r, s.InLen(), -1, 1)
				w := randSlice(r, s.WeightLen(), -bound, bound)
				b := randSlice(r, s.OC, -bound, bound)

				// Forward: y = act(conv(in)).
				y := nanSlice(s.OutLen())
				require.NoError(t, o.conv2DForwardAct(y, in, w, b, s, f.a))
				z, ref := make([]float32, s.OutLen()), make([]float32, s.OutLen())
				cpu.Conv2DForward(z, in, w, b, s)
				f.fwd(ref, z, nil)
				expectClose(t, "y vs cpu", y, ref, fusedConvForwardTol)
				gz, pair := nanSlice(s.OutLen()), nanSlice(s.OutLen())
				require.NoError(t, o.Conv2DForward(gz, in, w, b, s))
				require.NoError(t, f.gpuFwd(o, pair, gz))
				requireSameBits(t, "y vs the gpu pair", y, pair)

				// Backward from dY, the activation's output gradient, and y itself.
				dY := randSlice(r, s.OutLen(), -1, 1)
				dZ := make([]float32, s.OutLen())
				f.bwd(dZ, dY, y)
				gdZ := nanSlice(s.OutLen())
				require.NoError(t, f.gpuBwd(o, gdZ, dY, y))

				dIn := nanSlice(s.InLen())
				require.NoError(t, o.conv2DBackwardDataAct(dIn, dY, w, y, s, f.a))
				refIn := make([]float32, s.InLen())
				cpu.Conv2DBackwardData(refIn, dZ, w, s)
				expectClose(t, "dIn vs cpu", dIn, refIn, fusedConvDataTol)
				pairIn := nanSlice(s.InLen())
				require.NoError(t, o.Conv2DBackwardData(pairIn, gdZ, w, s))
				requireSameBits(t, "dIn vs the gpu pair", dIn, pairIn)

				// The filter gradient sums N·OH·OW terms: scale dY so that dW stays of
				// order one, as optest does.
				scale := float32(1 / math.Sqrt(float64(s.N*s.OH()*s.OW())))
				for i := range dY {
					dY[i] *= scale
				}
				f.bwd(dZ, dY, y)
				require.NoError(t, f.gpuBwd(o, gdZ, dY, y))
				dW, dB := nanSlice(s.WeightLen()), nanSlice(s.OC)
				require.NoError(t, o.conv2DBackwardFilterAct(dW, dB, dY, in, y, s, f.a))
				refW, refB := make([]float32, s.WeightLen()), make([]float32, s.OC)
				cpu.Conv2DBackwardFilter(refW, refB, dZ, in, s)
				expectClose(t, "dW vs cpu", dW, refW, fusedConvFilterTol)
				expectClose(t, "dB vs cpu", dB, refB, fusedConvFilterTol)
				pairW, pairB := nanSlice(s.WeightLen()), nanSlice(s.OC)
				require.NoError(t, o.Conv2DBackwardFilter(pairW, pairB, gdZ, in, s))
				requireSameBits(t, "dW vs the gpu pair", dW, pairW)
				requireSameBits(t, "dB vs the gpu pair", dB, pairB)
			})
		}
	}
}

func TestFusedDense(t *testing.T) {
	o := NewOps(testDevice(t))
	for si, s := range fusedDenseShapes {
		for _, f := range fusedActs {
			t.Run(fmt.Sprintf("N%d_in%d_out%d/%s", s.N, s.In, s.Out, f.name), func(t *testing.T) {
				r := rng.New(uint64(200 + si))
				bound := float32(1 / math.Sqrt(float64(s.In)))
				in := randSlice(r, s.N*s.In, -1, 1)
				w := randSlice(r, s.Out*s.In, -bound, bound)
				b := randSlice(r, s.Out, -bound, bound)

				y := nanSlice(s.N * s.Out)
				require.NoError(t, o.denseForwardAct(y, in, w, b, s, f.a))
				z, ref := make([]float32, s.N*s.Out), make([]float32, s.N*s.Out)
				cpu.DenseForward(z, in, w, b, s)
				f.fwd(ref, z, nil)
				expectClose(t, "y vs cpu", y, ref, fusedDenseTol)
				gz, pair := nanSlice(s.N*s.Out), nanSlice(s.N*s.Out)
				require.NoError(t, o.DenseForward(gz, in, w, b, s))
				require.NoError(t, f.gpuFwd(o, pair, gz))
				requireSameBits(t, "y vs the gpu pair", y, pair)

				dY := randSlice(r, s.N*s.Out, -1, 1)
				dZ := make([]float32, s.N*s.Out)
				f.bwd(dZ, dY, y)
				gdZ := nanSlice(s.N * s.Out)
				require.NoError(t, f.gpuBwd(o, gdZ, dY, y))

				dIn := nanSlice(s.N * s.In)
				require.NoError(t, o.denseBackwardDataAct(dIn, dY, w, y, s, f.a))
				refIn := make([]float32, s.N*s.In)
				cpu.DenseBackwardData(refIn, dZ, w, s)
				expectClose(t, "dIn vs cpu", dIn, refIn, fusedDenseTol)
				pairIn := nanSlice(s.N * s.In)
				require.NoError(t, o.DenseBackwardData(pairIn, gdZ, w, s))
				requireSameBits(t, "dIn vs the gpu pair", dIn, pairIn)

				dW, dB := nanSlice(s.Out*s.In), nanSlice(s.Out)
				require.NoError(t, o.denseBackwardWeightsAct(dW, dB, dY, in, y, s, f.a))
				refW, refB := make([]float32, s.Out*s.In), make([]float32, s.Out)
				cpu.DenseBackwardWeights(refW, refB, dZ, in, s)
				expectClose(t, "dW vs cpu", dW, refW, fusedDenseTol)
				expectClose(t, "dB vs cpu", dB, refB, fusedDenseTol)
				pairW, pairB := nanSlice(s.Out*s.In), nanSlice(s.Out)
				require.NoError(t, o.DenseBackwardWeights(pairW, pairB, gdZ, in, s))
				requireSameBits(t, "dW vs the gpu pair", dW, pairW)
				requireSameBits(t, "dB vs the gpu pair", dB, pairB)
			})
		}
	}
}

// TestFusedReLUMasksExactly: the fused backward keeps dOut exactly where y > 0 and gives
// +0 elsewhere (y = 0 or −0), the CPU's ReLUBackward rule; with act 0 it reads dOut as is.
func TestFusedReLUMasksExactly(t *testing.T) {
	o := NewOps(testDevice(t))
	s := model.DenseShape{N: 1, In: 1, Out: 6}
	w := []float32{1, 1, 1, 1, 1, 1}
	dY := []float32{3, -5, 7, 11, -13, 17}
	y := []float32{0.5, 0, float32(math.Copysign(0, -1)), 1e-30, 2, 0}
	dW, dB := nanSlice(6), nanSlice(6)
	require.NoError(t, o.denseBackwardWeightsAct(dW, dB, dY, []float32{1}, y, s, actReLU))
	want := []float32{3, 0, 0, 11, -13, 0}
	requireSameBits(t, "dW", dW, want)
	requireSameBits(t, "dB", dB, want)
	require.NoError(t, o.DenseBackwardWeights(dW, dB, dY, []float32{1}, s))
	requireSameBits(t, "dW without act", dW, dY)
	dIn := nanSlice(1)
	require.NoError(t, o.denseBackwardDataAct(dIn, dY, w, y, s, actReLU))
	requireSameBits(t, "dIn", dIn, []float32{3 + 11 - 13})
}

// expectClose fails t when some got[i] is off ref[i] by more than tol, naming the first
// and the largest difference.
func expectClose(t *testing.T, what string, got, ref []float32, tol fusedTol) {
	t.Helper()
	require.Len(t, got, len(ref), what)
	bad, first, worst, at := 0, -1, 0.0, 0
	for i := range ref {
		d := math.Abs(float64(got[i]) - float64(ref[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
		if !(d <= tol.atol+tol.rtol*math.Abs(float64(ref[i]))) {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance; first at %d: got %g, ref %g; max |diff| %g at %d",
			what, bad, len(ref), first, got[first], ref[first], worst, at)
	}
}

// requireSameBits fails t unless got and want are bitwise equal.
func requireSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: differs at %d of %d: got %g (0x%08x), want %g (0x%08x)",
				what, i, len(want), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}
