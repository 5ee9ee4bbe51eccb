package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// A ReLU or sigmoid after a conv or dense layer is fused (see fusedAct): the layer's
// forward writes act(v), and the backward of the layer after the activation (the producer
// of the activation's output gradient) multiplies its dIn by act'(x), x being its own
// input, the activation's output. Both halves are checked on each shape against the
// float64 reference (internal/ref, the oracle of internal/optest) of the pair of ops they
// replace, within stated tolerances, and against the GPU's own unfused pair of
// dispatches, bit for bit — the fused kernels apply the activation shaders' expressions in
// the same order, so fusing changes no result of the engine.

// fusedTol is |got − ref| ≤ atol + rtol·|ref|, got the GPU's float32 result and ref the
// float64 reference's. It is the layer's own tolerance in internal/optest (its float32
// sums against exact ones: convForwardTol, convBackwardDataTol, denseTol) plus the
// activation's: ReLU only selects values (a sum that rounds across 0 is off by less than
// the sum's own tolerance); the sigmoid's slope is at most 1/4, so it shrinks the sum's
// error, and adds its exponential's few ulp (optest's sigmoidForwardTol, 1e-7 + 5e-6
// relative); σ'(x) = x·(1−x) multiplies dIn by two float32 roundings more (1e-6 relative,
// optest's sigmoidBackwardTol).
type fusedTol struct{ atol, rtol float64 }

var (
	fusedConvForwardTol = fusedTol{1e-5 + 1e-7, 1e-4 + 5e-6}
	fusedConvDataTol    = fusedTol{1e-5, 1e-4 + 1e-6}
	fusedDenseTol       = fusedTol{2e-5 + 1e-7, 1e-4 + 5e-6}
	// Pools and dropout sum nothing: max-pool and dropout move values (dropout's ·Scale is
	// one rounding, 6e-8 relative), avgpool's 1/Size² is a few ulp (GPU division is not
	// correctly rounded), and σ' adds its two roundings.
	fusedSelectTol = fusedTol{1e-7, 1e-6}
)

// fusedConvShapes: batch 1, 3 and 64, the default network's layers, valid, same and full
// padding, odd and non-square sizes.
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

// fusedPoolShapes: the default network's pools at batch 64 and 1, floor remainder rows and
// columns (dIn 0 there whatever x is), a 3×3 window.
var fusedPoolShapes = []model.PoolShape{
	{N: 64, C: 6, H: 24, W: 24, Size: 2},
	{N: 1, C: 12, H: 8, W: 8, Size: 2},
	{N: 3, C: 2, H: 7, W: 9, Size: 2},
	{N: 2, C: 3, H: 10, W: 9, Size: 3},
}

// fusedActs are the activations a kernel fuses, with their float64 reference and GPU ops.
var fusedActs = []struct {
	name   string
	a      act
	fwd    func(out, in []float64)
	bwd    func(dIn, dOut, out []float64)
	gpuFwd func(o *Ops, out, in []float32) error
	gpuBwd func(o *Ops, dIn, dOut, out []float32) error
}{
	{"relu", actReLU, ref.ReLUForward, ref.ReLUBackward, (*Ops).ReLUForward, (*Ops).ReLUBackward},
	{"sigmoid", actSigmoid, ref.SigmoidForward, ref.SigmoidBackward, (*Ops).SigmoidForward, (*Ops).SigmoidBackward},
}

// act32 is the activation f of float32 values, rounded to float32: the GPU's input x of a
// producer kernel, the activation's output.
func act32(f func(out, in []float64), in []float32) []float32 {
	out := make([]float64, len(in))
	f(out, ref.To64(in))
	return ref.To32(out)
}

func TestFusedConvForward(t *testing.T) {
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

				y := nanSlice(s.OutLen())
				require.NoError(t, o.conv2DForwardAct(y, in, w, b, s, f.a))
				z, want := make([]float64, s.OutLen()), make([]float64, s.OutLen())
				ref.Conv2DForward(z, ref.To64(in), ref.To64(w), ref.To64(b), s)
				f.fwd(want, z)
				expectClose(t, "y vs the reference", y, want, fusedConvForwardTol)
				gz, pair := nanSlice(s.OutLen()), nanSlice(s.OutLen())
				require.NoError(t, o.Conv2DForward(gz, in, w, b, s))
				require.NoError(t, f.gpuFwd(o, pair, gz))
				requireSameBits(t, "y vs the gpu pair", y, pair)
			})
		}
	}
}

func TestFusedDenseForward(t *testing.T) {
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
				z, want := make([]float64, s.N*s.Out), make([]float64, s.N*s.Out)
				ref.DenseForward(z, ref.To64(in), ref.To64(w), ref.To64(b), s)
				f.fwd(want, z)
				expectClose(t, "y vs the reference", y, want, fusedDenseTol)
				gz, pair := nanSlice(s.N*s.Out), nanSlice(s.N*s.Out)
				require.NoError(t, o.DenseForward(gz, in, w, b, s))
				require.NoError(t, f.gpuFwd(o, pair, gz))
				requireSameBits(t, "y vs the gpu pair", y, pair)
			})
		}
	}
}

// producerCase is one backward kernel that applies an activation's derivative to its dIn:
// its plain float64 reference and GPU op, and the GPU op with act, over dOut (outLen
// values) and the forward input x.
type producerCase struct {
	name   string
	x      []float32
	outLen int
	tol    fusedTol
	ref    func(dIn, dOut []float64)
	gpu    func(o *Ops, dIn, dOut []float32) error
	gpuAct func(o *Ops, dIn, dOut, x []float32, a act) error
}

// producerCases are every producer kernel on its shapes, with forward inputs drawn by
// newX (max-pool's argmax is that of its x, as the engine's).
func producerCases(r *rng.Source, newX func(n int) []float32) []producerCase {
	var cs []producerCase
	for _, s := range fusedPoolShapes {
		x := newX(s.InLen())
		out, am := make([]float64, s.OutLen()), make([]int32, s.OutLen())
		ref.MaxPoolForward(out, am, ref.To64(x), s)
		shape := fmt.Sprintf("N%d_C%d_%dx%d_size%d", s.N, s.C, s.H, s.W, s.Size)
		cs = append(cs, producerCase{"maxpool_backward/" + shape, x, s.OutLen(), fusedSelectTol,
			func(dIn, dOut []float64) { ref.MaxPoolBackward(dIn, dOut, am, s) },
			func(o *Ops, dIn, dOut []float32) error { return o.MaxPoolBackward(dIn, dOut, am, s) },
			func(o *Ops, dIn, dOut, x []float32, a act) error {
				return o.maxPoolBackwardAct(dIn, dOut, am, x, s, a)
			}})
		cs = append(cs, producerCase{"avgpool_backward/" + shape, newX(s.InLen()), s.OutLen(), fusedSelectTol,
			func(dIn, dOut []float64) { ref.AvgPoolBackward(dIn, dOut, s) },
			func(o *Ops, dIn, dOut []float32) error { return o.AvgPoolBackward(dIn, dOut, s) },
			func(o *Ops, dIn, dOut, x []float32, a act) error { return o.avgPoolBackwardAct(dIn, dOut, x, s, a) }})
	}
	for _, n := range []int{1, 3000} {
		d := model.NewDropoutParams(0.5, 42, 7)
		d.Offset = 100
		cs = append(cs, producerCase{fmt.Sprintf("dropout_backward/n%d", n), newX(n), n, fusedSelectTol,
			func(dIn, dOut []float64) { ref.DropoutBackward(dIn, dOut, d) },
			func(o *Ops, dIn, dOut []float32) error { return o.DropoutBackward(dIn, dOut, d) },
			func(o *Ops, dIn, dOut, x []float32, a act) error { return o.dropoutBackwardAct(dIn, dOut, x, d, a) }})
	}
	for _, s := range fusedConvShapes {
		bound := float32(1 / math.Sqrt(float64(s.C*s.KH*s.KW)))
		w := randSlice(r, s.WeightLen(), -bound, bound)
		cs = append(cs, producerCase{
			fmt.Sprintf("conv2d_backward_data/N%d_C%d_%dx%d_OC%d_k%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.PadH, s.PadW),
			newX(s.InLen()), s.OutLen(), fusedConvDataTol,
			func(dIn, dOut []float64) { ref.Conv2DBackwardData(dIn, dOut, ref.To64(w), s) },
			func(o *Ops, dIn, dOut []float32) error { return o.Conv2DBackwardData(dIn, dOut, w, s) },
			func(o *Ops, dIn, dOut, x []float32, a act) error {
				return o.conv2DBackwardDataAct(dIn, dOut, w, x, s, a)
			}})
	}
	for _, s := range fusedDenseShapes {
		bound := float32(1 / math.Sqrt(float64(s.In)))
		w := randSlice(r, s.Out*s.In, -bound, bound)
		cs = append(cs, producerCase{fmt.Sprintf("dense_backward_data/N%d_in%d_out%d", s.N, s.In, s.Out),
			newX(s.N * s.In), s.N * s.Out, fusedDenseTol,
			func(dIn, dOut []float64) { ref.DenseBackwardData(dIn, dOut, ref.To64(w), s) },
			func(o *Ops, dIn, dOut []float32) error { return o.DenseBackwardData(dIn, dOut, w, s) },
			func(o *Ops, dIn, dOut, x []float32, a act) error {
				return o.denseBackwardDataAct(dIn, dOut, w, x, s, a)
			}})
	}
	return cs
}

// TestFusedProducers: each producer kernel with act gives the reference's XBackward
// followed by the activation's backward (on x, the activation's output), and bit for bit
// the GPU's XBackward followed by relu_backward/sigmoid_backward.
func TestFusedProducers(t *testing.T) {
	o := NewOps(testDevice(t))
	for fi, f := range fusedActs {
		r := rng.New(uint64(300 + fi))
		// x is the activation's output: act(z) of random z (for ReLU, half exact zeros).
		actOut := func(n int) []float32 { return act32(f.fwd, randSlice(r, n, -3, 3)) }
		for _, c := range producerCases(r, actOut) {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				x, n := c.x, len(c.x)
				dOut := randSlice(r, c.outLen, -1, 1)

				dIn := nanSlice(n)
				require.NoError(t, c.gpuAct(o, dIn, dOut, x, f.a))
				g, want := make([]float64, n), make([]float64, n)
				c.ref(g, ref.To64(dOut))
				f.bwd(want, g, ref.To64(x))
				expectClose(t, "dIn vs the reference", dIn, want, c.tol)

				gg, pair := nanSlice(n), nanSlice(n)
				require.NoError(t, c.gpu(o, gg, dOut))
				require.NoError(t, f.gpuBwd(o, pair, gg, x))
				requireSameBits(t, "dIn vs the gpu pair", dIn, pair)

				plain := nanSlice(n)
				require.NoError(t, c.gpuAct(o, plain, dOut, x, actNone))
				requireSameBits(t, "act 0 vs the plain op", plain, gg)
			})
		}
	}
}

// TestFusedReLUMasksExactly: a producer with act ReLU keeps dIn exactly where x > 0 and
// gives +0 elsewhere (x = 0, −0 or NaN), the reference's ReLUBackward rule.
func TestFusedReLUMasksExactly(t *testing.T) {
	o := NewOps(testDevice(t))
	s := model.DenseShape{N: 1, In: 7, Out: 1}
	w := []float32{3, -5, 7, 11, -13, 17, -19}
	nan := float32(math.NaN())
	x := []float32{0.5, 0, float32(math.Copysign(0, -1)), 1e-30, 2, 0, nan}
	dIn := nanSlice(7)
	require.NoError(t, o.denseBackwardDataAct(dIn, []float32{1}, w, x, s, actReLU))
	want := []float32{3, 0, 0, 11, -13, 0, 0}
	requireSameBits(t, "dIn", dIn, want)
	r := make([]float64, 7)
	ref.ReLUBackward(r, ref.To64(w), ref.To64(x))
	requireSameBits(t, "ref.ReLUBackward", ref.To32(r), want)
	require.NoError(t, o.denseBackwardDataAct(dIn, []float32{1}, w, x, s, actNone))
	requireSameBits(t, "dIn without act", dIn, w)
}

// expectClose fails t when some got[i] is off the reference want[i] by more than tol,
// naming the first and the largest difference.
func expectClose(t *testing.T, what string, got []float32, want []float64, tol fusedTol) {
	t.Helper()
	require.Len(t, got, len(want), what)
	bad, first, worst, at := 0, -1, 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
		if !(d <= tol.atol+tol.rtol*math.Abs(want[i])) {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance; first at %d: got %g, ref %g; max |diff| %g at %d",
			what, bad, len(want), first, got[first], want[first], worst, at)
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
