package cpu

import (
	"math"

	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

const (
	errActLen     = "cpu: activation: the slices differ in length"
	errDropoutLen = "cpu: dropout: the slices differ in length or exceed 2^32 values"
)

// ReLUForward computes out[i] = max(in[i], 0).
func ReLUForward(out, in []float32) {
	if len(out) != len(in) {
		panic(errActLen)
	}
	k := reluForwardSIMD(out, in) // the first k values, 8 at a time
	out, in = out[k:len(in)], in[k:]
	for i, v := range in {
		out[i] = max(v, 0) // branch-free (MAXSS), so random signs cost no mispredictions
	}
}

// ReLUBackward computes dIn[i] = dOut[i] where out[i] > 0, else 0, from the forward output.
func ReLUBackward(dIn, dOut, out []float32) {
	if len(dIn) != len(dOut) || len(out) != len(dOut) {
		panic(errActLen)
	}
	k := reluBackwardSIMD(dIn, dOut, out) // the first k values, 8 at a time
	dIn, dOut, out = dIn[k:len(dOut)], dOut[k:], out[k:len(dOut)]
	for i, d := range dOut {
		// Branch-free out[i] > 0, so that random signs cost no mispredictions. With b the
		// bits of out[i] as an int32, the sign bit of −b & ^b is set when b > 0 (a positive
		// non-zero float; −0 is MinInt32), that of b − 0x7f800001 when b ≤ +Inf's bits (not
		// a NaN).
		b := int32(math.Float32bits(out[i]))
		keep := uint32((-b & ^b & (b - 0x7f800001)) >> 31)
		dIn[i] = math.Float32frombits(math.Float32bits(d) & keep)
	}
}

// SigmoidForward computes out[i] = 1/(1+e^−in[i]), the exponential in float64.
func SigmoidForward(out, in []float32) {
	if len(out) != len(in) {
		panic(errActLen)
	}
	out = out[:len(in)]
	for i, v := range in {
		out[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

// SigmoidBackward computes dIn[i] = dOut[i]·out[i]·(1−out[i]) from the forward output.
func SigmoidBackward(dIn, dOut, out []float32) {
	if len(dIn) != len(dOut) || len(out) != len(dOut) {
		panic(errActLen)
	}
	dIn, out = dIn[:len(dOut)], out[:len(dOut)]
	for i, d := range dOut {
		y := out[i]
		dIn[i] = d * y * (1 - y)
	}
}

// DropoutForward computes out[i] = in[i]·d.Scale where rng.DropoutBits(d.Seed, d.Step, d.Offset+i)
// ≥ d.Threshold (kept), else 0, i being the flat index over the slice.
func DropoutForward(out, in []float32, d model.DropoutParams) {
	if len(out) != len(in) || uint64(len(in)) > 1<<32 {
		panic(errDropoutLen)
	}
	dropout(out[:len(in)], in, d)
}

// DropoutBackward computes dIn[i] = dOut[i]·d.Scale where element i was kept by
// DropoutForward with the same d, else 0.
func DropoutBackward(dIn, dOut []float32, d model.DropoutParams) {
	if len(dIn) != len(dOut) || uint64(len(dOut)) > 1<<32 {
		panic(errDropoutLen)
	}
	dropout(dIn[:len(dOut)], dOut, d)
}

// dropout is the mask of both directions: dst[i] = src[i]·Scale if kept, else 0. The bits
// rng.DropoutBits(Seed, Step, j) = Hash32(j ^ Hash32(Step ^ Hash32(Seed))) are computed
// with the inner hashes, the same for every element, taken once.
func dropout(dst, src []float32, d model.DropoutParams) {
	key := rng.Hash32(d.Step ^ rng.Hash32(d.Seed))
	for i, v := range src {
		if rng.Hash32((d.Offset+uint32(i))^key) >= d.Threshold {
			dst[i] = v * d.Scale
		} else {
			dst[i] = 0
		}
	}
}
