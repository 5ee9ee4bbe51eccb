package model

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Cases that the other tests of the package left open, each found by a deliberate wrong
// change to model that all of them let through.

// TestBadArchsOnOneSideOnly: a layer that fits in one direction and not in the other is
// refused. Every refused case elsewhere fails in both directions at once, so `&&` for `||`
// in the shape checks passed them; so did widening a documented size range by one.
func TestBadArchsOnOneSideOnly(t *testing.T) {
	for spec, want := range map[string]string{
		"conv3x4x6:same,dense10":        `same padding needs an odd kernel, got 3x4`,
		"conv4x3x6:same,dense10":        `same padding needs an odd kernel, got 4x3`,
		"conv29x1x6,dense10":            `kernel 29x1 with valid padding does not fit input 28x28`,
		"conv1x29x6,dense10":            `kernel 1x29 with valid padding does not fit input 28x28`,
		"conv1x27x4,maxpool3,dense10":   `layer 2 "maxpool3" on input 4×28×2: pool window 3 is larger than input 28x2`,
		"conv27x1x4,avgpool3,dense10":   `layer 2 "avgpool3" on input 4×2×28: pool window 3 is larger than input 2x28`,
		"dropout1,dense10":              `dropout probability "1": want a number in [0, 1)`,
		"conv5x5x4097,dense10":          `"4097" is not a size from 1 to 4096`,
		"conv4097x1x1,dense10":          `"4097" is not a size from 1 to 4096`,
		"maxpool65,dense10":             `pool size "65" is not a size from 1 to 64`,
		"conv1x1x2,dropout-0.1,dense10": `dropout probability "-0.1"`,
	} {
		_, err := Parse(spec)
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want, spec)
	}
	// The largest sizes of the documented ranges build.
	_, err := Build("conv4096x1x1,dense10", Shape{C: 1, H: 4096, W: 1}, 10)
	assert.NoError(t, err)
	_, err = Build("maxpool64,dense10", Shape{C: 1, H: 64, W: 64}, 10)
	assert.NoError(t, err)
}

// TestInitParamsPinnedValues pins the first and last value of every tensor of lenet-6-12
// drawn from seed 7, computed outside this repository's Go by SplitMix64 (Vigna) in
// Python, with the float32 rounding of (2u−1)·float32(1/√fan_in) done by struct, tensors
// in Params order (conv1.weight 150, conv1.bias 6, conv2.weight 1800, conv2.bias 12,
// fc1.weight 1920, fc1.bias 10 values; fan-in 25, 25, 150, 150, 192, 192). The bounds test
// alone let biases stay zero (a zero lies within any bound) and a bound of 1/√(fan_in+1)
// through (its values stay below 1/√fan_in).
func TestInitParamsPinnedValues(t *testing.T) {
	a, err := Parse(DefaultPreset)
	require.NoError(t, err)
	p := a.InitParams(7)
	want := [][2]uint32{
		{0xbd3480c7, 0x3e11e5c0}, {0xbe2a46a5, 0x3e0c7003},
		{0xbd29b7d9, 0x3d586072}, {0x3d7dda40, 0xbd125edb},
		{0xbd634c97, 0xbd8b98ef}, {0x3c4dd457, 0xbd239b2c},
	}
	require.Len(t, p.Tensors, len(want))
	for i, tensor := range p.Tensors {
		d := tensor.Data
		assert.Equal(t, want[i][0], math.Float32bits(d[0]), "%s[0] = %g", tensor.Name, d[0])
		assert.Equal(t, want[i][1], math.Float32bits(d[len(d)-1]), "%s[last] = %g", tensor.Name, d[len(d)-1])
	}
}

// TestCheckNamesAndLengths: Check refuses a tensor with the right shape but another name,
// or with the right name and shape but a data slice of another length.
func TestCheckNamesAndLengths(t *testing.T) {
	a, err := Parse(DefaultPreset)
	require.NoError(t, err)
	renamed := a.NewParams()
	renamed.Tensors[1].Name = "conv1.beta"
	assert.ErrorContains(t, a.Check(renamed), "tensor 1 is conv1.beta [6]")
	short := a.NewParams()
	short.Tensors[5].Data = short.Tensors[5].Data[:9]
	assert.ErrorContains(t, a.Check(short), "tensor 5 is fc1.bias [10] (9 values)")
}

// TestCheckBatchAtTheBound: a batch of exactly MaxBatchValues activation values is
// allowed ("exceed" is refused), one sample more is not. dense16 on 16 inputs has 32
// values per sample, so 2^25 samples hold exactly 2^30.
func TestCheckBatchAtTheBound(t *testing.T) {
	a, err := Build("dense16", Shape{C: 1, H: 1, W: 16}, 16)
	require.NoError(t, err)
	require.Equal(t, 32, a.SampleValues())
	assert.NoError(t, a.CheckBatch(MaxBatchValues/32))
	assert.ErrorContains(t, a.CheckBatch(MaxBatchValues/32+1), "holds 1073741856 activation values")
}
