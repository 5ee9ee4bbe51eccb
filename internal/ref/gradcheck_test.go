package ref

import (
	"fmt"
	"math"
	"testing"

	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// Finite-difference checks of every backward function against its forward function: for
// a random r, the scalar L(x) = Σ_j r_j·forward(x)_j has the gradient that the backward
// function computes from dOut = r, and that gradient is compared with the central
// differences (L(x+h) − L(x−h))/2h, one input at a time.
//
// gradTol: with h = 1e-5 the difference's rounding error is about 1e-16·Σ|r_j·out_j|/h,
// at most ~1e-10 on these sizes, and its truncation error h²/6·|L”'| is 0 for the linear
// ops (conv, dense, pools, dropout, ReLU away from its kink) and below 1e-10 for the sigmoid
// and the softmax (third derivatives of order one). So both sides agree to ~1e-10: a
// tolerance of 1e-8 + 1e-7·|fd| is two orders above that and still fails a gradient that is
// off by one part in a million (a factor 1.000001), or one wrong term of a sum. ReLU inputs
// keep |x| ≥ 1e-2 and max-pool inputs are 2/N·C·H·W apart, both far more than h, so no
// difference straddles a kink or a tie.
var gradTol = struct{ Atol, Rtol float64 }{1e-8, 1e-7}

const gradH = 1e-5

// checkGrad compares grad with the central differences of loss at x, element by element.
// loss reads x, which checkGrad perturbs in place and restores.
func checkGrad(t *testing.T, what string, x []float64, loss func() float64, grad []float64) {
	t.Helper()
	if len(grad) != len(x) {
		t.Fatalf("%s: %d gradient values for %d inputs", what, len(grad), len(x))
	}
	worst := 0.0
	for i := range x {
		orig := x[i]
		x[i] = orig + gradH
		up := loss()
		x[i] = orig - gradH
		down := loss()
		x[i] = orig
		num := (up - down) / (2 * gradH)
		d := math.Abs(num - grad[i])
		worst = max(worst, d)
		if !(d <= gradTol.Atol+gradTol.Rtol*math.Abs(num)) {
			t.Fatalf("%s: index %d: backward %.12g, finite difference %.12g (|diff| %.3g)", what, i, grad[i], num, d)
		}
	}
	t.Logf("%s: %d values, max |backward − finite difference| = %.2g", what, len(x), worst)
}

// dot is Σ r_j·out_j.
func dot(r, out []float64) float64 {
	var s float64
	for j, v := range out {
		s += r[j] * v
	}
	return s
}

// uniform returns n values uniform in [−1, 1).
func uniform(src *rng.Source, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*float64(src.Float32()) - 1
	}
	return x
}

func TestConvGradients(t *testing.T) {
	for _, s := range []model.ConvShape{
		{N: 2, C: 2, H: 5, W: 6, OC: 3, KH: 3, KW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 1, H: 7, W: 6, OC: 2, KH: 5, KW: 5},
		{N: 2, C: 3, H: 4, W: 5, OC: 2, KH: 3, KW: 3, PadH: 2, PadW: 2},
		{N: 1, C: 6, H: 6, W: 6, OC: 4, KH: 1, KW: 1},
		{N: 1, C: 1, H: 3, W: 4, OC: 2, KH: 5, KW: 5, PadH: 4, PadW: 4}, // kernel > image
	} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_k%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.KH, s.KW, s.PadH, s.PadW), func(t *testing.T) {
			src := rng.New(11)
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
			checkGrad(t, "dB", b, loss, dB)
		})
	}
}

func TestDenseGradients(t *testing.T) {
	for _, s := range []model.DenseShape{{N: 3, In: 7, Out: 5}, {N: 1, In: 1, Out: 1}, {N: 4, In: 12, Out: 10}} {
		t.Run(fmt.Sprintf("N%d_in%d_out%d", s.N, s.In, s.Out), func(t *testing.T) {
			src := rng.New(12)
			in, w, b := uniform(src, s.N*s.In), uniform(src, s.Out*s.In), uniform(src, s.Out)
			r := uniform(src, s.N*s.Out)
			out := make([]float64, s.N*s.Out)
			loss := func() float64 { DenseForward(out, in, w, b, s); return dot(r, out) }

			dIn := make([]float64, s.N*s.In)
			DenseBackwardData(dIn, r, w, s)
			checkGrad(t, "dIn", in, loss, dIn)
			dW, dB := make([]float64, s.Out*s.In), make([]float64, s.Out)
			DenseBackwardWeights(dW, dB, r, in, s)
			checkGrad(t, "dW", w, loss, dW)
			checkGrad(t, "dB", b, loss, dB)
		})
	}
}

func TestActivationGradients(t *testing.T) {
	const n = 200
	src := rng.New(13)
	x := uniform(src, n)
	for i := range x { // keep |x| ≥ 1e-2, away from ReLU's kink
		x[i] = math.Copysign(0.01+math.Abs(x[i]), x[i])
	}
	r := uniform(src, n)
	out, dIn := make([]float64, n), make([]float64, n)

	ReLUForward(out, x)
	ReLUBackward(dIn, r, out)
	checkGrad(t, "relu", x, func() float64 { ReLUForward(out, x); return dot(r, out) }, dIn)

	for i := range x {
		x[i] *= 4 // the sigmoid over ±4, where it curves
	}
	SigmoidForward(out, x)
	SigmoidBackward(dIn, r, out)
	checkGrad(t, "sigmoid", x, func() float64 { SigmoidForward(out, x); return dot(r, out) }, dIn)

	for _, offset := range []uint32{0, 1000} {
		d := model.DropoutParams{Seed: 3, Step: 9, Threshold: rng.DropoutThreshold(0.3), Scale: 1 / 0.7, Offset: offset}
		DropoutBackward(dIn, r, d)
		checkGrad(t, fmt.Sprintf("dropout offset %d", offset), x, func() float64 { DropoutForward(out, x, d); return dot(r, out) }, dIn)
	}
}

func TestPoolGradients(t *testing.T) {
	for _, s := range []model.PoolShape{
		{N: 2, C: 2, H: 7, W: 5, Size: 2},
		{N: 1, C: 3, H: 6, W: 6, Size: 3},
		{N: 2, C: 1, H: 3, W: 4, Size: 1},
	} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_size%d", s.N, s.C, s.H, s.W, s.Size), func(t *testing.T) {
			src := rng.New(14)
			// Distinct values 2/InLen apart at least, so a window's maximum stays put under ±h.
			order := make([]int32, s.InLen())
			src.Perm(order)
			in := make([]float64, s.InLen())
			for i, p := range order {
				in[i] = float64(p)/float64(len(in))*2 - 1
			}
			r := uniform(src, s.OutLen())
			out, arg, dIn := make([]float64, s.OutLen()), make([]int32, s.OutLen()), make([]float64, s.InLen())

			MaxPoolForward(out, arg, in, s)
			MaxPoolBackward(dIn, r, arg, s)
			checkGrad(t, "maxpool", in, func() float64 { MaxPoolForward(out, make([]int32, len(arg)), in, s); return dot(r, out) }, dIn)

			MinPoolForward(out, arg, in, s)
			MinPoolBackward(dIn, r, arg, s)
			checkGrad(t, "minpool", in, func() float64 { MinPoolForward(out, make([]int32, len(arg)), in, s); return dot(r, out) }, dIn)

			AvgPoolBackward(dIn, r, s)
			checkGrad(t, "avgpool", in, func() float64 { AvgPoolForward(out, in, s); return dot(r, out) }, dIn)
		})
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	for _, c := range []struct {
		n, k   int
		offset float64
	}{{4, 10, 0}, {3, 3, 0}, {2, 10, 500}} {
		t.Run(fmt.Sprintf("n%d_k%d_offset%g", c.n, c.k, c.offset), func(t *testing.T) {
			src := rng.New(15)
			z := uniform(src, c.n*c.k)
			for i := range z {
				z[i] = 5*z[i] + c.offset
			}
			labels := make([]int32, c.n)
			for i := range labels {
				labels[i] = int32(src.Intn(c.k))
			}
			scale := 1 / float64(c.n) // the gradient of the mean loss
			loss, dz, correct := make([]float64, c.n), make([]float64, c.n*c.k), make([]int32, c.n)
			SoftmaxCrossEntropy(loss, dz, correct, z, labels, c.n, c.k, scale)
			mean := func() float64 {
				l, d := make([]float64, c.n), make([]float64, c.n*c.k)
				SoftmaxCrossEntropy(l, d, make([]int32, c.n), z, labels, c.n, c.k, scale)
				var s float64
				for _, v := range l {
					s += v
				}
				return s * scale
			}
			checkGrad(t, "dLogits", z, mean, dz)
		})
	}
}
