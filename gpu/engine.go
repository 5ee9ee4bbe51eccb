package gpu

import (
	"errors"
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/vulkan"
)

// EngineOptions configure NewEngine.
type EngineOptions struct {
	Device vulkan.Options
	// WG is the workgroup size of every shader (0: 64).
	WG int
	// EvalBatch is the number of test samples evaluated per step (0: 1000).
	EvalBatch int
}

// Engine trains a network on a Vulkan device with no host round trip per step.
//
// Everything lives on the device: the training and test sets (pixels packed four to a
// word), the parameters, gradients and momentum (each one buffer with every tensor at an
// aligned offset, so one sgd_update dispatch updates them all), the activations of a batch,
// and the epoch's state — the sample order, every step's learning rate, a Control block
// whose step counter the shaders read, and every step's loss. The work of chunkSteps
// full-batch steps is recorded once into one command buffer that ends by advancing the
// step counter; an epoch is that buffer submitted again and again, then a tail buffer with
// the remaining steps and the smaller last batch. Part of an epoch (engine.Epoch.From/To:
// a resumed run, -verify-every's segments) starts the counter at its first step and
// replays the chunk buffer, then a one-step buffer and the last batch's own: the same
// dispatches, so the same bits. The host uploads the order and the learning rates before
// an epoch and waits a few times during it, for progress and for Epoch.Stop.
type Engine struct {
	d    *vulkan.Device
	cfg  engine.Config
	arch *model.Arch
	wg   int

	shaders *shaderSet // where the kernels' SPIR-V comes from (shader_dir.go)
	b       bufs
	k       kernels

	params  []paramSlot
	nParams int // floats in the params/grads/vel buffers, padding included

	evalBatch, evalSteps int
	steps                int // training steps per epoch
	chunkSteps, chunks   int
	chunk, tail, eval    *vulkan.Commands
	one, last            *vulkan.Commands // one full step; the smaller last batch alone
}

// paramSlot is where a tensor lives in the flat parameter buffers (in floats).
type paramSlot struct {
	offset, size int
}

// NewEngine opens a device and builds the engine for cfg: buffers, pipelines, uploads of
// the data, and the recorded command buffers. Its error is vulkan.ErrNoDevice (errors.Is)
// when the machine has no Vulkan device to use.
func NewEngine(cfg engine.Config, o EngineOptions) (*Engine, error) {
	if cfg.Arch == nil || cfg.Train == nil || cfg.Test == nil || cfg.Batch < 1 || cfg.Train.N < 1 || cfg.Test.N < 1 {
		return nil, errors.New("gpu: config needs an arch, non-empty train and test sets, and a batch of at least 1")
	}
	d, err := vulkan.Open(o.Device)
	if err != nil {
		return nil, err
	}
	e := &Engine{d: d, cfg: cfg, arch: cfg.Arch, wg: o.WG, evalBatch: o.EvalBatch}
	if e.wg <= 0 {
		e.wg = 64
	}
	if e.evalBatch <= 0 {
		e.evalBatch = 1000
	}
	e.evalBatch = min(e.evalBatch, cfg.Test.N)
	if err := e.build(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return "gpu" }

// Device implements engine.Engine.
func (e *Engine) Device() string { return e.d.Name() }

// Config implements engine.Engine.
func (e *Engine) Config() engine.Config { return e.cfg }

// Vulkan is the device the engine runs on.
func (e *Engine) Vulkan() *vulkan.Device { return e.d }

// Close implements engine.Engine: it destroys every Vulkan object the engine made.
func (e *Engine) Close() error {
	if e.d == nil {
		return nil
	}
	err := e.d.Close()
	e.d = nil
	return err
}

// SetParams implements engine.Engine.
func (e *Engine) SetParams(p *model.Params) error {
	if err := e.arch.Check(p); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	flat := make([]float32, e.nParams)
	for i, t := range p.Tensors {
		copy(flat[e.params[i].offset:], t.Data)
	}
	if err := vulkan.Upload(e.b.params, 0, flat); err != nil {
		return err
	}
	return e.d.OneShot(func(c *vulkan.Commands) { c.Fill(e.b.vel.All(), 0) })
}

// Params implements engine.Engine.
func (e *Engine) Params() (*model.Params, error) {
	flat := make([]float32, e.nParams)
	if err := vulkan.Download(flat, e.b.params, 0); err != nil {
		return nil, err
	}
	p := e.arch.NewParams()
	for i, t := range p.Tensors {
		copy(t.Data, flat[e.params[i].offset:])
	}
	return p, nil
}

// TrainEpoch implements engine.Engine.
func (e *Engine) TrainEpoch(ep engine.Epoch, progress func(int)) (engine.EpochResult, error) {
	n := e.cfg.Train.N
	if len(ep.Order) != n || len(ep.LR) != e.steps {
		return engine.EpochResult{}, fmt.Errorf("gpu: epoch has %d samples and %d learning rates, the engine was built for %d and %d", len(ep.Order), len(ep.LR), n, e.steps)
	}
	for _, idx := range ep.Order {
		if idx < 0 || int(idx) >= n {
			return engine.EpochResult{}, fmt.Errorf("gpu: sample index %d out of range [0, %d)", idx, n)
		}
	}
	if ep.FirstStep < 0 || ep.FirstStep > math.MaxUint32-e.steps {
		return engine.EpochResult{}, fmt.Errorf("gpu: first step %d out of range", ep.FirstStep)
	}
	if err := vulkan.Upload(e.b.order, 0, ep.Order); err != nil {
		return engine.EpochResult{}, err
	}
	if err := vulkan.Upload(e.b.lrs, 0, ep.LR); err != nil {
		return engine.EpochResult{}, err
	}
	from, to, err := ep.Range(e.steps)
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("gpu: %w", err)
	}
	ctrl := []uint32{uint32(from), uint32(ep.FirstStep), 0, 0}
	if err := vulkan.Upload(e.b.ctrl, 0, ctrl); err != nil {
		return engine.EpochResult{}, err
	}
	done, err := e.run(e.plan(from, to), from, ep.Stop, progress)
	if err != nil {
		return engine.EpochResult{}, err
	}
	res := engine.EpochResult{StepLoss: make([]float32, done-from)}
	if err := vulkan.Download(res.StepLoss, e.b.stepLoss, from); err != nil {
		return res, err
	}
	if err := vulkan.Download(ctrl, e.b.ctrl, 0); err != nil {
		return res, err
	}
	res.Correct = int(ctrl[2])
	return res, nil
}

// group is command buffers submitted together, and the epoch step they end at.
type group struct {
	cs  []*vulkan.Commands
	end int
}

// plan splits steps [from, to) into at most 16 groups of command buffers: replays of the
// chunk buffer, then the tail when the range ends the epoch where the tail starts, else
// single steps and the smaller last batch.
func (e *Engine) plan(from, to int) []group {
	full := e.cfg.Train.N / e.cfg.Batch
	type piece struct {
		c     *vulkan.Commands
		steps int
	}
	var ps []piece
	s := from
	for e.chunk != nil && s+e.chunkSteps <= min(to, full) {
		ps = append(ps, piece{e.chunk, e.chunkSteps})
		s += e.chunkSteps
	}
	if to == e.steps && s == e.chunks*e.chunkSteps && e.tail != nil {
		ps = append(ps, piece{e.tail, to - s})
		s = to
	}
	for ; s < min(to, full); s++ {
		ps = append(ps, piece{e.one, 1})
	}
	if s < to { // the smaller last batch
		ps = append(ps, piece{e.last, 1})
	}
	n := min(len(ps), 16)
	gs := make([]group, n)
	end := from
	for g := range gs {
		for _, p := range ps[g*len(ps)/n : (g+1)*len(ps)/n] {
			gs[g].cs = append(gs[g].cs, p.c)
			end += p.steps
		}
		gs[g].end = end
	}
	return gs
}

// run submits the groups keeping two in flight, so that the device never idles and the
// host wakes only to report progress, and returns the step the epoch reached (from, the
// range's first step, when nothing ran). Once stop is closed it submits no further group:
// a stop waits for the groups in flight, at most two, 1/8 of an epoch.
func (e *Engine) run(gs []group, from int, stop <-chan struct{}, progress func(int)) (int, error) {
	n, b := e.cfg.Train.N, e.cfg.Batch
	var pending []*vulkan.Pending
	reached := from
	for w := range gs {
		for next := len(pending); next < len(gs) && next <= w+1 && !isClosed(stop); next++ {
			p, err := e.d.Start(gs[next].cs...)
			if err != nil {
				e.waitAll(pending[w:])
				return 0, fmt.Errorf("gpu: submitting epoch: %w", err)
			}
			pending = append(pending, p)
		}
		if w >= len(pending) {
			break // stopped: nothing more was submitted
		}
		if err := pending[w].Wait(); err != nil {
			// The device is lost or hangs: the later groups will not finish either.
			return 0, fmt.Errorf("gpu: training: %w", err)
		}
		reached = gs[w].end
		if progress != nil {
			progress(min(n, reached*b))
		}
	}
	return reached, nil
}

// isClosed reports whether stop is closed (nil never is).
func isClosed(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// waitAll waits for submissions before an error is returned, up to the first that fails
// (a lost or hung device finishes none of the rest).
func (e *Engine) waitAll(ps []*vulkan.Pending) {
	for _, p := range ps {
		if p.Wait() != nil {
			return
		}
	}
}

// Evaluate implements engine.Engine.
func (e *Engine) Evaluate() (engine.EvalResult, error) {
	if err := e.d.Submit(e.eval); err != nil {
		return engine.EvalResult{}, fmt.Errorf("gpu: evaluating: %w", err)
	}
	losses := make([]float32, e.evalSteps)
	if err := vulkan.Download(losses, e.b.evalLoss, 0); err != nil {
		return engine.EvalResult{}, err
	}
	ctrl := make([]uint32, 4)
	if err := vulkan.Download(ctrl, e.b.evalCtrl, 0); err != nil {
		return engine.EvalResult{}, err
	}
	n := e.cfg.Test.N
	sum := 0.0
	for s, l := range losses {
		sum += float64(l) * float64(min(e.evalBatch, n-s*e.evalBatch))
	}
	return engine.EvalResult{Loss: sum / float64(n), Correct: int(ctrl[2]), N: n}, nil
}
