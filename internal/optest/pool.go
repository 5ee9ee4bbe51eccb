package optest

import (
	"fmt"
	"testing"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

// Tolerances of the pools, against float64. Max and min pooling select values and their
// backward pass moves them, so both must match exactly, as must the argmax/argmin indices
// (the inputs are distinct, so no window has a tie, except in the min-pool's ties cases,
// which test the first-in-row-major-order rule). Average pooling sums Size² ≤ 25 values in [−1, 1) in
// float32 in any order (each partial sum rounded: ≤ 25·6e-8 of the values' magnitude, a
// few units) and scales by 1/Size² (a multiplication by a rounded 1/Size² or a division,
// which GLSL computes to 2.5 ulp); its backward pass is one such scaling of dOut.
var (
	avgPoolForwardTol  = Tol{Atol: 1e-6, Rtol: 1e-6}
	avgPoolBackwardTol = Tol{Atol: 1e-9, Rtol: 1e-6}
)

// PoolShapes are the pools every pool test runs: the presets' real layers at batch 1, 3
// and 64, odd sizes whose trailing rows and columns no window covers, a window as large as
// the image, windows of 1 and an empty batch.
var PoolShapes = []model.PoolShape{
	{N: 1, C: 6, H: 24, W: 24, Size: 2},
	{N: 3, C: 6, H: 24, W: 24, Size: 2},
	{N: 64, C: 6, H: 24, W: 24, Size: 2},
	{N: 1, C: 12, H: 8, W: 8, Size: 2},
	{N: 64, C: 12, H: 8, W: 8, Size: 2},
	{N: 3, C: 2, H: 7, W: 5, Size: 2},
	{N: 3, C: 2, H: 7, W: 5, Size: 3},
	{N: 64, C: 3, H: 9, W: 7, Size: 2},
	{N: 1, C: 2, H: 5, W: 5, Size: 5},
	{N: 3, C: 2, H: 3, W: 4, Size: 1},
	{N: 0, C: 2, H: 5, W: 5, Size: 2},
}

func poolName(s model.PoolShape) string {
	return fmt.Sprintf("N%d_C%d_%dx%d_size%d", s.N, s.C, s.H, s.W, s.Size)
}

// MaxPoolForward checks ops.MaxPoolForward against ref.MaxPoolForward: values and argmax
// exactly.
func MaxPoolForward(t *testing.T, ops Ops) {
	for _, s := range PoolShapes {
		run(t, "MaxPoolForward", poolName(s), func(e *env) {
			in := e.distinct("in", s.InLen(), -1, 1)
			out, arg := e.out("out", s.OutLen()), e.outI32("argmax", s.OutLen())
			e.check(ops.MaxPoolForward(out, arg, in, s))
			want, wantArg := make([]float64, s.OutLen()), make([]int32, s.OutLen())
			ref.MaxPoolForward(want, wantArg, ref.To64(in), s)
			e.expect("out", out, want, Exact)
			e.expectI32("argmax", arg, wantArg)
		})
	}
}

// MaxPoolBackward checks ops.MaxPoolBackward against ref.MaxPoolBackward, with the argmax
// of a real forward pass: exactly, zeros included.
func MaxPoolBackward(t *testing.T, ops Ops) {
	for _, s := range PoolShapes {
		run(t, "MaxPoolBackward", poolName(s), func(e *env) {
			arg := make([]int32, s.OutLen())
			ref.MaxPoolForward(make([]float64, s.OutLen()), arg, ref.To64(e.draw(s.InLen(), -1, 1)), s)
			arg = e.inputI32("argmax", arg)
			dOut := e.uniform("dOut", s.OutLen(), -1, 1)
			dIn := e.out("dIn", s.InLen())
			e.check(ops.MaxPoolBackward(dIn, dOut, arg, s))
			want := make([]float64, s.InLen())
			ref.MaxPoolBackward(want, ref.To64(dOut), arg, s)
			e.expect("dIn", dIn, want, Exact)
		})
	}
}

// MinPoolForward checks ops.MinPoolForward against ref.MinPoolForward: values and argmin
// exactly, on distinct inputs and on inputs of only three values, where almost every
// window has tied minima and the argmin must be the first in row-major order.
func MinPoolForward(t *testing.T, ops Ops) {
	for _, ties := range []bool{false, true} {
		for _, s := range PoolShapes {
			name := poolName(s)
			if ties {
				name += "_ties"
			}
			run(t, "MinPoolForward", name, func(e *env) {
				var in []float32
				if ties {
					in = e.draw(s.InLen(), 0, 3)
					for i := range in {
						in[i] = float32(int(in[i])) - 1 // −1, 0 or 1
					}
					in = e.input("in", in)
				} else {
					in = e.distinct("in", s.InLen(), -1, 1)
				}
				out, arg := e.out("out", s.OutLen()), e.outI32("argmin", s.OutLen())
				e.check(ops.MinPoolForward(out, arg, in, s))
				want, wantArg := make([]float64, s.OutLen()), make([]int32, s.OutLen())
				ref.MinPoolForward(want, wantArg, ref.To64(in), s)
				e.expect("out", out, want, Exact)
				e.expectI32("argmin", arg, wantArg)
			})
		}
	}
}

// MinPoolBackward checks min-pool's backward pass, ops.MaxPoolBackward with the argmin of
// a real min-pool forward pass, against ref.MinPoolBackward: exactly, zeros included.
func MinPoolBackward(t *testing.T, ops Ops) {
	for _, s := range PoolShapes {
		run(t, "MinPoolBackward", poolName(s), func(e *env) {
			arg := make([]int32, s.OutLen())
			ref.MinPoolForward(make([]float64, s.OutLen()), arg, ref.To64(e.draw(s.InLen(), -1, 1)), s)
			arg = e.inputI32("argmin", arg)
			dOut := e.uniform("dOut", s.OutLen(), -1, 1)
			dIn := e.out("dIn", s.InLen())
			e.check(ops.MaxPoolBackward(dIn, dOut, arg, s))
			want := make([]float64, s.InLen())
			ref.MinPoolBackward(want, ref.To64(dOut), arg, s)
			e.expect("dIn", dIn, want, Exact)
		})
	}
}

// AvgPoolForward checks ops.AvgPoolForward against ref.AvgPoolForward.
func AvgPoolForward(t *testing.T, ops Ops) {
	for _, s := range PoolShapes {
		run(t, "AvgPoolForward", poolName(s), func(e *env) {
			in := e.uniform("in", s.InLen(), -1, 1)
			out := e.out("out", s.OutLen())
			e.check(ops.AvgPoolForward(out, in, s))
			want := make([]float64, s.OutLen())
			ref.AvgPoolForward(want, ref.To64(in), s)
			e.expect("out", out, want, avgPoolForwardTol)
		})
	}
}

// AvgPoolBackward checks ops.AvgPoolBackward against ref.AvgPoolBackward, zeros of the
// uncovered rows and columns included.
func AvgPoolBackward(t *testing.T, ops Ops) {
	for _, s := range PoolShapes {
		run(t, "AvgPoolBackward", poolName(s), func(e *env) {
			dOut := e.uniform("dOut", s.OutLen(), -1, 1)
			dIn := e.out("dIn", s.InLen())
			e.check(ops.AvgPoolBackward(dIn, dOut, s))
			want := make([]float64, s.InLen())
			ref.AvgPoolBackward(want, ref.To64(dOut), s)
			e.expect("dIn", dIn, want, avgPoolBackwardTol)
		})
	}
}
