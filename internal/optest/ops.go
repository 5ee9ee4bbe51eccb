// Package optest is the one parity suite that every engine's ops run. Its oracle is the
// plain float64 reference, package internal/ref: the CPU engine's fast kernels and the GPU's
// shaders are both implementations under test, never each other's or their own oracle.
//
// Each case draws fresh random inputs from a seed derived from its name (OPTEST_SEED
// changes them all), poisons the outputs with NaN and writes guard values past their ends,
// runs the op, and requires: no error, inputs unchanged, no guard overwritten, and every
// output within a tolerance of the reference computed in float64 from the same inputs,
// |got − ref| ≤ Atol + Rtol·|ref|, stated per op with its reason: the float32 rounding an
// implementation may commit, with room to spare where the order of a sum is free (with -v,
// every case logs the fraction of its tolerance it used). Ops that only select or move
// values (ReLU, max- and min-pool and their argmax/argmin, dropout's mask, the correct flags) must match
// exactly. BadArguments then calls every op with each slice one value too short
// and too long, and with out-of-range labels and argmax indices, and requires an error, no
// panic and nothing written.
package optest

import "github.com/vkcnn/vkcnn/model"

// Ops is every op of the network, forward and backward, outputs first. Slices hold exactly
// the values the shape says; package internal/ref defines what each op computes. Backward
// ops overwrite their outputs (no accumulation). A slice of another length, a label outside
// [0, k) or an argmax index outside the input is an error that names the argument, returned
// before anything is written.
type Ops interface {
	// Conv2DForward: in (N,C,H,W), w (OC,C,KH,KW), b (OC) → out (N,OC,OH,OW).
	Conv2DForward(out, in, w, b []float32, s model.ConvShape) error
	// Conv2DBackwardData: dOut (N,OC,OH,OW), w → dIn (N,C,H,W).
	Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) error
	// Conv2DBackwardFilter: dOut, in → dW (OC,C,KH,KW), dB (OC), summed over the batch.
	Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) error

	// ReLUForward: out = max(in, 0), n values.
	ReLUForward(out, in []float32) error
	// ReLUBackward: dIn = dOut where out > 0, else 0.
	ReLUBackward(dIn, dOut, out []float32) error
	// SigmoidForward: out = 1/(1+e^−in).
	SigmoidForward(out, in []float32) error
	// SigmoidBackward: dIn = dOut·out·(1−out).
	SigmoidBackward(dIn, dOut, out []float32) error

	// MaxPoolForward: out (N,C,OH,OW) = window max; argmax holds the flat index into in
	// (over the whole batch, N·C·H·W values) of the first maximum of each window
	// (row-major scan).
	MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error
	// MaxPoolBackward: dIn = 0 except dIn[argmax[j]] = dOut[j]. It is also min-pool's
	// backward pass, with MinPoolForward's argmin.
	MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error
	// MinPoolForward: out (N,C,OH,OW) = window min; argmin as MaxPoolForward's argmax, of
	// the first minimum.
	MinPoolForward(out []float32, argmin []int32, in []float32, s model.PoolShape) error
	// AvgPoolForward: out = window mean.
	AvgPoolForward(out, in []float32, s model.PoolShape) error
	// AvgPoolBackward: each input of a window gets dOut/Size²; inputs outside every window 0.
	AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error

	// DropoutForward: out[i] = in[i]·Scale if element Offset+i is kept, else 0 (see
	// model.DropoutParams).
	DropoutForward(out, in []float32, d model.DropoutParams) error
	// DropoutBackward: dIn[i] = dOut[i]·Scale if kept else 0, the same mask.
	DropoutBackward(dIn, dOut []float32, d model.DropoutParams) error

	// DenseForward: in (N,In), w (Out,In), b (Out) → out (N,Out).
	DenseForward(out, in, w, b []float32, s model.DenseShape) error
	// DenseBackwardData: dIn (N,In) = dOut·w.
	DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error
	// DenseBackwardWeights: dW (Out,In) = dOutᵀ·in, dB (Out) = Σ_n dOut, over the batch.
	DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error

	// SoftmaxCrossEntropy: logits (N,K), labels (N) → loss (N) = −log softmax(z_n)[y_n],
	// dLogits (N,K) = (softmax(z_n) − onehot(y_n))·scale (scale = 1/batch for a mean loss),
	// correct (N) = 1 where argmax(z_n) (first maximum) = y_n, else 0.
	SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) error

	// SGDUpdate: with momentum μ = 0, w −= lr·g and v is left unchanged; else
	// v = μ·v + g, w −= lr·v.
	SGDUpdate(w, v, g []float32, lr, momentum float32) error
}
