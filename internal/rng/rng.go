// Package rng holds the project's own seeded generators, so that weights, sample order and
// dropout masks depend only on the seed and never on the Go version or the engine.
//
// Source is SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by a Weyl
// constant and finalised by two xor-shift-multiply rounds. Hash32 is Wellons' "lowbias32"
// integer hash; DropoutKeep combines it into a counter-based generator that a GPU shader
// evaluates with 32-bit integer arithmetic only, so both engines draw the same mask.
package rng

// Source is a SplitMix64 generator. The zero value is a valid generator with seed 0.
type Source struct{ state uint64 }

// New returns a generator seeded with seed.
func New(seed uint64) *Source { return &Source{state: seed} }

// Uint64 returns the next 64 random bits.
func (s *Source) Uint64() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Float32 returns a uniform value in [0, 1) with 24 random bits.
func (s *Source) Float32() float32 { return float32(s.Uint64()>>40) * (1.0 / (1 << 24)) }

// Intn returns a uniform value in [0, n) by Lemire's multiply-shift with rejection.
func (s *Source) Intn(n int) int {
	if n <= 0 {
		panic("rng: Intn argument must be positive")
	}
	bound := uint64(n)
	threshold := -bound % bound
	for {
		x := s.Uint64()
		hi, lo := mul64(x, bound)
		if lo >= threshold {
			return int(hi)
		}
	}
}

func mul64(a, b uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1, w2 := t&mask32, t>>32
	w1 += a0 * b1
	return a1*b1 + w2 + w1>>32, a * b
}

// Perm fills order with a uniformly random permutation of 0..len(order)-1 (Fisher–Yates).
func (s *Source) Perm(order []int32) {
	for i := range order {
		order[i] = int32(i)
	}
	for i := len(order) - 1; i > 0; i-- {
		j := s.Intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
}

// Hash32 is the lowbias32 integer hash: a bijection on uint32 with good avalanche.
func Hash32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// DropoutBits returns the 32 random bits for element i of global training step step.
// It is Hash32(i ^ Hash32(step ^ Hash32(seed))); shaders/dropout_forward.comp computes the same.
func DropoutBits(seed, step, i uint32) uint32 {
	return Hash32(i ^ Hash32(step^Hash32(seed)))
}

// DropoutThreshold maps a drop probability p in [0, 1) to the integer threshold below which
// an element is dropped: an element is kept when DropoutBits(...) >= threshold.
func DropoutThreshold(p float32) uint32 {
	t := float64(p) * (1 << 32)
	if t <= 0 {
		return 0
	}
	if t >= 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(t + 0.5)
}
