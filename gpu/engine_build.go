package gpu

import (
	"errors"
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/vulkan"
)

// bufs are the engine's device buffers. rows = max(batch, eval batch) samples.
type bufs struct {
	trainImages, trainLabels   *vulkan.Buffer // pixels packed 4 per word; labels as int
	testImages, testLabels     *vulkan.Buffer
	evalOrder                  *vulkan.Buffer // 0..testN−1
	order, lrs, ctrl, stepLoss *vulkan.Buffer // the training epoch's state
	evalCtrl, evalLoss         *vulkan.Buffer // the evaluation's
	params, grads, vel         *vulkan.Buffer // every tensor at its paramSlot
	acts, dActs                []*vulkan.Buffer
	argmax                     []*vulkan.Buffer // per layer, max-pool only
	labels, loss, correct      *vulkan.Buffer   // per sample of a step
}

// kernels are the engine's bound kernels, made once.
type kernels struct {
	layers                         []layerKernels
	trainGather, evalGather        *binding
	softmax, trainStats, evalStats *binding
	sgd, advance                   *binding
}

// layerKernels are one layer's forward and backward bindings (nil where not needed).
// bwdParams holds every variant of the parameter-gradient kernel, by shader name (the
// filter gradient has a serial variant for small batches, see convBackwardFilterCall).
// A conv or dense layer followed by ReLU or Sigmoid may fuse that activation (act, see
// fusedAct): its forward writes the activation's output, the activation layer is fused and
// has no kernels, and the backward of the layer after the activation multiplies its input
// gradient by act'(x) from its own input x (dAct), so the conv/dense backward reads the
// gradient of its pre-activation output as is.
type layerKernels struct {
	fwd, bwdData *binding
	bwdParams    map[string]*binding
	act, dAct    act
	fused        bool
}

// builder collects the first error of a sequence of allocations and bindings.
type builder struct {
	e   *Engine
	err error
}

func (b *builder) buffer(what string, bytes int) *vulkan.Buffer {
	if b.err != nil {
		return nil
	}
	buf, err := b.e.d.NewBuffer(max(bytes, 4), vulkan.DeviceLocal)
	if err != nil {
		if errors.Is(err, vulkan.ErrOutOfDeviceMemory) {
			err = fmt.Errorf("batch %d: %w (try a smaller -batch)", b.e.cfg.Batch, err)
		}
		b.err = fmt.Errorf("gpu: %s (%d bytes) on %s: %w", what, bytes, b.e.d.Name(), err)
	}
	return buf
}

func (b *builder) bind(name string, ranges ...vulkan.Range) *binding {
	if b.err != nil {
		return nil
	}
	k, err := b.e.kernel(name, b.e.workgroup(name))
	if err != nil {
		b.err = err
		return nil
	}
	bd, err := bind(k, ranges...)
	if err != nil {
		b.err = err
	}
	return bd
}

func (b *builder) upload(buf *vulkan.Buffer, data []uint32) {
	if b.err == nil {
		b.err = vulkan.Upload(buf, 0, data)
	}
}

// build allocates the buffers, uploads the data, binds the kernels and records the command
// buffers.
func (e *Engine) build() error {
	cfg, a := e.cfg, e.arch
	b := &builder{e: e}
	n, bs := cfg.Train.N, cfg.Batch
	e.steps = engine.Steps(n, bs)
	rows := max(cfg.StepSamples(), e.evalBatch)

	align := max(1, int(e.d.Limits.MinStorageBufferOffsetAlignment)/4)
	for _, t := range a.ParamShapes() {
		size := 1
		for _, d := range t.Shape {
			size *= d
		}
		e.params = append(e.params, paramSlot{offset: e.nParams, size: size})
		e.nParams += (size + align - 1) / align * align
	}

	B := &e.b
	B.trainImages = b.buffer("training images", 4*packedWords(cfg.Train))
	B.trainLabels = b.buffer("training labels", 4*n)
	B.testImages = b.buffer("test images", 4*packedWords(cfg.Test))
	B.testLabels = b.buffer("test labels", 4*cfg.Test.N)
	B.evalOrder = b.buffer("test order", 4*cfg.Test.N)
	B.order = b.buffer("sample order", 4*n)
	B.lrs = b.buffer("learning rates", 4*e.steps)
	B.ctrl = b.buffer("control block", ControlSize)
	B.stepLoss = b.buffer("step losses", 4*e.steps)
	e.evalSteps = engine.Steps(cfg.Test.N, e.evalBatch)
	B.evalCtrl = b.buffer("eval control block", ControlSize)
	B.evalLoss = b.buffer("eval losses", 4*e.evalSteps)
	B.params = b.buffer("parameters", 4*e.nParams)
	B.grads = b.buffer("gradients", 4*e.nParams)
	B.vel = b.buffer("momentum", 4*e.nParams)
	B.acts = append(B.acts, b.buffer("input batch", 4*rows*a.Input.Len()))
	B.dActs = append(B.dActs, nil)
	for i := range a.Layers {
		l := &a.Layers[i]
		what := fmt.Sprintf("layer %d (%v) activations", i+1, l.Kind)
		if fusedAct(a, i) != actNone {
			// Written and read by nothing: the layer writes its activation's output.
			B.acts, B.dActs = append(B.acts, nil), append(B.dActs, nil)
		} else {
			B.acts = append(B.acts, b.buffer(what, 4*rows*l.Out.Len()))
			B.dActs = append(B.dActs, b.buffer(what+" gradient", 4*rows*l.Out.Len()))
		}
		var am *vulkan.Buffer
		if l.Kind == model.MaxPool || l.Kind == model.MinPool {
			am = b.buffer(what+" argmax", 4*rows*l.Out.Len())
		}
		B.argmax = append(B.argmax, am)
	}
	B.labels = b.buffer("batch labels", 4*rows)
	B.loss = b.buffer("batch losses", 4*rows)
	B.correct = b.buffer("batch hits", 4*rows)
	if b.err != nil {
		return b.err
	}

	b.upload(B.trainImages, packImages(cfg.Train))
	b.upload(B.trainLabels, labelWords(cfg.Train))
	b.upload(B.testImages, packImages(cfg.Test))
	b.upload(B.testLabels, labelWords(cfg.Test))
	iota := make([]uint32, cfg.Test.N)
	for i := range iota {
		iota[i] = uint32(i)
	}
	b.upload(B.evalOrder, iota)
	if b.err != nil {
		return b.err
	}
	if err := e.d.OneShot(func(c *vulkan.Commands) {
		for _, buf := range []*vulkan.Buffer{B.params, B.grads, B.vel} {
			c.Fill(buf.All(), 0)
		}
	}); err != nil {
		return err
	}
	e.bindKernels(b)
	if b.err != nil {
		return b.err
	}
	return e.record()
}

// reductionWG is the workgroup size of the one-workgroup-per-output reductions on a GPU: a
// conv weight's gradient sums N·OH·OW terms (36,864 for conv1 at batch 64, only 156
// workgroups), so more threads per output shorten the serial part. A CPU device (lavapipe)
// runs a workgroup on one core, where the larger tree only adds barriers (measured there:
// 50 ms → 65 ms per step), so it keeps the default.
const reductionWG = 256

// workgroup is the workgroup size shader name runs with.
func (e *Engine) workgroup(name string) int {
	if (name == "conv2d_backward_filter" || name == "step_stats") && e.d.Info().Type != "cpu" {
		return max(e.wg, min(reductionWG, int(e.d.Limits.MaxComputeWorkGroupInvocations)))
	}
	return e.wg
}

// packedWords is the number of 32-bit words holding d's pixels four to a word.
func packedWords(d *engine.Dataset) int { return (d.N*d.H*d.W + 3) / 4 }

// packImages stores pixel p (a value k/255) as byte k at byte p of the result, little-endian:
// a quarter of the memory of float32 pixels, and gather_batch recovers k/255 exactly.
func packImages(d *engine.Dataset) []uint32 {
	w := make([]uint32, packedWords(d))
	for p, v := range d.Images {
		k := uint32(math.Round(float64(v) * 255))
		w[p/4] |= min(k, 255) << (8 * (p % 4))
	}
	return w
}

func labelWords(d *engine.Dataset) []uint32 {
	w := make([]uint32, d.N)
	for i, l := range d.Labels {
		w[i] = uint32(l)
	}
	return w
}

func (e *Engine) paramRange(buf *vulkan.Buffer, tensor int) vulkan.Range {
	s := e.params[tensor]
	return buf.Range(4*s.offset, 4*s.size)
}

// fusedAct is the activation that layer i's forward fuses: that of layer i+1 when layer i
// is a conv or dense layer, layer i+1 a ReLU or Sigmoid and layer i+2 produces the
// activation's output gradient with a kernel that can apply its derivative (gradProducer),
// else actNone. Layer i+2's backward then multiplies its dIn by act'(x) once per value, x
// being its input (the activation's output), and layer i's backward reads that gradient
// as is. Fusing saves the activation's two dispatches and two barriers per step; the
// results are bit-identical, since the kernels apply the activation shaders' own
// expressions. An activation that ends the network (or precedes another activation) runs
// unfused.
func fusedAct(a *model.Arch, i int) act {
	if i < 0 || i+2 >= len(a.Layers) || !a.Layers[i].HasParams() || !gradProducer(a.Layers[i+2].Kind) {
		return actNone
	}
	return actOf(a.Layers[i+1].Kind)
}

// gradProducer reports whether the backward kernel of a layer kind takes an `act` push
// field and applies that activation's derivative to its dIn.
func gradProducer(k model.Kind) bool {
	switch k {
	case model.MaxPool, model.MinPool, model.AvgPool, model.Dropout, model.Conv, model.Dense:
		return true
	}
	return false
}

func (e *Engine) bindKernels(b *builder) {
	B, a := &e.b, e.arch
	k := &e.k
	pi := 0
	for i := range a.Layers {
		l := &a.Layers[i]
		lk := layerKernels{act: fusedAct(a, i), dAct: fusedAct(a, i-2), fused: fusedAct(a, i-1) != actNone}
		if lk.fused {
			k.layers = append(k.layers, lk)
			continue
		}
		// A fused conv/dense layer's output is its activation's: y = act(x∗w+b); the
		// gradient buffer beside it holds that of x∗w+b (the next producer applied act').
		o := i + 1
		if lk.act != actNone {
			o = i + 2
		}
		x, y, dx, dy := B.acts[i].All(), B.acts[o].All(), vulkan.Range{}, B.dActs[o].All()
		grad := a.NeedsInputGrad(i)
		if grad {
			dx = B.dActs[i].All()
		}
		switch l.Kind {
		case model.Conv, model.Dense:
			w, bias := e.paramRange(B.params, 2*pi), e.paramRange(B.params, 2*pi+1)
			dw, db := e.paramRange(B.grads, 2*pi), e.paramRange(B.grads, 2*pi+1)
			pi++
			prefix := "conv2d"
			bwdParams := []string{"conv2d_backward_filter", "conv2d_backward_filter_serial"}
			if l.Kind == model.Dense {
				prefix, bwdParams = "dense", []string{"dense_backward_weights"}
			}
			lk.fwd = b.bind(prefix+"_forward", y, x, w, bias)
			lk.bwdParams = map[string]*binding{}
			for _, name := range bwdParams {
				lk.bwdParams[name] = b.bind(name, dw, db, dy, x)
			}
			// The producers' last binding is their input x, read only with dAct ≠ 0.
			if grad {
				lk.bwdData = b.bind(prefix+"_backward_data", dx, dy, w, x)
			}
		case model.ReLU, model.Sigmoid:
			lk.fwd = b.bind(l.Kind.String()+"_forward", y, x)
			if grad {
				lk.bwdData = b.bind(l.Kind.String()+"_backward", dx, dy, y)
			}
		case model.MaxPool, model.MinPool:
			// Min-pool keeps its argmin where max-pool keeps its argmax; the backward
			// scatter by index is the same kernel.
			lk.fwd = b.bind(l.Kind.String()+"_forward", y, B.argmax[i].All(), x)
			if grad {
				lk.bwdData = b.bind("maxpool_backward", dx, dy, B.argmax[i].All(), x)
			}
		case model.AvgPool:
			lk.fwd = b.bind("avgpool_forward", y, x)
			if grad {
				lk.bwdData = b.bind("avgpool_backward", dx, dy, x)
			}
		case model.Dropout:
			lk.fwd = b.bind("dropout_forward", y, x, B.ctrl.All())
			if grad {
				lk.bwdData = b.bind("dropout_backward", dx, dy, B.ctrl.All(), x)
			}
		}
		k.layers = append(k.layers, lk)
	}
	last := len(a.Layers)
	k.trainGather = b.bind("gather_batch", B.acts[0].All(), B.labels.All(), B.trainImages.All(), B.trainLabels.All(), B.order.All(), B.ctrl.All())
	k.evalGather = b.bind("gather_batch", B.acts[0].All(), B.labels.All(), B.testImages.All(), B.testLabels.All(), B.evalOrder.All(), B.evalCtrl.All())
	k.softmax = b.bind("softmax_cross_entropy", B.loss.All(), B.dActs[last].All(), B.correct.All(), B.acts[last].All(), B.labels.All())
	k.trainStats = b.bind("step_stats", B.stepLoss.All(), B.loss.All(), B.correct.All(), B.ctrl.All())
	k.evalStats = b.bind("step_stats", B.evalLoss.All(), B.loss.All(), B.correct.All(), B.evalCtrl.All())
	k.sgd = b.bind("sgd_update", B.params.All(), B.vel.All(), B.grads.All(), B.lrs.All(), B.ctrl.All())
	k.advance = b.bind("advance_step", B.ctrl.All())
}
