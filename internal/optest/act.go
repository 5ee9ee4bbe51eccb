package optest

import (
	"fmt"
	"math"
	"testing"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// Tolerances of the elementwise ops, against float64. ReLU only selects values: exact. The
// sigmoid's exponential is not correctly rounded on a GPU (GLSL allows 3 + 2·|x| ulp for
// exp, 2.5 ulp for a division), about 2e-6 relative for |x| ≤ 8, plus the final rounding
// to float32 (6e-8); its backward pass is two products and a difference of float32 values,
// a few roundings of 6e-8 each. Dropout multiplies a kept value by Scale, one correctly
// rounded float32 product in Vulkan as in Go, within half an ulp (6e-8 relative) of the
// exact product: 1.2e-7 allows one ulp; the mask itself must match exactly.
var (
	sigmoidForwardTol  = Tol{Atol: 1e-7, Rtol: 5e-6}
	sigmoidBackwardTol = Tol{Atol: 1e-9, Rtol: 1e-6}
	dropoutTol         = Tol{Atol: 0, Rtol: 1.2e-7}
)

// ElementwiseLens are the lengths the elementwise tests run: none, one value, odd lengths,
// the default network's activations at batch 1 and 64 (6·24·24 and 12·4·4 per sample).
var ElementwiseLens = []int{0, 1, 7, 1000, 3456, 64 * 192, 64 * 3456}

func lenName(n int) string { return fmt.Sprintf("n%d", n) }

// ReLUForward checks ops.ReLUForward against ref.ReLUForward, exactly; the inputs include
// zeros and negative zeros.
func ReLUForward(t *testing.T, ops Ops) {
	for _, n := range ElementwiseLens {
		run(t, "ReLUForward", lenName(n), func(e *env) {
			in := e.input("in", withZeros(e.draw(n, -1, 1)))
			out := e.out("out", n)
			e.check(ops.ReLUForward(out, in))
			want := make([]float64, n)
			ref.ReLUForward(want, ref.To64(in))
			e.expect("out", out, want, Exact)
		})
	}
}

// ReLUBackward checks ops.ReLUBackward against ref.ReLUBackward, exactly, with the output
// of a real forward pass (about half zeros, some of them −0).
func ReLUBackward(t *testing.T, ops Ops) {
	for _, n := range ElementwiseLens {
		run(t, "ReLUBackward", lenName(n), func(e *env) {
			fwd := make([]float64, n)
			ref.ReLUForward(fwd, ref.To64(e.draw(n, -1, 1)))
			out := e.input("out", withZeros(ref.To32(fwd)))
			dOut := e.uniform("dOut", n, -1, 1)
			dIn := e.out("dIn", n)
			e.check(ops.ReLUBackward(dIn, dOut, out))
			want := make([]float64, n)
			ref.ReLUBackward(want, ref.To64(dOut), ref.To64(out))
			e.expect("dIn", dIn, want, Exact)
		})
	}
}

// SigmoidForward checks ops.SigmoidForward against ref.SigmoidForward for inputs in ±8.
func SigmoidForward(t *testing.T, ops Ops) {
	for _, n := range ElementwiseLens {
		run(t, "SigmoidForward", lenName(n), func(e *env) {
			in := e.uniform("in", n, -8, 8)
			out := e.out("out", n)
			e.check(ops.SigmoidForward(out, in))
			want := make([]float64, n)
			ref.SigmoidForward(want, ref.To64(in))
			e.expect("out", out, want, sigmoidForwardTol)
		})
	}
}

// SigmoidBackward checks ops.SigmoidBackward against ref.SigmoidBackward with outputs in
// (0, 1).
func SigmoidBackward(t *testing.T, ops Ops) {
	for _, n := range ElementwiseLens {
		run(t, "SigmoidBackward", lenName(n), func(e *env) {
			out := e.uniform("out", n, 0, 1)
			dOut := e.uniform("dOut", n, -1, 1)
			dIn := e.out("dIn", n)
			e.check(ops.SigmoidBackward(dIn, dOut, out))
			want := make([]float64, n)
			ref.SigmoidBackward(want, ref.To64(dOut), ref.To64(out))
			e.expect("dIn", dIn, want, sigmoidBackwardTol)
		})
	}
}

// dropoutCases are the drop probabilities the dropout tests run; p = 0 keeps everything.
var dropoutCases = []float32{0.5, 0.1, 0}

// dropoutParams draws a mask's seed and step (both with high bits set, to catch a shader
// that loses them) for probability p, at offset 0 or, with offset, at a random offset below
// 2^30 with bit 29 set (where a chunk of a batch starts).
func (e *env) dropoutParams(p float32, offset bool) model.DropoutParams {
	d := model.DropoutParams{
		Seed:      uint32(e.src.Uint64()) | 1<<31,
		Step:      uint32(e.src.Uint64()) | 1<<30,
		Threshold: rng.DropoutThreshold(p),
		Scale:     1 / (1 - p),
	}
	if offset {
		d.Offset = uint32(e.src.Uint64())>>2 | 1<<29
	}
	return d
}

// DropoutForward checks ops.DropoutForward against ref.DropoutForward: the same values
// kept (inputs are never zero) and the kept ones scaled alike.
func DropoutForward(t *testing.T, ops Ops) {
	testDropout(t, "DropoutForward", ops.DropoutForward, ref.DropoutForward)
}

// DropoutBackward checks ops.DropoutBackward against ref.DropoutBackward like
// DropoutForward.
func DropoutBackward(t *testing.T, ops Ops) {
	testDropout(t, "DropoutBackward", ops.DropoutBackward, ref.DropoutBackward)
}

func testDropout(t *testing.T, op string, f func(dst, src []float32, d model.DropoutParams) error, oracle func(dst, src []float64, d model.DropoutParams)) {
	for _, n := range ElementwiseLens {
		for _, p := range dropoutCases {
			for _, offset := range []bool{false, true} {
				name := fmt.Sprintf("%s_p%g", lenName(n), p)
				if offset {
					name += "_offset"
				}
				run(t, op, name, func(e *env) {
					d := e.dropoutParams(p, offset)
					src := e.draw(n, 0.5, 1) // never zero: a zero output means dropped
					for i := range src {
						if e.src.Uint64()&1 == 0 {
							src[i] = -src[i]
						}
					}
					src = e.input("src", src)
					dst := e.out("dst", n)
					e.check(f(dst, src, d))
					want := make([]float64, n)
					oracle(want, ref.To64(src), d)
					gotMask, wantMask := make([]int32, n), make([]int32, n)
					for i := range want {
						gotMask[i], wantMask[i] = b2i(dst[i] != 0), b2i(want[i] != 0)
					}
					e.expectI32("mask (1 = kept)", gotMask, wantMask)
					e.expect("values", dst, want, dropoutTol)
				})
			}
		}
	}
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// withZeros sets every 16th value of x to +0 and every 16th (offset 8) to −0.
func withZeros(x []float32) []float32 {
	negZero := float32(math.Copysign(0, -1))
	for i := range x {
		switch i % 16 {
		case 0:
			x[i] = 0
		case 8:
			x[i] = negZero
		}
	}
	return x
}
