package gpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/model"
)

// nanCases are ReLU inputs at the edges of float32: quiet and signalling NaNs of both
// signs, the infinities, the zeros, and ordinary values.
var nanCases = []uint32{
	0x7fc00000, 0xffc00000, 0x7f800001, 0xff800123, 0x7fffffff, // NaNs
	0x7f800000, 0xff800000, // ±Inf
	0x00000000, 0x80000000, // ±0
	0x3f800000, 0xbf800000, 0x3f000000, 0xc2c80000, // ±1, 0.5, −100 (no subnormals: a device may flush them)
}

// bits returns the bit patterns of x.
func bits(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}

// TestReLUKeepsNaN: the GPU's ReLU, alone and fused into a convolution, gives every input
// the bits cpu.ReLUForward gives it, NaN included (Go's NaN for any NaN). It used to give
// +0 for NaN (`v > 0 ? v : 0`), so that with -lr0 1e30 a conv layer's +Inf−Inf NaN was
// swallowed by the ReLU after it: the GPU engine trained on to a finite huge loss where the
// CPU engine stopped with "loss became NaN".
func TestReLUKeepsNaN(t *testing.T) {
	o := NewOps(testDevice(t))
	in := make([]float32, len(nanCases))
	for i, b := range nanCases {
		in[i] = math.Float32frombits(b)
	}
	want := make([]float32, len(in))
	cpu.ReLUForward(want, in)
	require.True(t, math.IsNaN(float64(want[0])), "the CPU engine's ReLU keeps NaN")

	got := make([]float32, len(in))
	require.NoError(t, o.ReLUForward(got, in))
	assert.Equal(t, bits(want), bits(got), "relu_forward")

	// A 1×1 convolution with weight 1 and bias 0 passes each value through, then the fused ReLU.
	s := model.ConvShape{N: 1, C: 1, H: 1, W: len(in), OC: 1, KH: 1, KW: 1}
	fused := make([]float32, len(in))
	require.NoError(t, o.conv2DForwardAct(fused, in, []float32{1}, []float32{0}, s, actReLU))
	assert.Equal(t, bits(want), bits(fused), "conv2d_forward with the ReLU fused")
}
