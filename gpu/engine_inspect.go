package gpu

import (
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/vulkan"
)

var _ engine.Inspector = (*Engine)(nil)

// Gradient implements engine.Inspector: it records, submits and waits for the first half
// of a training step (gather, forward, loss, backward; no update) over idx, using the
// training step's own bindings, then reads back the logits, the mean loss and the
// gradients. It overwrites the sample order and the control block, which TrainEpoch
// uploads afresh.
func (e *Engine) Gradient(idx []int32, step int) (engine.StepState, error) {
	n := e.cfg.Train.N
	stride := e.cfg.StepSamples()
	count := len(idx)
	if count < 1 || count > stride {
		return engine.StepState{}, fmt.Errorf("gpu: gradient of %d samples, want 1 to %d", count, stride)
	}
	for _, i := range idx {
		if i < 0 || int(i) >= n {
			return engine.StepState{}, fmt.Errorf("gpu: sample index %d out of range [0, %d)", i, n)
		}
	}
	if step < 0 || uint64(step) > math.MaxUint32 {
		return engine.StepState{}, fmt.Errorf("gpu: step %d out of range", step)
	}
	if err := vulkan.Upload(e.b.order, 0, idx); err != nil {
		return engine.StepState{}, err
	}
	if err := vulkan.Upload(e.b.ctrl, 0, []uint32{0, uint32(step), 0, 0}); err != nil {
		return engine.StepState{}, err
	}
	err := e.d.OneShot(func(vc *vulkan.Commands) {
		c := &recorder{Commands: vc}
		c.TransferToCompute()
		c.Barrier()
		c.record(e.k.trainGather, gatherCall(stride, count, e.arch.Input.Len(), 0))
		c.Barrier()
		e.recordForward(c, count, 0, true)
		c.record(e.k.softmax, softmaxCall(count, e.arch.Classes, 1/float32(count)))
		c.Barrier()
		c.record(e.k.trainStats, stepStatsCall(count, 0))
		e.recordBackward(c, count, 0)
		c.ComputeToTransfer()
	})
	if err != nil {
		return engine.StepState{}, fmt.Errorf("gpu: gradient: %w", err)
	}
	st := engine.StepState{Logits: make([]float32, count*e.arch.Classes)}
	if err := vulkan.Download(st.Logits, e.b.acts[len(e.arch.Layers)], 0); err != nil {
		return engine.StepState{}, err
	}
	loss := make([]float32, 1)
	if err := vulkan.Download(loss, e.b.stepLoss, 0); err != nil {
		return engine.StepState{}, err
	}
	st.Loss = loss[0]
	flat := make([]float32, e.nParams)
	if err := vulkan.Download(flat, e.b.grads, 0); err != nil {
		return engine.StepState{}, err
	}
	st.Grad = e.arch.NewParams()
	for i, t := range st.Grad.Tensors {
		copy(t.Data, flat[e.params[i].offset:])
	}
	return st, nil
}
