package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// Boundary cases that the op suite's random inputs never meet (it draws distinct values
// and random masks on purpose), each found by a deliberate wrong change to a shader that
// every other GPU test let through: ties, which the reference breaks towards the first
// maximum, and dropout bits exactly at the threshold, which the reference keeps.

// TestMaxPoolTiesTakeTheFirstMaximum: with inputs of only three values almost every window
// has tied maxima; value and argmax must be the reference's, the first in row-major order.
func TestMaxPoolTiesTakeTheFirstMaximum(t *testing.T) {
	o := NewOps(testDevice(t))
	src := rng.New(41)
	for _, s := range []model.PoolShape{{N: 2, C: 3, H: 6, W: 7, Size: 2}, {N: 1, C: 2, H: 9, W: 9, Size: 3}} {
		in := make([]float32, s.InLen())
		for i := range in {
			in[i] = float32(src.Intn(3)) / 2 // 0, 0.5 or 1
		}
		out, arg := make([]float32, s.OutLen()), make([]int32, s.OutLen())
		require.NoError(t, o.MaxPoolForward(out, arg, in, s))
		want, wantArg := make([]float64, s.OutLen()), make([]int32, s.OutLen())
		ref.MaxPoolForward(want, wantArg, ref.To64(in), s)
		assert.Equal(t, ref.To32(want), out, "%+v", s)
		assert.Equal(t, wantArg, arg, "%+v: argmax of tied windows", s)
	}
}

// TestSoftmaxTiesTakeTheFirstMaximum: a sample whose largest logits are tied counts as
// correct only when its label is the first of them.
func TestSoftmaxTiesTakeTheFirstMaximum(t *testing.T) {
	o := NewOps(testDevice(t))
	const n, k = 4, 5
	logits := []float32{
		1, 3, 0, 3, 2, // tie at 1 and 3, label 1: correct
		1, 3, 0, 3, 2, // the same, label 3: wrong
		2, 2, 2, 2, 2, // all tied, label 0: correct
		2, 2, 2, 2, 2, // all tied, label 4: wrong
	}
	labels := []int32{1, 3, 0, 4}
	loss, dz, correct := make([]float32, n), make([]float32, n*k), make([]int32, n)
	require.NoError(t, o.SoftmaxCrossEntropy(loss, dz, correct, logits, labels, n, k, 1.0/n))
	want := make([]int32, n)
	ref.SoftmaxCrossEntropy(make([]float64, n), make([]float64, n*k), want, ref.To64(logits), labels, n, k, 1.0/n)
	require.Equal(t, []int32{1, 0, 1, 0}, want, "the reference breaks ties towards the first maximum")
	assert.Equal(t, want, correct)
}

// TestDropoutKeepsBitsEqualToThreshold: the threshold set to the bits of one element keeps
// that element (kept means bits ≥ threshold), in both directions, at an offset.
func TestDropoutKeepsBitsEqualToThreshold(t *testing.T) {
	o := NewOps(testDevice(t))
	d := model.DropoutParams{Seed: 0x80000005, Step: 7, Offset: 1 << 20, Scale: 2}
	const n, at = 64, 37
	d.Threshold = rng.DropoutBits(d.Seed, d.Step, d.Offset+at)
	require.True(t, ref.Kept(d, at))
	in := make([]float32, n)
	for i := range in {
		in[i] = float32(i + 1)
	}
	for name, f := range map[string]func(dst, src []float32, d model.DropoutParams) error{
		"forward": o.DropoutForward, "backward": o.DropoutBackward,
	} {
		got := make([]float32, n)
		require.NoError(t, f(got, in, d), name)
		want := make([]float64, n)
		ref.DropoutForward(want, ref.To64(in), d)
		assert.Equal(t, ref.To32(want), got, name)
		assert.Equal(t, float32(2*(at+1)), got[at], "%s: the element at the threshold is kept", name)
	}
}
