//go:build goexperiment.simd && amd64

package cpu_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// simdShapes are sweepShapes plus shapes that take the SIMD kernels' other paths: rows of
// whole vectors and of a vector and a tail, padded samples that fill Conv2DBackwardFilter's
// group several times over, operands larger than a group or than the 48 KiB stack buffers
// of old, and an empty batch.
func simdShapes() []model.ConvShape {
	return append(sweepShapes(),
		model.ConvShape{N: 9, C: 1, H: 28, W: 28, OC: 6, KH: 5, KW: 5},                     // default conv1, odd N
		model.ConvShape{N: 8, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},                    // default conv2, engine chunk
		model.ConvShape{N: 3, C: 16, H: 12, W: 12, OC: 32, KH: 5, KW: 5},                   // lenet-16-32 conv2: flipped weights and padded dOut > 48 KiB
		model.ConvShape{N: 2, C: 3, H: 9, W: 21, OC: 5, KH: 3, KW: 4},                      // OW 18: two vectors and a tail
		model.ConvShape{N: 10, C: 4, H: 14, W: 14, OC: 3, KH: 3, KW: 5, PadH: 2, PadW: 4},  // padded, 7 samples a pass
		model.ConvShape{N: 2, C: 1, H: 120, W: 120, OC: 2, KH: 3, KW: 3, PadH: 1, PadW: 1}, // one padded sample > a filter group
		model.ConvShape{N: 3, C: 8, H: 40, W: 40, OC: 3, KH: 5, KW: 5, PadH: 2, PadW: 2},   // AVX-512 dW: one sample a pass
		model.ConvShape{N: 2, C: 3, H: 7, W: 11, OC: 5, KH: 2, KW: 3, PadW: 1},             // P = 6·11: a 2-lane last vector
		model.ConvShape{N: 0, C: 6, H: 12, W: 12, OC: 12, KH: 5, KW: 5},                    // empty batch
	)
}

// useSIMD turns the SIMD convolutions on for the rest of the test and restores, at its
// end, the setting it found. On a CPU without AVX2 and FMA it skips the test, saying why,
// before turning anything on.
func useSIMD(t *testing.T) {
	t.Helper()
	if !cpu.HasSIMD() {
		t.Skip("this CPU has no AVX2+FMA: the SIMD kernels cannot run here; TestOps checks the scalar ones")
	}
	was := cpu.SetSIMD(true)
	t.Cleanup(func() { cpu.SetSIMD(was) })
}

// TestSIMDConvIsUsed makes sure that the comparisons below compare different kernels,
// that the best path this CPU has is on by default, and which shapes each SIMD path takes.
func TestSIMDConvIsUsed(t *testing.T) {
	if !cpu.HasSIMD() {
		t.Skip("this CPU has no AVX2+FMA: the scalar kernels run, and the other tests check them")
	}
	was := cpu.SetSIMD(true)
	t.Cleanup(func() { cpu.SetSIMD(was) })
	assert.True(t, was, "AVX2 and FMA are present, so the SIMD convolutions must be on by default")
	was512 := cpu.SetAVX512(cpu.HasAVX512())
	assert.Equal(t, cpu.HasAVX512(), was512, "the 16-lane kernels are on by default exactly where the CPU has AVX-512")
	cpu.SetAVX512(was512)
	forEachPath(t, func(t *testing.T) {
		avx512 := cpu.SetAVX512(true)
		cpu.SetAVX512(avx512)
		// Every conv of every preset, as the engine calls them: operands of any size take the
		// SIMD kernels (lenet-16-32's second conv once fell back to the scalar input
		// gradient, its flipped weights and padded dOut being larger than a fixed stack
		// buffer: 72% of a step's time).
		for name := range model.Presets {
			a, err := model.Parse(name)
			require.NoError(t, err)
			for i := range a.Layers {
				if l := &a.Layers[i]; l.Kind == model.Conv {
					for _, n := range []int{1, 8} {
						forward, data, filter := cpu.SIMDTakes(l.ConvShape(n))
						// The 8-lane dW needs rows of 8 columns (the 4×4 maps of the third convs
						// have not); the 16-lane one runs along whole planes.
						wantFilter := avx512 || l.Out.W >= 8
						assert.True(t, forward && data && filter == wantFilter, "%s %s N=%d: forward %v, data %v, filter %v", name, l.Name, n, forward, data, filter)
					}
				}
			}
		}
		_, data, _ := cpu.SIMDTakes(model.ConvShape{N: 1, C: 64, H: 30, W: 30, OC: 64, KH: 5, KW: 5, PadH: 2, PadW: 2})
		assert.True(t, data, "large operands take the SIMD kernels too")
		_, _, filter := cpu.SIMDTakes(model.ConvShape{N: 1, C: 2, H: 4, W: 4, OC: 2, KH: 3, KW: 3, PadH: 1, PadW: 1})
		assert.Equal(t, avx512, filter, "rows of 4 columns hold no 8-wide vector, and a 4×4 plane 16 values")
	}, "avx512", "avx2")
}

// assertCloseTerms checks |got − want| ≤ 1e-6·√terms·(1 + |want|) elementwise: the float32
// result of a sum of terms O(1) products, rounded in any order, against the exact float64
// one (measured up to 4e-7·√terms for either kernel).
func assertCloseTerms(t *testing.T, want []float64, got []float32, terms int, what string, s model.ConvShape) {
	t.Helper()
	require.Len(t, got, len(want))
	tol := 1e-6 * math.Sqrt(float64(terms))
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))) {
			t.Fatalf("%s %+v: index %d: got %v, want %v (diff %g)", what, s, i, got[i], want[i], d)
		}
	}
}

// TestSIMDConvMatchesScalar runs every op with each SIMD path's kernels and with the scalar
// ones and compares both with the exact float64 sums: they may differ by rounding only.
func TestSIMDConvMatchesScalar(t *testing.T) {
	forEachPath(t, func(t *testing.T) { simdMatchesScalar(t, simdShapes()) }, "avx512", "avx2")
}

func simdMatchesScalar(t *testing.T, shapes []model.ConvShape) {
	useSIMD(t)
	src := rng.New(7)
	for _, s := range shapes {
		in, w, b := randSlice(src, s.InLen()), randSlice(src, s.WeightLen()), randSlice(src, s.OC)
		dOut := randSlice(src, s.OutLen())
		wantOut, wantIn := make([]float64, s.OutLen()), make([]float64, s.InLen())
		wantW, wantB := make([]float64, s.WeightLen()), make([]float64, s.OC)
		ref.Conv2DForward(wantOut, ref.To64(in), ref.To64(w), ref.To64(b), s)
		ref.Conv2DBackwardData(wantIn, ref.To64(dOut), ref.To64(w), s)
		ref.Conv2DBackwardFilter(wantW, wantB, ref.To64(dOut), ref.To64(in), s)
		for _, simd := range []bool{true, false} {
			cpu.SetSIMD(simd)
			what := map[bool]string{true: "simd ", false: "scalar "}[simd]
			out := nanSlice(s.OutLen())
			cpu.Conv2DForward(out, in, w, b, s)
			assertCloseTerms(t, wantOut, out, s.C*s.KH*s.KW+1, what+"forward", s)
			dIn := nanSlice(s.InLen())
			cpu.Conv2DBackwardData(dIn, dOut, w, s)
			assertCloseTerms(t, wantIn, dIn, s.OC*s.KH*s.KW, what+"backward data", s)
			dW, dB := nanSlice(s.WeightLen()), nanSlice(s.OC)
			cpu.Conv2DBackwardFilter(dW, dB, dOut, in, s)
			assertCloseTerms(t, wantW, dW, s.N*s.OH()*s.OW(), what+"backward filter dW", s)
			assertCloseTerms(t, wantB, dB, s.N*s.OH()*s.OW(), what+"backward filter dB", s)
		}
	}
}

// TestSIMDSettingIsTheCallers: the SIMD tests run whatever the setting they find (here
// off), put it back when done, and on a CPU without AVX2+FMA skip without turning the
// kernels on.
func TestSIMDSettingIsTheCallers(t *testing.T) {
	if !cpu.HasSIMD() {
		t.Skip("this CPU has no AVX2+FMA: nothing to turn on or restore")
	}
	was := cpu.SetSIMD(false)
	defer cpu.SetSIMD(was)
	ran := false
	t.Run("from off", func(t *testing.T) {
		simdMatchesScalar(t, simdShapes()[len(simdShapes())-6:])
		ran = true
	})
	assert.True(t, ran, "the comparison ran (and was not skipped) although the SIMD kernels were off")
	assert.False(t, cpu.SetSIMD(false), "the setting found (off) is restored")

	restore := cpu.PretendNoSIMD()
	defer restore()
	ran = false
	t.Run("no AVX2", func(t *testing.T) {
		useSIMD(t)
		ran = true
	})
	assert.False(t, ran, "skipped on a CPU without AVX2+FMA")
	assert.False(t, cpu.SetSIMD(true), "the kernels stay off on such a CPU")
	assert.False(t, cpu.SetSIMD(false), "even when asked to turn them on")
}
