package model

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHugeArchsAreRefusedNamingTheLayer: layer strings that parse but would need more
// memory than any engine can hold fail in Build, naming the layer and the bound, before
// anything is allocated.
func TestHugeArchsAreRefusedNamingTheLayer(t *testing.T) {
	cases := map[string]string{
		// The case: 4096 channels of 28×28 into 65536 units, 2.1·10^11 weights.
		"conv1x1x4096:same,dense65536,dense10": `layer 2 "dense65536" on input 4096×28×28: 210453463040 parameters bring the network to 210453471232, more than 2^26 = 67108864`,
		"dense65536,dense65536,dense10":        `layer 2 "dense65536" on input 65536×1×1: 4295032832 parameters bring the network to 4346478592, more than 2^26`,
		// Each under the bound, together over it.
		"dense40000,dense1024,dense10": `layer 2 "dense1024" on input 40000×1×1: 40961024 parameters bring the network to 72361024, more than 2^26`,
		// Activations: one sample's forward pass over 2^22 values.
		"conv1x1x4096:same,conv1x1x4096:same,dense10":                      `layer 2 "conv1x1x4096:same" on input 4096×28×28: output 4096×28×28 brings one sample's forward pass to 6423312 values, more than 2^22 = 4194304`,
		"conv4096x4096x4096:full,dense10":                                  `layer 1 "conv4096x4096x4096:full" on input 1×28×28: output 4096×4123×4123 brings one sample's forward pass to 69628433168 values, more than 2^22`,
		"conv1x1x8:full,conv4096x4096x1:full,conv4096x4096x1:full,dense10": `layer 2 "conv4096x4096x1:full" on input 8×28×28: output 1×4123×4123 brings one sample's forward pass to 17006185 values`,
	}
	for spec, want := range cases {
		_, err := Parse(spec)
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want, spec)
		assert.False(t, strings.ContainsAny(err.Error(), "\n"), spec)
	}
}

// TestArchsAtTheBoundsBuild: a network just under each bound builds, so the bounds are
// where their doc says.
func TestArchsAtTheBoundsBuild(t *testing.T) {
	// 784·65536 + 65536 + 65537·238 + 238·10 + 10 = 67,045,956 ≤ 2^26; dense239 adds
	// 65,537 and crosses it.
	a, err := Parse("dense65536,dense238,dense10")
	require.NoError(t, err)
	assert.Equal(t, 67_045_956, a.NumParams())
	_, err = Parse("dense65536,dense239,dense10")
	require.ErrorContains(t, err, `layer 2 "dense239" on input 65536×1×1: 15663343 parameters bring the network to 67109103, more than 2^26`)

	// An input of 2^22 − 20 values and two dense10 layers: exactly 2^22 values per sample.
	a, err = Build("dense10,dense10", Shape{C: 1, H: 1, W: MaxSampleValues - 20}, 10)
	require.NoError(t, err)
	assert.Equal(t, MaxSampleValues, a.SampleValues())
	_, err = Build("dense10,dense10", Shape{C: 1, H: 1, W: MaxSampleValues - 19}, 10)
	require.ErrorContains(t, err, `layer 2 "dense10" on input 10×1×1: output 10×1×1 brings one sample's forward pass to 4194305 values, more than 2^22`)
}

// TestCheckBatch: batch × values per sample is bounded by 2^30, without wrapping for any
// batch.
func TestCheckBatch(t *testing.T) {
	a, err := Parse(DefaultPreset)
	require.NoError(t, err)
	per := a.SampleValues()
	assert.Equal(t, 784+3456*2+864+768*2+192+10, per) // input, conv, relu, pool, conv, relu, pool, dense
	require.NoError(t, a.CheckBatch(1))
	require.NoError(t, a.CheckBatch(MaxBatchValues/per))
	err = a.CheckBatch(MaxBatchValues/per + 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `a batch of 104268 samples of arch "lenet-6-12" holds 1073751864 activation values (10298 per sample), more than 2^30`)
	err = a.CheckBatch(math.MaxInt)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "holds at least 2^63−1 activation values")
}

func TestSaturatingArithmetic(t *testing.T) {
	assert.Equal(t, 24, mulSat(2, 3, 4))
	assert.Equal(t, 0, mulSat(0, math.MaxInt, math.MaxInt))
	assert.Equal(t, math.MaxInt, mulSat(1<<32, 1<<32))
	assert.Equal(t, math.MaxInt, mulSat(4096, 4096, 4096, 4096, 4096, 4096))
	assert.Equal(t, math.MaxInt, addSat(math.MaxInt-1, 2))
	assert.Equal(t, 5, addSat(2, 3))
}
