package gpu

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ops notices a shader that writes past the end of an output: testdata/overrun.comp writes
// one element more than it is given.
func TestGuardCatchesOverrun(t *testing.T) {
	o := NewOps(testDevice(t))
	code, err := os.ReadFile("testdata/overrun.spv")
	require.NoError(t, err)
	o.extra = map[string][]byte{"overrun": code}
	in := []float32{1, -2, 3}
	out := make([]float32, 3)
	err = o.run(elementwiseCall("overrun", 3), output("out", out), input("in", in))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gpu: overrun wrote past the end of out (guard word 0")
}

func TestShaderNotEmbedded(t *testing.T) {
	_, err := kernel(testDevice(t), "no_such_shader", 64)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gpu: shader no_such_shader.spv is not embedded")
}

// More workgroups than maxComputeWorkGroupCount[0] go into a 2-D grid that the shaders
// linearise; with a workgroup of one thread that is a modest buffer.
func TestTwoDimensionalGrid(t *testing.T) {
	d := testDevice(t)
	o := &Ops{d: d, WG: 1}
	n := int(d.Limits.MaxComputeWorkGroupCount[0]) + 1000
	if n > 1<<22 {
		t.Skipf("maxComputeWorkGroupCount[0] = %d: a 2-D grid needs a larger test", n-1000)
	}
	x, y := d.Grid(n)
	assert.Equal(t, uint32(2), y)
	assert.GreaterOrEqual(t, int(x)*int(y), n)
	in := make([]float32, n)
	for i := range in {
		in[i] = float32(i%1000) - 500
	}
	out := nanSlice(n)
	require.NoError(t, o.ReLUForward(out, in))
	for i := range in {
		if out[i] != max(in[i], 0) {
			t.Fatalf("element %d: want %g, got %g", i, max(in[i], 0), out[i])
		}
	}
}
