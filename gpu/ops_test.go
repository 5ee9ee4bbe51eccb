package gpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"vkcnn/cpu"
	"vkcnn/internal/optest"
	"vkcnn/internal/rng"
	"vkcnn/model"
)

var _ optest.Ops = (*Ops)(nil)

// These direct comparisons with the reference cover every op until the shared suite
// (internal/optest) runs them; see TestOps.

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

// closeTo checks got against want elementwise within atol + rtol·|want|, reporting the
// largest difference and the first index out of tolerance.
func closeTo(t *testing.T, what string, want, got []float32, atol, rtol float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	worst, first := 0.0, -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		worst = max(worst, d)
		if first < 0 && d > atol+rtol*math.Abs(float64(want[i])) {
			first = i
		}
	}
	if first >= 0 {
		t.Errorf("%s: max |diff| %g; first mismatch at %d: want %g, got %g", what, worst, first, want[first], got[first])
	}
}

// Sums of products in a different order than the reference: float32 rounding gives about
// 1e-6 relative per term, so 1e-4 relative plus 1e-5 absolute covers sums of up to
// a few thousand terms of values in [−1, 1].
const sumAtol, sumRtol = 1e-5, 1e-4

var convShapes = []model.ConvShape{
	{N: 1, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},
	{N: 3, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},
	{N: 2, C: 3, H: 7, W: 9, OC: 4, KH: 3, KW: 2, PadH: 1, PadW: 1},
	{N: 2, C: 2, H: 5, W: 6, OC: 3, KH: 3, KW: 3, PadH: 2, PadW: 2},
	{N: 64, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},
}

func TestConv2DForwardMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(1)
	for _, s := range convShapes {
		in, w, b := randSlice(r, s.InLen(), -1, 1), randSlice(r, s.WeightLen(), -1, 1), randSlice(r, s.OC, -1, 1)
		want, got := make([]float32, s.OutLen()), nanSlice(s.OutLen())
		cpu.Conv2DForward(want, in, w, b, s)
		require.NoError(t, o.Conv2DForward(got, in, w, b, s))
		closeTo(t, fmt.Sprintf("%+v out", s), want, got, sumAtol, sumRtol)
	}
}

func TestConv2DBackwardMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(2)
	for _, s := range convShapes {
		in, w := randSlice(r, s.InLen(), -1, 1), randSlice(r, s.WeightLen(), -1, 1)
		dOut := randSlice(r, s.OutLen(), -1, 1)
		wantDIn, gotDIn := make([]float32, s.InLen()), nanSlice(s.InLen())
		cpu.Conv2DBackwardData(wantDIn, dOut, w, s)
		require.NoError(t, o.Conv2DBackwardData(gotDIn, dOut, w, s))
		closeTo(t, fmt.Sprintf("%+v dIn", s), wantDIn, gotDIn, sumAtol, sumRtol)

		wantDW, gotDW := make([]float32, s.WeightLen()), nanSlice(s.WeightLen())
		wantDB, gotDB := make([]float32, s.OC), nanSlice(s.OC)
		cpu.Conv2DBackwardFilter(wantDW, wantDB, dOut, in, s)
		require.NoError(t, o.Conv2DBackwardFilter(gotDW, gotDB, dOut, in, s))
		// Up to 64·24·24 terms per weight: the absolute tolerance grows with √terms.
		atol := sumAtol * math.Sqrt(float64(s.N*s.OH()*s.OW()))
		closeTo(t, fmt.Sprintf("%+v dW", s), wantDW, gotDW, atol, sumRtol)
		closeTo(t, fmt.Sprintf("%+v dB", s), wantDB, gotDB, atol, sumRtol)
	}
}

func TestActivationsMatchCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(3)
	for _, n := range []int{1, 63, 64, 65, 1000} {
		in, dOut := randSlice(r, n, -4, 4), randSlice(r, n, -1, 1)
		want, got := make([]float32, n), nanSlice(n)
		cpu.ReLUForward(want, in)
		require.NoError(t, o.ReLUForward(got, in))
		assert.Equal(t, want, got, "relu forward n=%d", n) // exact: a max
		wantD, gotD := make([]float32, n), nanSlice(n)
		cpu.ReLUBackward(wantD, dOut, want)
		require.NoError(t, o.ReLUBackward(gotD, dOut, want))
		assert.Equal(t, wantD, gotD, "relu backward n=%d", n) // exact: a select

		cpu.SigmoidForward(want, in)
		require.NoError(t, o.SigmoidForward(got, in))
		// exp on the GPU is within a few ulp; σ ∈ (0,1) so 1e-6 absolute covers it.
		closeTo(t, "sigmoid forward", want, got, 1e-6, 0)
		cpu.SigmoidBackward(wantD, dOut, want)
		require.NoError(t, o.SigmoidBackward(gotD, dOut, want))
		closeTo(t, "sigmoid backward", wantD, gotD, 1e-7, 1e-6)
	}
}

func TestPoolsMatchCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(4)
	for _, s := range []model.PoolShape{
		{N: 1, C: 6, H: 24, W: 24, Size: 2},
		{N: 3, C: 2, H: 7, W: 9, Size: 2},
		{N: 2, C: 3, H: 8, W: 7, Size: 3},
	} {
		in, dOut := randSlice(r, s.InLen(), -1, 1), randSlice(r, s.OutLen(), -1, 1)
		want, got := make([]float32, s.OutLen()), nanSlice(s.OutLen())
		wantArg, gotArg := make([]int32, s.OutLen()), make([]int32, s.OutLen())
		cpu.MaxPoolForward(want, wantArg, in, s)
		require.NoError(t, o.MaxPoolForward(got, gotArg, in, s))
		assert.Equal(t, want, got, "%+v maxpool out", s)
		assert.Equal(t, wantArg, gotArg, "%+v maxpool argmax", s)
		wantD, gotD := make([]float32, s.InLen()), nanSlice(s.InLen())
		cpu.MaxPoolBackward(wantD, dOut, wantArg, s)
		require.NoError(t, o.MaxPoolBackward(gotD, dOut, wantArg, s))
		assert.Equal(t, wantD, gotD, "%+v maxpool dIn", s)

		cpu.AvgPoolForward(want, in, s)
		require.NoError(t, o.AvgPoolForward(got, in, s))
		closeTo(t, "avgpool out", want, got, 1e-6, 1e-6)
		cpu.AvgPoolBackward(wantD, dOut, s)
		require.NoError(t, o.AvgPoolBackward(gotD, dOut, s))
		closeTo(t, "avgpool dIn", wantD, gotD, 1e-7, 1e-6)
	}
}

func TestDropoutMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(5)
	n := 3000
	in := randSlice(r, n, -1, 1)
	d := model.DropoutParams{Seed: 42, Step: 7, Threshold: rng.DropoutThreshold(0.5), Scale: 2, Offset: 100}
	want, got := make([]float32, n), nanSlice(n)
	cpu.DropoutForward(want, in, d)
	require.NoError(t, o.DropoutForward(got, in, d))
	assert.Equal(t, want, got, "forward: the same mask and the same product")
	cpu.DropoutBackward(want, in, d)
	require.NoError(t, o.DropoutBackward(got, in, d))
	assert.Equal(t, want, got, "backward")
	d.Step++
	require.NoError(t, o.DropoutForward(got, in, d))
	assert.NotEqual(t, want, got, "another step draws another mask")
}

func TestDenseMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(6)
	for _, s := range []model.DenseShape{{N: 1, In: 192, Out: 10}, {N: 3, In: 7, Out: 5}, {N: 64, In: 192, Out: 10}} {
		in, w, b := randSlice(r, s.N*s.In, -1, 1), randSlice(r, s.Out*s.In, -1, 1), randSlice(r, s.Out, -1, 1)
		dOut := randSlice(r, s.N*s.Out, -1, 1)
		want, got := make([]float32, s.N*s.Out), nanSlice(s.N*s.Out)
		cpu.DenseForward(want, in, w, b, s)
		require.NoError(t, o.DenseForward(got, in, w, b, s))
		closeTo(t, fmt.Sprintf("%+v out", s), want, got, sumAtol, sumRtol)
		wantDIn, gotDIn := make([]float32, s.N*s.In), nanSlice(s.N*s.In)
		cpu.DenseBackwardData(wantDIn, dOut, w, s)
		require.NoError(t, o.DenseBackwardData(gotDIn, dOut, w, s))
		closeTo(t, fmt.Sprintf("%+v dIn", s), wantDIn, gotDIn, sumAtol, sumRtol)
		wantDW, gotDW := make([]float32, s.Out*s.In), nanSlice(s.Out*s.In)
		wantDB, gotDB := make([]float32, s.Out), nanSlice(s.Out)
		cpu.DenseBackwardWeights(wantDW, wantDB, dOut, in, s)
		require.NoError(t, o.DenseBackwardWeights(gotDW, gotDB, dOut, in, s))
		closeTo(t, fmt.Sprintf("%+v dW", s), wantDW, gotDW, sumAtol, sumRtol)
		closeTo(t, fmt.Sprintf("%+v dB", s), wantDB, gotDB, sumAtol, sumRtol)
	}
}

func TestSoftmaxCrossEntropyMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(7)
	n, k := 37, 10
	logits := randSlice(r, n*k, -5, 5)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.Intn(k))
	}
	wantLoss, gotLoss := make([]float32, n), nanSlice(n)
	wantD, gotD := make([]float32, n*k), nanSlice(n*k)
	wantC, gotC := make([]int32, n), make([]int32, n)
	cpu.SoftmaxCrossEntropy(wantLoss, wantD, wantC, logits, labels, n, k, 1.0/float32(n))
	require.NoError(t, o.SoftmaxCrossEntropy(gotLoss, gotD, gotC, logits, labels, n, k, 1.0/float32(n)))
	closeTo(t, "loss", wantLoss, gotLoss, 1e-5, 1e-5)
	closeTo(t, "dLogits", wantD, gotD, 1e-7, 1e-5)
	assert.Equal(t, wantC, gotC, "correct")
}

func TestSGDUpdateMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(8)
	for _, mu := range []float32{0, 0.9} {
		n := 500
		w, v, g := randSlice(r, n, -1, 1), randSlice(r, n, -1, 1), randSlice(r, n, -1, 1)
		wantW, wantV := append([]float32(nil), w...), append([]float32(nil), v...)
		cpu.SGDUpdate(wantW, wantV, g, 0.05, mu)
		require.NoError(t, o.SGDUpdate(w, v, g, 0.05, mu))
		// One multiply-add per element; a fused multiply-add on the GPU may round once less.
		closeTo(t, fmt.Sprintf("w μ=%g", mu), wantW, w, 1e-7, 1e-6)
		closeTo(t, fmt.Sprintf("v μ=%g", mu), wantV, v, 1e-7, 1e-6)
	}
}
