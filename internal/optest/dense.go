package optest

import (
	"fmt"
	"testing"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// Tolerances of the dense layer, the loss and the update, against float64.
var (
	// denseTol: every dense output is a sum of products (In ≤ 784 forward, Out ≤ 100 for
	// dIn, N ≤ 64 for dW with dOut scaled by 1/√N) of O(1) magnitude in total, summed in
	// float32 in any order; as for the convolutions.
	denseTol = Tol{Atol: 2e-5, Rtol: 1e-4}
	// lossTol: a GPU evaluates the exponentials and the logarithm in float32 (GLSL allows a
	// few ulp, and 2^−21 absolute for log near 1), so the loss of logits in ±8 is off the
	// float64 one by up to a few 1e-6.
	lossTol = Tol{Atol: 5e-6, Rtol: 1e-5}
	// lossGradTol: softmax − onehot is off by the same few ulp of each exponential and of
	// the division; its Atol is in units of scale (it is multiplied by scale per case).
	lossGradTol = Tol{Atol: 1e-6, Rtol: 1e-5}
	// sgdTol: w − lr·v and μ·v + g are two float32 roundings each (one where a multiply-add
	// is fused), so results are an ulp or two (6e-8 relative each) off the exact ones; the
	// Atol covers the product's rounding where the result cancels (|w|, |v| < 2).
	sgdTol = Tol{Atol: 1e-7, Rtol: 1e-6}
)

// DenseShapes are the dense layers the dense tests run: the presets' real classifiers at
// batch 1, 3 and 64, an MLP-sized layer, odd sizes, 1×1 and an empty batch.
var DenseShapes = []model.DenseShape{
	{N: 1, In: 192, Out: 10},
	{N: 3, In: 192, Out: 10},
	{N: 64, In: 192, Out: 10},
	{N: 3, In: 512, Out: 10},
	{N: 64, In: 128, Out: 10},
	{N: 64, In: 784, Out: 100},
	{N: 3, In: 7, Out: 5},
	{N: 1, In: 1, Out: 1},
	{N: 0, In: 7, Out: 5},
}

func denseName(s model.DenseShape) string {
	return fmt.Sprintf("N%d_in%d_out%d", s.N, s.In, s.Out)
}

// DenseForward checks ops.DenseForward against ref.DenseForward.
func DenseForward(t *testing.T, ops Ops) {
	for _, s := range DenseShapes {
		run(t, "DenseForward", denseName(s), func(e *env) {
			in := e.uniform("in", s.N*s.In, -1, 1)
			w, b := e.weights("w", s.Out*s.In, s.In), e.weights("b", s.Out, s.In)
			out := e.out("out", s.N*s.Out)
			e.check(ops.DenseForward(out, in, w, b, s))
			want := make([]float64, s.N*s.Out)
			ref.DenseForward(want, ref.To64(in), ref.To64(w), ref.To64(b), s)
			e.expect("out", out, want, denseTol)
		})
	}
}

// DenseBackwardData checks ops.DenseBackwardData against ref.DenseBackwardData.
func DenseBackwardData(t *testing.T, ops Ops) {
	for _, s := range DenseShapes {
		run(t, "DenseBackwardData", denseName(s), func(e *env) {
			dOut := e.uniform("dOut", s.N*s.Out, -1, 1)
			w := e.weights("w", s.Out*s.In, s.In)
			dIn := e.out("dIn", s.N*s.In)
			e.check(ops.DenseBackwardData(dIn, dOut, w, s))
			want := make([]float64, s.N*s.In)
			ref.DenseBackwardData(want, ref.To64(dOut), ref.To64(w), s)
			e.expect("dIn", dIn, want, denseTol)
		})
	}
}

// DenseBackwardWeights checks ops.DenseBackwardWeights against ref.DenseBackwardWeights.
func DenseBackwardWeights(t *testing.T, ops Ops) {
	for _, s := range DenseShapes {
		run(t, "DenseBackwardWeights", denseName(s), func(e *env) {
			dOut := e.weights("dOut", s.N*s.Out, max(s.N, 1))
			in := e.uniform("in", s.N*s.In, -1, 1)
			dW, dB := e.out("dW", s.Out*s.In), e.out("dB", s.Out)
			e.check(ops.DenseBackwardWeights(dW, dB, dOut, in, s))
			wantW, wantB := make([]float64, s.Out*s.In), make([]float64, s.Out)
			ref.DenseBackwardWeights(wantW, wantB, ref.To64(dOut), ref.To64(in), s)
			e.expect("dW", dW, wantW, denseTol)
			e.expect("dB", dB, wantB, denseTol)
		})
	}
}

// lossCase is a batch of n rows of k logits, distinct within each row, in
// offset ± spread.
type lossCase struct {
	n, k           int
	offset, spread float32
}

var lossCases = []lossCase{
	{1, 10, 0, 8}, {3, 10, 0, 8}, {64, 10, 0, 8}, {5, 3, 0, 8}, {2, 1, 0, 8}, {64, 100, 0, 8},
	{3, 10, 1000, 8}, // large logits: a sum of exponentials without the maximum taken out overflows
	{3, 10, -1000, 8},
	{0, 10, 0, 8}, // an empty batch
}

// SoftmaxCrossEntropy checks ops.SoftmaxCrossEntropy against ref.SoftmaxCrossEntropy with
// scale = 1/n: loss and gradient within tolerance, correct flags exactly.
func SoftmaxCrossEntropy(t *testing.T, ops Ops) {
	for _, c := range lossCases {
		run(t, "SoftmaxCrossEntropy", fmt.Sprintf("n%d_k%d_logits%g±%g", c.n, c.k, c.offset, c.spread), func(e *env) {
			z := make([]float32, 0, c.n*c.k)
			labels := make([]int32, c.n)
			for s := range c.n {
				z = append(z, e.drawDistinct(c.k, c.offset-c.spread, c.offset+c.spread)...)
				labels[s] = int32(e.src.Intn(c.k))
			}
			if c.n >= 3 && c.k > 1 { // make sure some predictions are right and some wrong
				labels[0], labels[1] = argmax(z[0:c.k]), (argmax(z[c.k:2*c.k])+1)%int32(c.k)
			}
			z, labels = e.input("logits", z), e.inputI32("labels", labels)
			scale := 1 / float32(max(c.n, 1))
			loss, dz, correct := e.out("loss", c.n), e.out("dLogits", c.n*c.k), e.outI32("correct", c.n)
			e.check(ops.SoftmaxCrossEntropy(loss, dz, correct, z, labels, c.n, c.k, scale))
			wantLoss, wantDz, wantCorrect := make([]float64, c.n), make([]float64, c.n*c.k), make([]int32, c.n)
			ref.SoftmaxCrossEntropy(wantLoss, wantDz, wantCorrect, ref.To64(z), labels, c.n, c.k, float64(scale))
			e.expect("loss", loss, wantLoss, lossTol)
			gradTol := lossGradTol
			gradTol.Atol *= float64(scale)
			e.expect("dLogits", dz, wantDz, gradTol)
			e.expectI32("correct", correct, wantCorrect)
		})
	}
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

// sgdCase is one SGD step on n parameters.
type sgdCase struct {
	n            int
	lr, momentum float32
}

var sgdCases = []sgdCase{
	{1, 0.1, 0}, {7, 0.1, 0}, {1812, 0.05, 0}, {100000, 0.01, 0},
	{1, 0.1, 0.9}, {7, 0.1, 0.9}, {1812, 0.05, 0.5}, {100000, 0.01, 0.9},
	{0, 0.1, 0.9},
}

// SGDUpdate checks ops.SGDUpdate against ref.SGDUpdate, with and without momentum; without
// momentum v must be left unchanged.
func SGDUpdate(t *testing.T, ops Ops) {
	for _, c := range sgdCases {
		run(t, "SGDUpdate", fmt.Sprintf("n%d_lr%g_momentum%g", c.n, c.lr, c.momentum), func(e *env) {
			w0, v0 := e.draw(c.n, -1, 1), e.draw(c.n, -1, 1)
			g := e.uniform("g", c.n, -1, 1)
			w, v := e.inout("w", w0), e.inout("v", v0)
			e.check(ops.SGDUpdate(w, v, g, c.lr, c.momentum))
			wantW, wantV := ref.To64(w0), ref.To64(v0)
			ref.SGDUpdate(wantW, wantV, ref.To64(g), float64(c.lr), float64(c.momentum))
			e.expect("w", w, wantW, sgdTol)
			if c.momentum == 0 {
				e.expect("v (untouched without momentum)", v, ref.To64(v0), Exact)
			} else {
				e.expect("v", v, wantV, sgdTol)
			}
		})
	}
}
