package model

import "github.com/vkcnn/vkcnn/internal/rng"

// ConvShape describes a batched 2-D convolution with stride 1 and symmetric zero padding.
// in is (N,C,H,W), w is (OC,C,KH,KW), b is (OC), out is (N,OC,OH,OW) with
// OH = H + 2·PadH − KH + 1 and OW = W + 2·PadW − KW + 1.
type ConvShape struct {
	N, C, H, W int
	OC, KH, KW int
	PadH, PadW int
}

// OH is the output height.
func (s ConvShape) OH() int { return s.H + 2*s.PadH - s.KH + 1 }

// OW is the output width.
func (s ConvShape) OW() int { return s.W + 2*s.PadW - s.KW + 1 }

// InLen is the number of input values, N·C·H·W.
func (s ConvShape) InLen() int { return s.N * s.C * s.H * s.W }

// OutLen is the number of output values, N·OC·OH·OW.
func (s ConvShape) OutLen() int { return s.N * s.OC * s.OH() * s.OW() }

// WeightLen is the number of weights, OC·C·KH·KW.
func (s ConvShape) WeightLen() int { return s.OC * s.C * s.KH * s.KW }

// PoolShape describes a batched pool with a Size×Size window and stride Size.
// in is (N,C,H,W), out is (N,C,OH,OW) with OH = H/Size and OW = W/Size (floor).
type PoolShape struct {
	N, C, H, W int
	Size       int
}

// OH is the output height.
func (s PoolShape) OH() int { return s.H / s.Size }

// OW is the output width.
func (s PoolShape) OW() int { return s.W / s.Size }

// InLen is the number of input values.
func (s PoolShape) InLen() int { return s.N * s.C * s.H * s.W }

// OutLen is the number of output values.
func (s PoolShape) OutLen() int { return s.N * s.C * s.OH() * s.OW() }

// DenseShape describes a batched dense layer: in is (N,In), w is (Out,In), b is (Out),
// out is (N,Out); out[n][o] = b[o] + Σ_i w[o][i]·in[n][i].
type DenseShape struct {
	N, In, Out int
}

// Shape is the per-sample shape of an activation, C×H×W.
type Shape struct{ C, H, W int }

// Len is C·H·W.
func (s Shape) Len() int { return s.C * s.H * s.W }

func (s Shape) String() string { return itoa(s.C) + "×" + itoa(s.H) + "×" + itoa(s.W) }

// DropoutParams selects one dropout mask. Element i of a slice is element Offset+i of its
// batch (flat index over N·C·H·W); it is kept when rng.DropoutBits(Seed, Step, Offset+i) >=
// Threshold, and a kept value is multiplied by Scale = 1/(1−p) (inverted dropout), a dropped
// one set to zero. Offset lets an engine process a batch in chunks and draw the same mask.
type DropoutParams struct {
	Seed, Step, Threshold, Offset uint32
	Scale                         float32
}

// DropoutSeed is the mask seed of the dropout layer at index layer of a network trained with
// seed: each layer draws its own mask, so two dropout layers of one size do not drop the
// same units.
func DropoutSeed(seed uint32, layer int) uint32 {
	return rng.Hash32(seed + 0x9e3779b9*uint32(layer+1))
}

// NewDropoutParams returns the mask parameters for drop probability p at a global step.
func NewDropoutParams(p float32, seed, step uint32) DropoutParams {
	return DropoutParams{Seed: seed, Step: step, Threshold: rng.DropoutThreshold(p), Scale: 1 / (1 - p)}
}
