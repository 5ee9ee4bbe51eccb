package gpu

import (
	"fmt"
	"sort"

	"github.com/vkcnn/vkcnn/vulkan"
)

// profile collects the ops of a recorded step and the timestamp pool written after each.
type profile struct {
	q   *vulkan.QueryPool
	ops []string
}

// OpTime is the GPU time one kind of op takes per training step.
type OpTime struct {
	Op         string
	Dispatches int     // of this op per step
	Micros     float64 // per step, summed over its dispatches
}

// Profile times every dispatch of one full-batch training step from timestamp queries
// (each dispatch ends with a bottom-of-pipe timestamp, so a time includes the barrier that
// follows the previous op), averaged over reps runs, and returns the time per op kind,
// slowest first, and the whole step's time. It runs with learning rate 0, so the weights
// are unchanged; momentum is reset to zero, so call it before training.
func (e *Engine) Profile(reps int) ([]OpTime, float64, error) {
	bs := e.cfg.StepSamples()
	order := make([]int32, e.cfg.Train.N)
	for i := range order {
		order[i] = int32(i)
	}
	if err := vulkan.Upload(e.b.order, 0, order); err != nil {
		return nil, 0, err
	}
	if err := vulkan.Upload(e.b.lrs, 0, make([]float32, e.steps)); err != nil {
		return nil, 0, err
	}
	if err := vulkan.Upload(e.b.ctrl, 0, make([]uint32, 4)); err != nil {
		return nil, 0, err
	}
	q, err := e.d.NewTimestamps(3*len(e.arch.Layers) + 8)
	if err != nil {
		return nil, 0, err
	}
	defer q.Destroy()
	p := &profile{q: q}
	vc, err := e.d.NewCommands(true)
	if err != nil {
		return nil, 0, err
	}
	defer vc.Destroy()
	c := &recorder{Commands: vc, prof: p}
	if err := c.Begin(); err != nil {
		return nil, 0, err
	}
	c.TransferToCompute()
	c.Barrier()
	c.ResetTimestamps(q)
	c.Timestamp(q, 0)
	e.recordTrainStep(c, 0, bs)
	c.prof = nil
	for i := len(p.ops) + 1; i < q.Len(); i++ { // every query must be written to be read back
		c.Timestamp(q, i)
	}
	c.ComputeToTransfer()
	if err := c.End(); err != nil {
		return nil, 0, err
	}
	perOp := map[string]*OpTime{}
	total := 0.0
	for r := 0; r < reps; r++ {
		if err := e.d.Submit(vc); err != nil {
			return nil, 0, fmt.Errorf("gpu: profiling: %w", err)
		}
		ns, err := q.Times()
		if err != nil {
			return nil, 0, err
		}
		for i, op := range p.ops {
			t := perOp[op]
			if t == nil {
				t = &OpTime{Op: op}
				perOp[op] = t
			}
			if r == 0 {
				t.Dispatches++
			}
			t.Micros += (ns[i+1] - ns[i]) / 1e3 / float64(reps)
		}
		total += (ns[len(p.ops)] - ns[0]) / 1e3 / float64(reps)
	}
	if err := e.d.OneShot(func(c *vulkan.Commands) { c.Fill(e.b.vel.All(), 0) }); err != nil {
		return nil, 0, err
	}
	times := make([]OpTime, 0, len(perOp))
	for _, t := range perOp {
		times = append(times, *t)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Micros > times[j].Micros })
	return times, total, nil
}
