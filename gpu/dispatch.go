package gpu

import "math"

// dispatch describes an op's grid: total threads (one per element), or groups workgroups
// (one per output of a tree reduction).
type dispatch struct {
	total, groups int
}

// u32 converts a non-negative size or count for a push constant; one that does not fit 32
// bits is a programmer error (the engine bounds every size long before).
func u32(n int) uint32 {
	if n < 0 || n > math.MaxUint32 {
		panic("gpu: size does not fit a 32-bit push constant")
	}
	return uint32(n)
}
