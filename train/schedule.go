package train

import (
	"math"

	"vkcnn/internal/rng"
)

// LR is the learning rate of step k of a run of total steps, decaying geometrically from
// lr0 at the first step to lr1 at the last.
func LR(k, total int, lr0, lr1 float64) float64 {
	if total <= 1 {
		return lr0
	}
	return lr0 * math.Pow(lr1/lr0, float64(k)/float64(total-1))
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
