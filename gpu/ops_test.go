package gpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"vkcnn/cpu"
	"vkcnn/internal/optest"
	"vkcnn/internal/rng"
	"vkcnn/model"
)

var _ optest.Ops = (*Ops)(nil)

// TestOps runs the shared parity suite: every op against the CPU reference on fresh random
// inputs, under validation with synchronization checks.
func TestOps(t *testing.T) {
	optest.All(t, NewOps(testDevice(t)))
}

func randSlice(r *rng.Source, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// The suite draws masks at offset 0; an engine that splits a batch passes an Offset, and
// the shader must index the mask by Offset+i as the reference does.
func TestDropoutOffsetMatchesCPU(t *testing.T) {
	o := NewOps(testDevice(t))
	r := rng.New(5)
	n := 3000
	in := randSlice(r, n, 0.5, 1)
	d := model.DropoutParams{Seed: 42, Step: 7, Threshold: rng.DropoutThreshold(0.5), Scale: 2, Offset: 100}
	want, got := make([]float32, n), nanSlice(n)
	cpu.DropoutForward(want, in, d)
	require.NoError(t, o.DropoutForward(got, in, d))
	assert.Equal(t, want, got, "forward: the same mask and the same product")
	cpu.DropoutBackward(want, in, d)
	require.NoError(t, o.DropoutBackward(got, in, d))
	assert.Equal(t, want, got, "backward")
	d.Offset = 0
	require.NoError(t, o.DropoutForward(got, in, d))
	assert.NotEqual(t, want, got, "another offset selects other mask bits")
}
