package gpu

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReLUForwardDirect(t *testing.T) {
	d := testDevice(t)
	o := NewOps(d)
	in := make([]float32, 1000)
	for i := range in {
		in[i] = float32(i%7) - 3
	}
	out := make([]float32, len(in))
	require.NoError(t, o.ReLUForward(out, in))
	for i, x := range in {
		require.Equal(t, max(x, 0), out[i], "element %d", i)
	}
}
