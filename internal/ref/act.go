package ref

import (
	"math"

	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

const (
	errActLen     = "ref: activation: the slices differ in length"
	errDropoutLen = "ref: dropout: the slices differ in length"
)

func checkSame(msg string, n int, others ...int) {
	for _, m := range others {
		if m != n {
			panic(msg)
		}
	}
}

// ReLUForward computes out[i] = max(in[i], 0).
func ReLUForward(out, in []float64) {
	checkSame(errActLen, len(in), len(out))
	for i := range out {
		out[i] = math.Max(in[i], 0)
	}
}

// ReLUBackward computes dIn[i] = dOut[i] if out[i] > 0, else 0, from the forward output
// out (ReLU's derivative is 1 where its output is positive, 0 elsewhere, 0 taken at the
// kink).
func ReLUBackward(dIn, dOut, out []float64) {
	checkSame(errActLen, len(out), len(dIn), len(dOut))
	for i := range dIn {
		if out[i] > 0 {
			dIn[i] = dOut[i]
		} else {
			dIn[i] = 0
		}
	}
}

// SigmoidForward computes out[i] = 1/(1+e^−in[i]).
func SigmoidForward(out, in []float64) {
	checkSame(errActLen, len(in), len(out))
	for i := range out {
		out[i] = 1 / (1 + math.Exp(-in[i]))
	}
}

// SigmoidBackward computes dIn[i] = dOut[i]·out[i]·(1−out[i]) from the forward output out
// (σ' = σ·(1−σ)).
func SigmoidBackward(dIn, dOut, out []float64) {
	checkSame(errActLen, len(out), len(dIn), len(dOut))
	for i := range dIn {
		dIn[i] = dOut[i] * out[i] * (1 - out[i])
	}
}

// Kept reports whether inverted dropout with parameters d keeps element i of a slice,
// element d.Offset+i of its batch (uint32 arithmetic): when
// rng.DropoutBits(Seed, Step, Offset+i) ≥ Threshold.
func Kept(d model.DropoutParams, i int) bool {
	return rng.DropoutBits(d.Seed, d.Step, d.Offset+uint32(i)) >= d.Threshold
}

// DropoutForward computes out[i] = in[i]·Scale if Kept(d, i), else 0.
func DropoutForward(out, in []float64, d model.DropoutParams) {
	checkSame(errDropoutLen, len(in), len(out))
	for i := range out {
		if Kept(d, i) {
			out[i] = in[i] * float64(d.Scale)
		} else {
			out[i] = 0
		}
	}
}

// DropoutBackward computes dIn[i] = dOut[i]·Scale if Kept(d, i), else 0: the forward
// mask and scale applied to the gradient.
func DropoutBackward(dIn, dOut []float64, d model.DropoutParams) {
	checkSame(errDropoutLen, len(dOut), len(dIn))
	for i := range dIn {
		if Kept(d, i) {
			dIn[i] = dOut[i] * float64(d.Scale)
		} else {
			dIn[i] = 0
		}
	}
}
