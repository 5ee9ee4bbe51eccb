package gpu

import (
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/vulkan"
)

// maxChunkSteps bounds the steps recorded into the replayed chunk buffer.
const maxChunkSteps = 512

// record records the chunk, tail and evaluation command buffers once.
func (e *Engine) record() error {
	n, bs := e.cfg.Train.N, e.cfg.Batch
	full, rem := n/bs, n%bs
	e.chunkSteps = max(1, min(maxChunkSteps, full/16))
	e.chunks = full / e.chunkSteps
	tailFull := full - e.chunks*e.chunkSteps

	var err error
	if e.chunks > 0 {
		if e.chunk, err = e.recordBuffer(func(c *recorder) {
			for s := 0; s < e.chunkSteps; s++ {
				e.recordTrainStep(c, s, bs)
			}
			c.Barrier() // the last update has read the step counter
			c.record(e.k.advance, advanceCall(e.chunkSteps))
		}); err != nil {
			return err
		}
	}
	// one and last let an epoch start or stop at any step (engine.Epoch.From/To): one full
	// step that advances the counter by one, and the smaller last batch alone.
	if full > 0 {
		if e.one, err = e.recordBuffer(func(c *recorder) {
			e.recordTrainStep(c, 0, bs)
			c.Barrier()
			c.record(e.k.advance, advanceCall(1))
		}); err != nil {
			return err
		}
	}
	if rem > 0 {
		if e.last, err = e.recordBuffer(func(c *recorder) { e.recordTrainStep(c, 0, rem) }); err != nil {
			return err
		}
	}
	if tailFull > 0 || rem > 0 {
		if e.tail, err = e.recordBuffer(func(c *recorder) {
			for s := 0; s < tailFull; s++ {
				e.recordTrainStep(c, s, bs)
			}
			if rem > 0 {
				e.recordTrainStep(c, tailFull, rem)
			}
		}); err != nil {
			return err
		}
	}
	e.eval, err = e.recordBuffer(func(c *recorder) {
		c.Fill(e.b.evalCtrl.All(), 0)
		c.TransferToCompute()
		tn := e.cfg.Test.N
		for s := 0; s < e.evalSteps; s++ {
			e.recordEvalStep(c, s, min(e.evalBatch, tn-s*e.evalBatch))
		}
	})
	return err
}

// recordBuffer records a reusable command buffer that starts by ordering itself after
// everything submitted before it (uploads, fills and earlier dispatches).
func (e *Engine) recordBuffer(body func(c *recorder)) (*vulkan.Commands, error) {
	c, err := e.d.NewCommands(true)
	if err != nil {
		return nil, err
	}
	if err := c.Begin(); err != nil {
		return nil, err
	}
	c.TransferToCompute()
	c.Barrier()
	body(&recorder{Commands: c})
	c.ComputeToTransfer()
	return c, c.End()
}

// recordTrainStep records training step ctrl.step+off over count samples: gather the batch,
// forward, loss, step statistics, backward, update. The update needs no barrier of its own:
// the next step's first barrier (after gather, which touches neither weights nor
// momentum) orders it before the forward pass that reads the weights.
func (e *Engine) recordTrainStep(c *recorder, off, count int) {
	// The stride of the order per step (StepSamples, which always fits 32 bits).
	c.record(e.k.trainGather, gatherCall(e.cfg.StepSamples(), count, e.arch.Input.Len(), off))
	c.Barrier()
	e.recordForward(c, count, off, true)
	c.record(e.k.softmax, softmaxCall(count, e.arch.Classes, 1/float32(count)))
	c.Barrier()
	c.record(e.k.trainStats, stepStatsCall(count, off))
	e.recordBackward(c, count, off)
	c.record(e.k.sgd, sgdCall(e.nParams, e.cfg.Momentum, off))
}

// recordEvalStep records evaluation step off over count test samples.
func (e *Engine) recordEvalStep(c *recorder, off, count int) {
	c.record(e.k.evalGather, gatherCall(e.evalBatch, count, e.arch.Input.Len(), off))
	c.Barrier()
	e.recordForward(c, count, off, false)
	c.record(e.k.softmax, softmaxCall(count, e.arch.Classes, 1))
	c.Barrier()
	c.record(e.k.evalStats, stepStatsCall(count, off))
	c.Barrier()
}

func (e *Engine) recordForward(c *recorder, n, off int, training bool) {
	for i := range e.arch.Layers {
		l := &e.arch.Layers[i]
		lk := e.k.layers[i]
		if lk.fused {
			continue // the layer before wrote this activation's output
		}
		var op call
		switch l.Kind {
		case model.Conv:
			op = convForwardCall(l.ConvShape(n), lk.act)
		case model.Dense:
			op = denseForwardCall(l.DenseShape(n), lk.act)
		case model.ReLU, model.Sigmoid:
			op = elementwiseCall(l.Kind.String()+"_forward", n*l.Out.Len())
		case model.MaxPool, model.MinPool, model.AvgPool:
			op = poolCall(l.Kind.String()+"_forward", l.PoolShape(n))
		case model.Dropout:
			d := model.DropoutParams{Scale: 1} // evaluation keeps everything
			if training {
				d = model.NewDropoutParams(l.P, model.DropoutSeed(e.cfg.Seed, i), 0)
			}
			op = dropoutForwardCall(n*l.Out.Len(), d, off)
		}
		c.record(lk.fwd, op)
		c.Barrier()
	}
}

// recordBackward records the layers' backward ops, last first, a barrier after each
// layer that recorded any. A fused activation records nothing: the layer after it applies
// its derivative (dAct) and the layer before reads the result directly.
func (e *Engine) recordBackward(c *recorder, n, off int) {
	for i := len(e.arch.Layers) - 1; i >= 0; i-- {
		l := &e.arch.Layers[i]
		lk := e.k.layers[i]
		recorded := false
		if lk.bwdParams != nil {
			op := denseBackwardWeightsCall(l.DenseShape(n))
			if l.Kind == model.Conv {
				op = convBackwardFilterCall(l.ConvShape(n))
			}
			c.record(lk.bwdParams[op.name], op)
			recorded = true
		}
		if lk.bwdData != nil {
			var op call
			switch l.Kind {
			case model.Conv:
				op = convBackwardDataCall(l.ConvShape(n), lk.dAct)
			case model.Dense:
				op = denseBackwardDataCall(l.DenseShape(n), lk.dAct)
			case model.ReLU, model.Sigmoid:
				op = elementwiseCall(l.Kind.String()+"_backward", n*l.Out.Len())
			case model.MaxPool, model.MinPool:
				op = poolBackwardCall("maxpool_backward", l.PoolShape(n), lk.dAct) // by argmax or argmin
			case model.AvgPool:
				op = poolBackwardCall("avgpool_backward", l.PoolShape(n), lk.dAct)
			case model.Dropout:
				op = dropoutBackwardCall(n*l.Out.Len(), model.NewDropoutParams(l.P, model.DropoutSeed(e.cfg.Seed, i), 0), off, lk.dAct)
			}
			c.record(lk.bwdData, op)
			recorded = true
		}
		if recorded {
			c.Barrier()
		}
	}
}
