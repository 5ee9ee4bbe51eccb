package rng

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitMix64KnownValues(t *testing.T) {
	// Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
	s := New(0)
	assert.Equal(t, uint64(0xe220a8397b1dcdaf), s.Uint64())
	assert.Equal(t, uint64(0x6e789e6aa1b965f4), s.Uint64())
	assert.Equal(t, uint64(0x06c45d188009454f), s.Uint64())
}

func TestFloat32AndIntnStayInRangeAndSpread(t *testing.T) {
	s := New(42)
	var counts [7]int
	sum := 0.0
	const n = 70000
	for range n {
		f := s.Float32()
		require.True(t, f >= 0 && f < 1)
		sum += float64(f)
		counts[s.Intn(7)]++
	}
	assert.InDelta(t, 0.5, sum/n, 0.01)
	for i, c := range counts {
		assert.InDelta(t, n/7, c, 500, "bucket %d", i)
	}
	assert.Panics(t, func() { s.Intn(0) })
}

func TestPermIsAPermutation(t *testing.T) {
	order := make([]int32, 1000)
	New(1).Perm(order)
	seen := make([]bool, len(order))
	moved := 0
	for i, v := range order {
		require.False(t, seen[v])
		seen[v] = true
		if int(v) != i {
			moved++
		}
	}
	assert.Greater(t, moved, 900)
}

func TestDropoutBitsAndThreshold(t *testing.T) {
	// lowbias32 reference values (Wellons, hash-prospector).
	assert.Equal(t, uint32(0), Hash32(0))
	assert.Equal(t, Hash32(0^Hash32(3^Hash32(7))), DropoutBits(7, 3, 0))
	assert.Equal(t, uint32(0), DropoutThreshold(0))
	assert.Equal(t, uint32(1<<31), DropoutThreshold(0.5))
	kept := 0
	const n = 100000
	th := DropoutThreshold(0.3)
	for i := range uint32(n) {
		if DropoutBits(1, 2, i) >= th {
			kept++
		}
	}
	assert.InDelta(t, 0.7, float64(kept)/n, 0.01)
	assert.NotEqual(t, DropoutBits(1, 2, 5), DropoutBits(1, 3, 5), "steps draw different masks")
	assert.Less(t, math.Abs(float64(DropoutThreshold(0.999999))-4294963000), 2000.0)
}
