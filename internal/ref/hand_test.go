package ref

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/model"
)

// Forward functions checked against cases worked out by hand: every expected number is
// derived in the comment beside it. With the finite-difference checks of the backward
// functions (gradcheck_test.go), these pin down every op of the reference.

// iota16 is the 4×4 image in[y,x] = 4y+x+1.
func iota16() []float64 {
	in := make([]float64, 16)
	for i := range in {
		in[i] = float64(i + 1)
	}
	return in
}

// kernel3 is the 3×3 kernel with w[0,0]=1, w[0,1]=2, w[1,1]=1, w[2,2]=−1.
var kernel3 = []float64{1, 2, 0, 0, 1, 0, 0, 0, -1}

func TestConv2DForwardByHand(t *testing.T) {
	s := model.ConvShape{N: 1, C: 1, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	out := make([]float64, 4)
	Conv2DForward(out, iota16(), kernel3, []float64{0.5}, s)
	// out[y,x] = in[y,x] + 2·in[y,x+1] + in[y+1,x+1] − in[y+2,x+2]
	//          = (4y+x+1) + 2(4y+x+2) + (4y+x+6) − (4y+x+11) = 12y + 3x, plus the bias 0.5.
	assert.Equal(t, []float64{0.5, 3.5, 12.5, 15.5}, out)

	s.PadH, s.PadW = 1, 1 // same
	out = make([]float64, 16)
	Conv2DForward(out, iota16(), kernel3, []float64{0.5}, s)
	// Corner (0,0): only w[1,1]·in[0,0] = 1 and w[2,2]·in[1,1] = −6 fall inside: −5 + 0.5.
	assert.Equal(t, -4.5, out[0])
	// Corner (3,3): w[0,0]·in[2,2] + 2·in[2,3] + w[1,1]·in[3,3] = 11 + 24 + 16 = 51, + 0.5.
	assert.Equal(t, 51.5, out[15])
	// Interior (1,1) equals the valid output (0,0): 0.5.
	assert.Equal(t, 0.5, out[5])
}

func TestConv2DForwardChannelsByHand(t *testing.T) {
	// Two samples, two input channels, two filters of 1×1: a per-pixel 2×2 matrix product
	// plus bias.
	s := model.ConvShape{N: 2, C: 2, H: 1, W: 2, OC: 2, KH: 1, KW: 1}
	in := []float64{1, 2, 10, 20, 3, 4, 30, 40} // sample 0: channel 0: 1 2, channel 1: 10 20
	w := []float64{1, 1, 2, -1}                 // out0 = in0 + in1, out1 = 2·in0 − in1
	out := make([]float64, 8)                   // sample 0: out0 = 11 22, out1 = −8 −16; sample 1: 33 44, −24 −32
	Conv2DForward(out, in, w, []float64{0, 100}, s)
	assert.Equal(t, []float64{11, 22, 92, 84, 33, 44, 76, 68}, out)
}

func TestConv2DBackwardByHand(t *testing.T) {
	s := model.ConvShape{N: 1, C: 1, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	dOut := []float64{1, 0, 0, 2}
	dIn := make([]float64, 16)
	Conv2DBackwardData(dIn, dOut, kernel3, s)
	// dIn is the kernel placed at (0,0) plus twice the kernel placed at (1,1).
	assert.Equal(t, []float64{
		1, 2, 0, 0,
		0, 1 + 2, 4, 0,
		0, 0, -1 + 2, 0,
		0, 0, 0, -2,
	}, dIn)

	dW, dB := make([]float64, 9), make([]float64, 1)
	Conv2DBackwardFilter(dW, dB, dOut, iota16(), s)
	// dW[i,j] = in[i,j] + 2·in[i+1,j+1] = (4i+j+1) + 2(4i+j+6) = 12i + 3j + 13; dB = 1 + 2.
	assert.Equal(t, []float64{13, 16, 19, 25, 28, 31, 37, 40, 43}, dW)
	assert.Equal(t, []float64{3}, dB)

	// An empty batch: the sums over it are zero.
	s.N = 0
	dW, dB = []float64{7, 7, 7, 7, 7, 7, 7, 7, 7}, []float64{7}
	Conv2DBackwardFilter(dW, dB, nil, nil, s)
	assert.Equal(t, make([]float64, 9), dW)
	assert.Equal(t, []float64{0}, dB)
}

// pool45 is a 4×5 image with a tie in the bottom-right window (two 9s).
var pool45 = []float64{
	3, 1, 4, 1, 5,
	9, 2, 6, 5, 3,
	5, 8, 9, 7, 9,
	3, 2, 3, 9, 4,
}

// TestMinPoolByHand: sample 1 is sample 0 negated, so its minima are sample 0's maxima
// negated, at the same places; ties keep the first minimum in row-major order.
func TestMinPoolByHand(t *testing.T) {
	in := append([]float64(nil), pool45...)
	for _, v := range pool45 {
		in = append(in, -v)
	}
	s := model.PoolShape{N: 2, C: 1, H: 4, W: 5, Size: 2}
	out, arg := make([]float64, 8), make([]int32, 8)
	MinPoolForward(out, arg, in, s)
	// Windows of sample 0: {3,1,9,2} {4,1,6,5} {5,8,3,2} {9,7,3,9}; column 4 is dropped.
	// Minima 1 at (0,1), 1 at (0,3), 2 at (3,1), 3 at (3,2); sample 1 (offset 20): the
	// window {−9,−7,−3,−9} has two −9s, at (2,2) and (3,3): the first, index 32, wins.
	assert.Equal(t, []float64{1, 1, 2, 3, -9, -6, -8, -9}, out)
	assert.Equal(t, []int32{1, 3, 16, 17, 25, 27, 31, 32}, arg)

	dIn := make([]float64, 40)
	for i := range dIn {
		dIn[i] = math.NaN() // every element must be written
	}
	MinPoolBackward(dIn, []float64{1, 2, 3, 4, 5, 6, 7, 8}, arg, s)
	want := make([]float64, 40)
	for j, a := range arg {
		want[a] = float64(j + 1)
	}
	assert.Equal(t, want, dIn)
}

func TestMaxPoolByHand(t *testing.T) {
	in := append([]float64(nil), pool45...)
	for _, v := range pool45 {
		in = append(in, -v) // sample 1 is sample 0 negated
	}
	s := model.PoolShape{N: 2, C: 1, H: 4, W: 5, Size: 2}
	out, arg := make([]float64, 8), make([]int32, 8)
	MaxPoolForward(out, arg, in, s)
	// Windows of sample 0: {3,1,9,2} {4,1,6,5} {5,8,3,2} {9,7,3,9}; column 4 is dropped.
	// The last window's first maximum in row-major order is the 9 at (2,2), index 12.
	// Sample 1 (offset 20): maxima −1 at (0,1), −1 at (0,3), −2 at (3,1), −3 at (3,2).
	assert.Equal(t, []float64{9, 6, 8, 9, -1, -1, -2, -3}, out)
	assert.Equal(t, []int32{5, 7, 11, 12, 21, 23, 36, 37}, arg)

	dIn := make([]float64, 40)
	for i := range dIn {
		dIn[i] = math.NaN() // every element must be written
	}
	MaxPoolBackward(dIn, []float64{1, 2, 3, 4, 5, 6, 7, 8}, arg, s)
	want := make([]float64, 40)
	for j, a := range arg {
		want[a] = float64(j + 1)
	}
	assert.Equal(t, want, dIn)
}

func TestAvgPoolByHand(t *testing.T) {
	s := model.PoolShape{N: 1, C: 1, H: 4, W: 5, Size: 2}
	out := make([]float64, 4)
	AvgPoolForward(out, pool45, s)
	// (3+1+9+2)/4, (4+1+6+5)/4, (5+8+3+2)/4, (9+7+3+9)/4
	assert.Equal(t, []float64{3.75, 4, 4.5, 7}, out)

	dIn := make([]float64, 20)
	for i := range dIn {
		dIn[i] = math.NaN()
	}
	AvgPoolBackward(dIn, []float64{4, 8, 12, 16}, s)
	// Each window's four inputs get dOut/4; column 4, in no window, gets 0.
	assert.Equal(t, []float64{
		1, 1, 2, 2, 0,
		1, 1, 2, 2, 0,
		3, 3, 4, 4, 0,
		3, 3, 4, 4, 0,
	}, dIn)
}

func TestActivationsByHand(t *testing.T) {
	out := make([]float64, 5)
	ReLUForward(out, []float64{-2, math.Copysign(0, -1), 0, 0.5, 3})
	assert.Equal(t, []float64{0, 0, 0, 0.5, 3}, out)
	dIn := make([]float64, 5)
	ReLUBackward(dIn, []float64{1, 2, 3, 4, 5}, out)
	assert.Equal(t, []float64{0, 0, 0, 4, 5}, dIn)

	sig := make([]float64, 2)
	SigmoidForward(sig, []float64{0, math.Log(3)})
	// 1/(1+1) = 0.5; 1/(1+1/3) = 0.75
	assert.InDeltaSlice(t, []float64{0.5, 0.75}, sig, 1e-15)
	dSig := make([]float64, 2)
	SigmoidBackward(dSig, []float64{1, 2}, []float64{0.5, 0.75})
	// 1·0.5·0.5 = 0.25; 2·0.75·0.25 = 0.375
	assert.Equal(t, []float64{0.25, 0.375}, dSig)
}

// TestDropoutByKnownMasks checks the masks against bits computed independently of this
// repository's Go, from the documented rule (rng.DropoutBits(seed, step, i) =
// lowbias32(i ^ lowbias32(step ^ lowbias32(seed))), kept when ≥ threshold), by
//
//	python3 -c 'M=2**32-1;h=lambda x:[x:=x^x>>16,x:=x*0x7feb352d&M,x:=x^x>>15,x:=x*0x846ca68b&M,x^x>>16][-1];print("".join(str(int(h(i^h(2^h(1)))>=1<<31)) for i in range(100,132)))'
//
// (the second case; range(32) gives the first, h(i^h(9^h(3)))>=1288490189 the third, the
// threshold of p = 0.3 being round(0.3·2³²)).
func TestDropoutByKnownMasks(t *testing.T) {
	for _, c := range []struct {
		d    model.DropoutParams
		mask string
	}{
		{model.DropoutParams{Seed: 1, Step: 2, Threshold: 1 << 31, Scale: 2}, "00000111010111000000010010100000"},
		{model.DropoutParams{Seed: 1, Step: 2, Threshold: 1 << 31, Scale: 2, Offset: 100}, "00111010000111001011001110011101"},
		{model.DropoutParams{Seed: 3, Step: 9, Threshold: 1288490189, Scale: 1 / 0.7}, "10001100100111111011101111011100"},
	} {
		in := make([]float64, len(c.mask))
		for i := range in {
			in[i] = float64(i + 1)
		}
		out, dIn := make([]float64, len(in)), make([]float64, len(in))
		DropoutForward(out, in, c.d)
		DropoutBackward(dIn, in, c.d)
		for i, m := range c.mask {
			want := 0.0
			if m == '1' {
				want = in[i] * float64(c.d.Scale)
			}
			assert.Equal(t, want, out[i], "offset %d element %d (mask %c)", c.d.Offset, i, m)
		}
		assert.Equal(t, out, dIn, "backward applies the forward mask")
	}
}

func TestDenseByHand(t *testing.T) {
	s := model.DenseShape{N: 2, In: 3, Out: 2}
	in := []float64{1, 2, 3, 4, 5, 6}
	w := []float64{1, 0, -1, 0.5, 0.5, 0.5}
	out := make([]float64, 4)
	DenseForward(out, in, w, []float64{10, 20}, s)
	// (1−3)+10, (0.5+1+1.5)+20; (4−6)+10, (2+2.5+3)+20
	assert.Equal(t, []float64{8, 23, 8, 27.5}, out)

	dOut := []float64{1, 2, 3, 4}
	dIn := make([]float64, 6)
	DenseBackwardData(dIn, dOut, w, s)
	// 1·w0 + 2·w1 = (2, 1, 0); 3·w0 + 4·w1 = (5, 2, −1)
	assert.Equal(t, []float64{2, 1, 0, 5, 2, -1}, dIn)

	dW, dB := make([]float64, 6), make([]float64, 2)
	DenseBackwardWeights(dW, dB, dOut, in, s)
	// dW0 = 1·in0 + 3·in1 = (13, 17, 21); dW1 = 2·in0 + 4·in1 = (18, 24, 30); dB = (4, 6)
	assert.Equal(t, []float64{13, 17, 21, 18, 24, 30}, dW)
	assert.Equal(t, []float64{4, 6}, dB)
}

func TestSoftmaxCrossEntropyByHand(t *testing.T) {
	logits := []float64{
		0, math.Log(2), math.Log(5), // softmax (1, 2, 5)/8, label 1
		1000, 999, 998, // huge logits: stable only with the maximum subtracted, label 0
		2, 2, 1, // a tie: the first maximum (0) is the prediction, label 1
	}
	labels := []int32{1, 0, 1}
	loss, dz, correct := make([]float64, 3), make([]float64, 9), make([]int32, 3)
	SoftmaxCrossEntropy(loss, dz, correct, logits, labels, 3, 3, 0.5)

	assert.InDelta(t, math.Log(4), loss[0], 1e-15) // −log(2/8)
	// (softmax − onehot)·0.5 = (1/8, 2/8 − 1, 5/8)·0.5
	assert.InDeltaSlice(t, []float64{1.0 / 16, -3.0 / 8, 5.0 / 16}, dz[0:3], 1e-15)

	z := 1 + math.Exp(-1) + math.Exp(-2)
	assert.InDelta(t, math.Log(z), loss[1], 1e-13)
	assert.InDeltaSlice(t, []float64{(1/z - 1) / 2, math.Exp(-1) / z / 2, math.Exp(-2) / z / 2}, dz[3:6], 1e-15)

	e := 2 + math.Exp(-1) // softmax of (2, 2, 1) is (1, 1, e^−1)/e
	assert.InDelta(t, math.Log(e), loss[2], 1e-15)
	assert.Equal(t, []int32{0, 1, 0}, correct)
}

func TestSGDUpdateByHand(t *testing.T) {
	w, v := []float64{1, 2}, []float64{1, 1}
	SGDUpdate(w, v, []float64{0.5, -1}, 0.1, 0)
	// w −= 0.1·g: (1 − 0.05, 2 + 0.1); v is not touched without momentum.
	assert.InDeltaSlice(t, []float64{0.95, 2.1}, w, 1e-15)
	assert.Equal(t, []float64{1, 1}, v)

	w = []float64{1, 2}
	SGDUpdate(w, v, []float64{0.5, -1}, 0.1, 0.9)
	// v = 0.9·1 + g = (1.4, −0.1); w −= 0.1·v = (0.86, 2.01)
	assert.InDeltaSlice(t, []float64{1.4, -0.1}, v, 1e-15)
	assert.InDeltaSlice(t, []float64{0.86, 2.01}, w, 1e-15)
}

func TestBadLengthsPanicBeforeWriting(t *testing.T) {
	cs := model.ConvShape{N: 1, C: 1, H: 4, W: 4, OC: 1, KH: 3, KW: 3}
	out := []float64{7, 7, 7}
	assert.PanicsWithValue(t, errConvLen, func() { Conv2DForward(out, iota16(), kernel3, []float64{0}, cs) })
	assert.Equal(t, []float64{7, 7, 7}, out, "nothing written")
	assert.PanicsWithValue(t, errConvLen, func() { Conv2DBackwardData(make([]float64, 15), make([]float64, 4), kernel3, cs) })
	assert.PanicsWithValue(t, errConvLen, func() {
		Conv2DBackwardFilter(make([]float64, 9), make([]float64, 2), make([]float64, 4), iota16(), cs)
	})
	assert.PanicsWithValue(t, errActLen, func() { ReLUForward(make([]float64, 2), make([]float64, 3)) })
	assert.PanicsWithValue(t, errActLen, func() { SigmoidBackward(make([]float64, 3), make([]float64, 3), make([]float64, 4)) })
	assert.PanicsWithValue(t, errDropoutLen, func() { DropoutBackward(make([]float64, 3), make([]float64, 2), model.DropoutParams{}) })
	ps := model.PoolShape{N: 1, C: 1, H: 2, W: 2, Size: 2}
	assert.PanicsWithValue(t, errPoolLen, func() { MaxPoolForward(make([]float64, 1), make([]int32, 2), make([]float64, 4), ps) })
	assert.PanicsWithValue(t, errPoolArgmax, func() { MaxPoolBackward(make([]float64, 4), []float64{1}, []int32{4}, ps) })
	assert.PanicsWithValue(t, errPoolLen, func() { AvgPoolBackward(make([]float64, 5), []float64{1}, ps) })
	ds := model.DenseShape{N: 2, In: 3, Out: 2}
	assert.PanicsWithValue(t, errDenseLen, func() {
		DenseBackwardWeights(make([]float64, 6), make([]float64, 3), make([]float64, 4), make([]float64, 6), ds)
	})
	loss := []float64{7}
	assert.PanicsWithValue(t, errLossLabel, func() {
		SoftmaxCrossEntropy(loss, make([]float64, 2), make([]int32, 1), make([]float64, 2), []int32{2}, 1, 2, 1)
	})
	assert.Equal(t, []float64{7}, loss, "nothing written")
	assert.PanicsWithValue(t, errSGDLen, func() { SGDUpdate(make([]float64, 2), nil, make([]float64, 2), 0.1, 0) })
}
