package rng

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPermIsUniform draws permutations of 3 and of 4 elements and checks that every one of
// the 3! and 4! orders comes up with its share 1/n!. Fisher–Yates picks j uniformly in
// [0, i] for i = n−1 … 1; a loop that stops at i = 2, or Sattolo's j in [0, i) (cyclic
// permutations only), still yields permutations, so TestPermIsAPermutation cannot tell them
// apart, but each misses whole orders. The bound is 6 standard deviations of a bucket count
// (σ = √(N·q·(1−q)), q = 1/n!), so a correct generator fails with probability < 1e-7.
func TestPermIsUniform(t *testing.T) {
	for _, n := range []int{3, 4} {
		nfact := 1
		for k := 2; k <= n; k++ {
			nfact *= k
		}
		const draws = 48000
		counts := map[[4]int32]int{}
		src := New(uint64(n))
		order := make([]int32, n)
		for range draws {
			src.Perm(order)
			var key [4]int32
			copy(key[:], order)
			counts[key]++
		}
		assert.Len(t, counts, nfact, "Perm(%d) must reach every one of the %d orders", n, nfact)
		q := 1 / float64(nfact)
		want := draws * q
		sigma := math.Sqrt(draws * q * (1 - q))
		for key, c := range counts {
			assert.InDelta(t, want, float64(c), 6*sigma, "Perm(%d): order %v drawn %d times of %d", n, key[:n], c, draws)
		}
	}
}
