// common/hash.glsl: the dropout mask's random bits, bit-identical to package internal/rng.
//
// Defines
//   hash32(x)              lowbias32 (Wellons): x ^= x>>16; x *= 0x7feb352d; x ^= x>>15;
//                          x *= 0x846ca68b; x ^= x>>16 — rng.Hash32;
//   dropoutBits(seed, step, i)
//                          hash32(i ^ hash32(step ^ hash32(seed))) — rng.DropoutBits, the
//                          bits of element i at global training step step; the element is
//                          kept when they are >= the threshold rng.DropoutThreshold(p).
// All arithmetic is uint32 and wraps, as Go's uint32 does, so the CPU's and the GPU's
// masks are the same bits (the gpu tests compare them).
#ifndef COMMON_HASH_GLSL
#define COMMON_HASH_GLSL

uint hash32(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

uint dropoutBits(uint seed, uint step, uint i) {
    return hash32(i ^ hash32(step ^ hash32(seed)));
}

#endif
