package train

import (
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/internal/rng"
)

// MaxSteps bounds the optimiser steps of a run (epochs × steps per epoch): the engines
// count steps in 32-bit counters (the GPU's control block, the dropout masks' step input),
// and 2^31 − 1 keeps them, and any signed 32-bit step index, from wrapping.
const MaxSteps = math.MaxInt32

// TotalSteps is epochs × ⌈samples/batch⌉, the steps of a run, or an error when that is
// over MaxSteps (computed without overflow for any epochs). samples and batch are ≥ 1.
func TotalSteps(samples, batch, epochs int) (int, error) {
	per := (samples + batch - 1) / batch
	if epochs < 0 || epochs > MaxSteps/per {
		return 0, fmt.Errorf("%d epochs of %d steps are more than %d steps in all", epochs, per, MaxSteps)
	}
	return epochs * per, nil
}

// LR is the learning rate of step k of a run of total steps, decaying geometrically from
// lr0 at the first step to lr1 at the last: lr0·(lr1/lr0)^(k/(total−1)). When the ratio
// lr1/lr0 overflows or underflows float64 (rates near the ends of its range), the same
// curve is computed in log space, exp(ln lr0 + t·(ln lr1 − ln lr0)), which cannot.
func LR(k, total int, lr0, lr1 float64) float64 {
	if total <= 1 {
		return lr0
	}
	t := float64(k) / float64(total-1)
	if r := lr1 / lr0; r > 0 && !math.IsInf(r, 0) && r >= 0x1p-1022 {
		return lr0 * math.Pow(r, t)
	}
	switch k {
	case 0:
		return lr0
	case total - 1:
		return lr1 // exp(ln lr1) may round past MaxFloat64
	}
	return math.Exp(math.Log(lr0) + t*(math.Log(lr1)-math.Log(lr0)))
}

// Orders draws the sample order of each epoch of a run from one seeded stream, so that a run
// is reproducible from its seed alone.
type Orders struct {
	src     *rng.Source
	shuffle bool
}

// NewOrders returns the order stream of a run. It is independent of the weight-init stream.
func NewOrders(seed uint64, shuffle bool) *Orders {
	return &Orders{src: rng.New(seed ^ 0x6f72646572735f5f), shuffle: shuffle}
}

// Next fills order with the next epoch's sample order.
func (o *Orders) Next(order []int32) {
	if o.shuffle {
		o.src.Perm(order)
		return
	}
	for i := range order {
		order[i] = int32(i)
	}
}
