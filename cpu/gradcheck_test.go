package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"vkcnn/cpu"
	"vkcnn/internal/optest"
	"vkcnn/internal/rng"
	"vkcnn/model"
)

// Finite-difference checks of every backward function: for a random r, the scalar
// L(x) = Σ_j r_j·out_j(x) is evaluated with the float64 forward maths of
// internal/optest (written from the formulas, independently of package cpu), and its
// central differences (L(x+h) − L(x−h))/2h are compared with the float32 gradient that
// the backward function computes from dOut = r.
//
// gradTol: h = 1e-6 in float64 leaves a difference error of about 1e-16·|L|/h ≈ 1e-9
// and a truncation error of h² times the third derivative, about 1e-12; what remains is
// the float32 rounding of the backward sums, about 1e-6 relative. ReLU inputs keep
// |x| ≥ 1e-2 and max-pool inputs are distinct by far more than h, so no difference
// straddles a kink or a tie.
var gradTol = optest.Tol{Atol: 1e-5, Rtol: 1e-4}

const gradH = 1e-6

// checkGrad compares grad with the central differences of loss at x, element by element.
func checkGrad(t *testing.T, what string, x []float64, loss func(x []float64) float64, grad []float32) {
	t.Helper()
	if len(grad) != len(x) {
		t.Fatalf("%s: %d gradient values for %d inputs", what, len(grad), len(x))
	}
	worst := 0.0
	for i := range x {
		orig := x[i]
		x[i] = orig + gradH
		up := loss(x)
		x[i] = orig - gradH
		down := loss(x)
		x[i] = orig
		num := (up - down) / (2 * gradH)
		d := math.Abs(num - float64(grad[i]))
		worst = max(worst, d)
		if !(d <= gradTol.Atol+gradTol.Rtol*math.Abs(num)) {
			t.Fatalf("%s: index %d: backward %g, finite difference %g (|diff| %g)", what, i, grad[i], num, d)
		}
	}
	t.Logf("%s: %d values, max |backward − finite difference| = %.2g", what, len(x), worst)
}

// dotR is Σ r_j·out_j.
func dotR(r []float32, out []float64) float64 {
	var s float64
	for j, v := range out {
		s += float64(r[j]) * v
	}
	return s
}

func TestConvGradients(t *testing.T) {
	for _, s := range []model.ConvShape{
		{N: 2, C: 2, H: 5, W: 6, OC: 3, KH: 3, KW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 1, H: 7, W: 6, OC: 2, KH: 5, KW: 5},
		{N: 2, C: 3, H: 4, W: 5, OC: 2, KH: 3, KW: 3, PadH: 2, PadW: 2},
		{N: 1, C: 6, H: 6, W: 6, OC: 4, KH: 1, KW: 1},
	} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_k%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.KH, s.KW, s.PadH, s.PadW), func(t *testing.T) {
			src := rng.New(11)
			in, w, b := randSlice(src, s.InLen()), randSlice(src, s.WeightLen()), randSlice(src, s.OC)
			r := randSlice(src, s.OutLen())
			in64, w64, b64 := optest.To64(in), optest.To64(w), optest.To64(b)
			// checkGrad perturbs in64, w64 and b64 in place; the loss reads them.
			loss := func() float64 { return dotR(r, optest.Conv2DForward64(in64, w64, b64, s)) }

			dIn := nanSlice(s.InLen())
			cpu.Conv2DBackwardData(dIn, r, w, s)
			checkGrad(t, "dIn", in64, func([]float64) float64 { return loss() }, dIn)

			dW, dB := nanSlice(s.WeightLen()), nanSlice(s.OC)
			cpu.Conv2DBackwardFilter(dW, dB, r, in, s)
			checkGrad(t, "dW", w64, func([]float64) float64 { return loss() }, dW)
			checkGrad(t, "dB", b64, func([]float64) float64 { return loss() }, dB)
		})
	}
}

func TestDenseGradients(t *testing.T) {
	s := model.DenseShape{N: 3, In: 7, Out: 5}
	src := rng.New(12)
	in, w, b := randSlice(src, s.N*s.In), randSlice(src, s.Out*s.In), randSlice(src, s.Out)
	r := randSlice(src, s.N*s.Out)
	in64, w64, b64 := optest.To64(in), optest.To64(w), optest.To64(b)
	loss := func([]float64) float64 { return dotR(r, optest.Dense64(in64, w64, b64, s)) }

	dIn := nanSlice(s.N * s.In)
	cpu.DenseBackwardData(dIn, r, w, s)
	checkGrad(t, "dIn", in64, loss, dIn)
	dW, dB := nanSlice(s.Out*s.In), nanSlice(s.Out)
	cpu.DenseBackwardWeights(dW, dB, r, in, s)
	checkGrad(t, "dW", w64, loss, dW)
	checkGrad(t, "dB", b64, loss, dB)
}

func TestActivationGradients(t *testing.T) {
	const n = 200
	src := rng.New(13)
	x := randSlice(src, n)
	for i := range x { // keep |x| ≥ 1e-2, away from ReLU's kink
		x[i] = float32(math.Copysign(0.01+math.Abs(float64(x[i])), float64(x[i])))
	}
	r := randSlice(src, n)
	x64 := optest.To64(x)

	out, dIn := make([]float32, n), nanSlice(n)
	cpu.ReLUForward(out, x)
	cpu.ReLUBackward(dIn, r, out)
	checkGrad(t, "relu", x64, func(x []float64) float64 { return dotR(r, optest.ReLU64(x)) }, dIn)

	for i := range x {
		x[i] *= 4 // sigmoid over ±4
	}
	x64 = optest.To64(x)
	cpu.SigmoidForward(out, x)
	cpu.SigmoidBackward(dIn, r, out)
	checkGrad(t, "sigmoid", x64, func(x []float64) float64 { return dotR(r, optest.Sigmoid64(x)) }, dIn)

	d := model.DropoutParams{Seed: 3, Step: 9, Threshold: rng.DropoutThreshold(0.3), Scale: 1 / 0.7}
	cpu.DropoutBackward(dIn, r, d)
	checkGrad(t, "dropout", x64, func(x []float64) float64 { return dotR(r, optest.Dropout64(x, d)) }, dIn)
}

func TestPoolGradients(t *testing.T) {
	for _, s := range []model.PoolShape{
		{N: 2, C: 2, H: 7, W: 5, Size: 2},
		{N: 1, C: 3, H: 6, W: 6, Size: 3},
	} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_size%d", s.N, s.C, s.H, s.W, s.Size), func(t *testing.T) {
			src := rng.New(14)
			// Distinct values 2/InLen apart at least, so a window's maximum stays put under ±h.
			order := make([]int32, s.InLen())
			src.Perm(order)
			in := make([]float32, s.InLen())
			for i, p := range order {
				in[i] = float32(p)/float32(len(in))*2 - 1
			}
			r := randSlice(src, s.OutLen())
			in64 := optest.To64(in)

			out, arg, dIn := make([]float32, s.OutLen()), make([]int32, s.OutLen()), nanSlice(s.InLen())
			cpu.MaxPoolForward(out, arg, in, s)
			cpu.MaxPoolBackward(dIn, r, arg, s)
			checkGrad(t, "maxpool", in64, func(x []float64) float64 { return dotR(r, optest.Pool64(x, s, true)) }, dIn)

			cpu.AvgPoolBackward(dIn, r, s)
			checkGrad(t, "avgpool", in64, func(x []float64) float64 { return dotR(r, optest.Pool64(x, s, false)) }, dIn)
		})
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	const n, k = 4, 10
	src := rng.New(15)
	z := randSlice(src, n*k)
	for i := range z {
		z[i] *= 5
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(src.Intn(k))
	}
	const scale = 1.0 / n // the gradient of the mean loss
	loss, dz, correct := make([]float32, n), nanSlice(n*k), make([]int32, n)
	cpu.SoftmaxCrossEntropy(loss, dz, correct, z, labels, n, k, scale)
	z64 := optest.To64(z)
	mean := func(x []float64) float64 {
		var s float64
		for _, l := range optest.CrossEntropy64(x, labels, n, k) {
			s += l
		}
		return s * scale
	}
	checkGrad(t, "dLogits", z64, mean, dz)
	for i, l := range optest.CrossEntropy64(z64, labels, n, k) {
		if math.Abs(float64(loss[i])-l) > 1e-6*(1+l) {
			t.Fatalf("loss[%d] = %g, float64 %g", i, loss[i], l)
		}
	}
}
