package cpu_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/optest"
	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// The hand-computed cases below check the kernels independently of any other code: every
// expected number is worked out in the comment beside it.

// iota16 is the 4×4 image in[y,x] = 4y+x+1.
func iota16() []float32 {
	in := make([]float32, 16)
	for i := range in {
		in[i] = float32(i + 1)
	}
	return in
}

// kernel3 is the 3×3 kernel with w[0,0]=1, w[0,1]=2, w[1,1]=1, w[2,2]=−1.
var kernel3 = []float32{1, 2, 0, 0, 1, 0, 0, 0, -1}

func TestConv2DForwardByHand(t *testing.T) {
	s := model.ConvShape{N: 1, C: 1, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	out := make([]float32, 4)
	cpu.Conv2DForward(out, iota16(), kernel3, []float32{0.5}, s)
	// out[y,x] = in[y,x] + 2·in[y,x+1] + in[y+1,x+1] − in[y+2,x+2]
	//          = (4y+x+1) + 2(4y+x+2) + (4y+x+6) − (4y+x+11) = 12y + 3x, plus the bias 0.5.
	assert.Equal(t, []float32{0.5, 3.5, 12.5, 15.5}, out)

	s.PadH, s.PadW = 1, 1 // same
	out = make([]float32, 16)
	cpu.Conv2DForward(out, iota16(), kernel3, []float32{0.5}, s)
	// Corner (0,0): only w[1,1]·in[0,0] = 1 and w[2,2]·in[1,1] = −6 fall inside: −5 + 0.5.
	assert.Equal(t, float32(-4.5), out[0])
	// Corner (3,3): w[0,0]·in[2,2] + 2·in[2,3] + w[1,1]·in[3,3] = 11 + 24 + 16 = 51, + 0.5.
	assert.Equal(t, float32(51.5), out[15])
	// Interior (1,1) equals the valid output (0,0): 0.5.
	assert.Equal(t, float32(0.5), out[5])
}

func TestConv2DForwardChannelsByHand(t *testing.T) {
	// Two input channels, two filters of 1×1: a per-pixel 2×2 matrix product plus bias.
	s := model.ConvShape{N: 1, C: 2, H: 1, W: 2, OC: 2, KH: 1, KW: 1}
	in := []float32{1, 2, 10, 20} // channel 0: 1 2, channel 1: 10 20
	w := []float32{1, 1, 2, -1}   // out0 = in0 + in1, out1 = 2·in0 − in1
	out := make([]float32, 4)     // out0 = 11 22, out1 = −8 −16, plus the biases
	cpu.Conv2DForward(out, in, w, []float32{0, 100}, s)
	assert.Equal(t, []float32{11, 22, 92, 84}, out)
}

func TestConv2DBackwardByHand(t *testing.T) {
	s := model.ConvShape{N: 1, C: 1, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	dOut := []float32{1, 0, 0, 2}
	dIn := make([]float32, 16)
	cpu.Conv2DBackwardData(dIn, dOut, kernel3, s)
	// dIn is the kernel placed at (0,0) plus twice the kernel placed at (1,1).
	assert.Equal(t, []float32{
		1, 2, 0, 0,
		0, 1 + 2, 4, 0,
		0, 0, -1 + 2, 0,
		0, 0, 0, -2,
	}, dIn)

	dW, dB := make([]float32, 9), make([]float32, 1)
	cpu.Conv2DBackwardFilter(dW, dB, dOut, iota16(), s)
	// dW[i,j] = in[i,j] + 2·in[i+1,j+1] = (4i+j+1) + 2(4i+j+6) = 12i + 3j + 13; dB = 1 + 2.
	assert.Equal(t, []float32{13, 16, 19, 25, 28, 31, 37, 40, 43}, dW)
	assert.Equal(t, []float32{3}, dB)
}

// pool45 is a 4×5 image with a tie in the bottom-right window (two 9s).
var pool45 = []float32{
	3, 1, 4, 1, 5,
	9, 2, 6, 5, 3,
	5, 8, 9, 7, 9,
	3, 2, 3, 9, 4,
}

func TestMaxPoolByHand(t *testing.T) {
	in := append([]float32(nil), pool45...)
	for _, v := range pool45 {
		in = append(in, -v) // sample 1 is sample 0 negated
	}
	s := model.PoolShape{N: 2, C: 1, H: 4, W: 5, Size: 2}
	out, arg := make([]float32, 8), make([]int32, 8)
	cpu.MaxPoolForward(out, arg, in, s)
	// Windows of sample 0: {3,1,9,2} {4,1,6,5} {5,8,3,2} {9,7,3,9}; column 4 is dropped.
	// The last window's first maximum in row-major order is the 9 at (2,2), index 12.
	// Sample 1 (offset 20): maxima −1 at (0,1), −1 at (0,3), −2 at (3,1), −3 at (3,2).
	assert.Equal(t, []float32{9, 6, 8, 9, -1, -1, -2, -3}, out)
	assert.Equal(t, []int32{5, 7, 11, 12, 21, 23, 36, 37}, arg)

	dIn := make([]float32, 40)
	for i := range dIn {
		dIn[i] = float32(math.NaN()) // every element must be written
	}
	cpu.MaxPoolBackward(dIn, []float32{1, 2, 3, 4, 5, 6, 7, 8}, arg, s)
	want := make([]float32, 40)
	for j, a := range arg {
		want[a] = float32(j + 1)
	}
	assert.Equal(t, want, dIn)
}

func TestAvgPoolByHand(t *testing.T) {
	s := model.PoolShape{N: 1, C: 1, H: 4, W: 5, Size: 2}
	out := make([]float32, 4)
	cpu.AvgPoolForward(out, pool45, s)
	// (3+1+9+2)/4, (4+1+6+5)/4, (5+8+3+2)/4, (9+7+3+9)/4
	assert.Equal(t, []float32{3.75, 4, 4.5, 7}, out)

	dIn := make([]float32, 20)
	for i := range dIn {
		dIn[i] = float32(math.NaN())
	}
	cpu.AvgPoolBackward(dIn, []float32{4, 8, 12, 16}, s)
	// Each window's four inputs get dOut/4; column 4, in no window, gets 0.
	assert.Equal(t, []float32{
		1, 1, 2, 2, 0,
		1, 1, 2, 2, 0,
		3, 3, 4, 4, 0,
		3, 3, 4, 4, 0,
	}, dIn)
}

func TestActivationsByHand(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	out := make([]float32, 5)
	cpu.ReLUForward(out, []float32{-2, negZero, 0, 0.5, 3})
	assert.Equal(t, []float32{0, 0, 0, 0.5, 3}, out)
	dIn := make([]float32, 5)
	cpu.ReLUBackward(dIn, []float32{1, 2, 3, 4, 5}, out)
	assert.Equal(t, []float32{0, 0, 0, 4, 5}, dIn)

	sig := make([]float32, 2)
	cpu.SigmoidForward(sig, []float32{0, float32(math.Log(3))})
	// 1/(1+1) = 0.5; 1/(1+1/3) = 0.75
	assert.InDeltaSlice(t, []float32{0.5, 0.75}, sig, 1e-7)
	dSig := make([]float32, 2)
	cpu.SigmoidBackward(dSig, []float32{1, 2}, []float32{0.5, 0.75})
	// 1·0.5·0.5 = 0.25; 2·0.75·0.25 = 0.375
	assert.Equal(t, []float32{0.25, 0.375}, dSig)
}

func TestDropoutMask(t *testing.T) {
	const n = 10000
	in := make([]float32, n)
	for i := range in {
		in[i] = float32(i + 1)
	}
	d := model.DropoutParams{Seed: 7, Step: 3, Threshold: rng.DropoutThreshold(0.5), Scale: 2}
	out := make([]float32, n)
	cpu.DropoutForward(out, in, d)
	dIn := make([]float32, n)
	cpu.DropoutBackward(dIn, in, d)
	kept := 0
	for i := range in {
		if rng.DropoutBits(7, 3, uint32(i)) >= d.Threshold {
			kept++
			require.Equal(t, 2*in[i], out[i], "element %d is kept", i)
		} else {
			require.Equal(t, float32(0), out[i], "element %d is dropped", i)
		}
	}
	assert.Equal(t, out, dIn, "backward applies the forward mask")
	assert.InDelta(t, n/2, kept, 0.02*n, "about half are kept with p = 0.5")

	d.Step = 4 // another step draws another mask
	other := make([]float32, n)
	cpu.DropoutForward(other, in, d)
	assert.NotEqual(t, out, other)

	d = model.DropoutParams{Threshold: 0, Scale: 1} // p = 0 keeps everything
	cpu.DropoutForward(out, in, d)
	assert.Equal(t, in, out)
}

func TestDenseByHand(t *testing.T) {
	s := model.DenseShape{N: 2, In: 3, Out: 2}
	in := []float32{1, 2, 3, 4, 5, 6}
	w := []float32{1, 0, -1, 0.5, 0.5, 0.5}
	out := make([]float32, 4)
	cpu.DenseForward(out, in, w, []float32{10, 20}, s)
	// (1−3)+10, (0.5+1+1.5)+20; (4−6)+10, (2+2.5+3)+20
	assert.Equal(t, []float32{8, 23, 8, 27.5}, out)

	dOut := []float32{1, 2, 3, 4}
	dIn := make([]float32, 6)
	cpu.DenseBackwardData(dIn, dOut, w, s)
	// 1·w0 + 2·w1 = (2, 1, 0); 3·w0 + 4·w1 = (5, 2, −1)
	assert.Equal(t, []float32{2, 1, 0, 5, 2, -1}, dIn)

	dW, dB := make([]float32, 6), make([]float32, 2)
	cpu.DenseBackwardWeights(dW, dB, dOut, in, s)
	// dW0 = 1·in0 + 3·in1 = (13, 17, 21); dW1 = 2·in0 + 4·in1 = (18, 24, 30); dB = (4, 6)
	assert.Equal(t, []float32{13, 17, 21, 18, 24, 30}, dW)
	assert.Equal(t, []float32{4, 6}, dB)
}

func TestSoftmaxCrossEntropyByHand(t *testing.T) {
	logits := []float32{
		0, float32(math.Log(2)), float32(math.Log(5)), // softmax (1, 2, 5)/8, label 1
		1000, 999, 998, // huge logits: stable only with the maximum subtracted, label 0
		2, 2, 1, // a tie: the first maximum (0) is the prediction, label 1
	}
	labels := []int32{1, 0, 1}
	loss, dz, correct := make([]float32, 3), make([]float32, 9), make([]int32, 3)
	cpu.SoftmaxCrossEntropy(loss, dz, correct, logits, labels, 3, 3, 0.5)

	assert.InDelta(t, math.Log(4), loss[0], 1e-6) // −log(2/8)
	// (softmax − onehot)·0.5 = (1/8, 2/8 − 1, 5/8)·0.5
	assert.InDeltaSlice(t, []float32{1.0 / 16, -3.0 / 8, 5.0 / 16}, dz[0:3], 1e-7)

	z := 1 + math.Exp(-1) + math.Exp(-2)
	assert.InDelta(t, math.Log(z), loss[1], 1e-6)
	assert.InDeltaSlice(t, []float32{float32((1/z - 1) / 2), float32(math.Exp(-1) / z / 2), float32(math.Exp(-2) / z / 2)}, dz[3:6], 1e-7)

	e := 2 + math.Exp(-1) // softmax of (2, 2, 1) is (1, 1, e^−1)/e
	assert.InDelta(t, math.Log(e), loss[2], 1e-6)
	assert.Equal(t, []int32{0, 1, 0}, correct)
}

func TestSGDUpdateByHand(t *testing.T) {
	w, v := []float32{1, 2}, []float32{1, 1}
	cpu.SGDUpdate(w, v, []float32{0.5, -1}, 0.1, 0)
	// w −= 0.1·g: (1 − 0.05, 2 + 0.1); v is not touched without momentum.
	assert.InDeltaSlice(t, []float32{0.95, 2.1}, w, 1e-7)
	assert.Equal(t, []float32{1, 1}, v)

	w = []float32{1, 2}
	cpu.SGDUpdate(w, v, []float32{0.5, -1}, 0.1, 0.9)
	// v = 0.9·1 + g = (1.4, −0.1); w −= 0.1·v = (0.86, 2.01)
	assert.InDeltaSlice(t, []float32{1.4, -0.1}, v, 1e-7)
	assert.InDeltaSlice(t, []float32{0.86, 2.01}, w, 1e-7)
}

func TestOpsPanicOnBadLengths(t *testing.T) {
	s := model.ConvShape{N: 1, C: 1, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	assert.PanicsWithValue(t, "cpu: Conv2DForward: a slice length does not match the ConvShape", func() {
		cpu.Conv2DForward(make([]float32, 3), iota16(), kernel3, []float32{0}, s)
	})
	assert.Panics(t, func() { cpu.ReLUForward(make([]float32, 2), make([]float32, 3)) })
	assert.Panics(t, func() {
		cpu.SoftmaxCrossEntropy(make([]float32, 1), make([]float32, 2), make([]int32, 1), make([]float32, 2), []int32{2}, 1, 2, 1)
	}, "label outside [0, k)")
	assert.Panics(t, func() {
		cpu.MaxPoolBackward(make([]float32, 4), []float32{1}, []int32{4}, model.PoolShape{N: 1, C: 1, H: 2, W: 2, Size: 2})
	}, "argmax outside dIn")
}

// sweepShapes are convolutions whose widths exercise every path of the fast kernels:
// 4-column blocks and leftovers, border columns of same and full padding, an odd filter or
// channel count (paired with itself), kernels wider than the image, and a padded-row
// buffer too large for the stack (the scatter path of Conv2DBackwardData).
func sweepShapes() []model.ConvShape {
	var ss []model.ConvShape
	for _, k := range [][2]int{{1, 1}, {3, 3}, {3, 2}, {2, 5}, {5, 5}, {4, 7}} {
		for _, w := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13} {
			for ph := range k[0] {
				for _, pw := range []int{0, (k[1] - 1) / 2, k[1] - 1} {
					s := model.ConvShape{N: 2, C: 3, H: 6, W: w, OC: 3, KH: k[0], KW: k[1], PadH: ph, PadW: pw}
					if s.OH() >= 1 && s.OW() >= 1 {
						ss = append(ss, s)
					}
				}
			}
		}
	}
	return append(ss,
		model.ConvShape{N: 1, C: 2, H: 10, W: 70, OC: 8, KH: 3, KW: 3},        // 8·8·72 > padRowsMax
		model.ConvShape{N: 1, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},        // default conv1
		model.ConvShape{N: 3, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},       // default conv2
		model.ConvShape{N: 1, C: 2, H: 5, W: 9, OC: 4, KH: 3, KW: 5, PadW: 4}, // full padding, width
	)
}

// assertClose64 checks |got − want| ≤ 1e-5·(1 + |want|) elementwise: the float32 result of
// a sum of at most a few hundred O(1) terms against the exact float64 one.
func assertClose64(t *testing.T, want []float64, got []float32, what string, s model.ConvShape) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-5*(1+math.Abs(want[i]))) {
			t.Fatalf("%s %+v: index %d: got %v, want %v (diff %g)", what, s, i, got[i], want[i], d)
		}
	}
}

func TestConvMatchesDirectSums(t *testing.T) {
	src := rng.New(5)
	for _, s := range sweepShapes() {
		in, w, b := randSlice(src, s.InLen()), randSlice(src, s.WeightLen()), randSlice(src, s.OC)
		dOut := randSlice(src, s.OutLen())
		out := nanSlice(s.OutLen())
		cpu.Conv2DForward(out, in, w, b, s)
		wantOut := make([]float64, s.OutLen())
		ref.Conv2DForward(wantOut, ref.To64(in), ref.To64(w), ref.To64(b), s)
		assertClose64(t, wantOut, out, "forward", s)

		dIn := nanSlice(s.InLen())
		cpu.Conv2DBackwardData(dIn, dOut, w, s)
		wantIn := make([]float64, s.InLen())
		ref.Conv2DBackwardData(wantIn, ref.To64(dOut), ref.To64(w), s)
		assertClose64(t, wantIn, dIn, "backward data", s)

		dW, dB := nanSlice(s.WeightLen()), nanSlice(s.OC)
		cpu.Conv2DBackwardFilter(dW, dB, dOut, in, s)
		wantW, wantB := make([]float64, s.WeightLen()), make([]float64, s.OC)
		ref.Conv2DBackwardFilter(wantW, wantB, ref.To64(dOut), ref.To64(in), s)
		assertClose64(t, wantW, dW, "backward filter dW", s)
		assertClose64(t, wantB, dB, "backward filter dB", s)
	}
}

func nanSlice(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// TestOps runs the shared parity suite: every kernel against the float64 reference
// (internal/ref) on every shape of the suite's tables, and the bad-argument cases.
func TestOps(t *testing.T) { optest.All(t, ops{}) }

func TestReLUBackwardSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	out := []float32{0, negZero, 1e-45, -1e-45, 1, -1, inf, -inf, nan, -nan, math.MaxFloat32}
	dOut := make([]float32, len(out))
	for i := range dOut {
		dOut[i] = float32(i + 1)
	}
	dIn := nanSlice(len(out))
	cpu.ReLUBackward(dIn, dOut, out)
	for i, y := range out {
		want := float32(0)
		if y > 0 { // the definition, NaN and −0 included
			want = dOut[i]
		}
		assert.Equal(t, want, dIn[i], "out = %v", y)
	}
}
