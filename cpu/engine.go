package cpu

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// chunkSize is the number of samples one goroutine takes at a time. Gradients are summed
// within a chunk by the batched ops and then across chunks in chunk order, so the result
// depends on chunkSize but never on GOMAXPROCS.
const chunkSize = 8

// maxChunkGradValues bounds the values of the per-chunk gradients, ⌈step samples /
// chunkSize⌉ × parameters: 2^30 (4 GiB of float32), what a batch of 64 (the default)
// needs at model.MaxParams, twice over. A variable for the tests.
var maxChunkGradValues int64 = 1 << 30

// evalChunk is the number of test samples one goroutine evaluates at a time.
const evalChunk = 64

// Engine trains a network on the CPU with the reference ops, in parallel over the samples
// of a batch.
type Engine struct {
	cfg     engine.Config
	arch    *model.Arch
	plan    *plan
	params  *model.Params
	vel     *model.Params // momentum buffers, zero at start
	grad    *model.Params // a one-chunk step's gradient; Gradient's sum of the chunks
	workers int
	pool    sync.Pool // *scratch
	// chunkGrads[c] holds chunk c's gradient (only used when a step has several chunks).
	chunkGrads []*model.Params
	partsOf    [][][]float32 // partsOf[t][c]: tensor t of chunk c's gradient, for update
	blocks     [][3]int      // update's blocks: tensor, first and end value
	loss       []float32     // per sample of a step, or of the test set
	correct    []int32
}

// scratch is one goroutine's working memory for up to cap samples.
type scratch struct {
	acts   [][]float32 // acts[0] is the input, acts[i+1] the output of layer i (plan.newActs)
	input  []float32   // where forward gathers the input when it is not one run of the dataset
	dActs  [][]float32 // gradients with respect to acts, laid out as acts (the input's nil)
	argmax [][]int32   // per layer, max- and min-pool only (min-pool: the argmin)
	labels []int32
	dLog   []float32
}

// New builds a CPU engine for cfg. It never fails for a valid config.
func New(cfg engine.Config) (*Engine, error) {
	if cfg.Arch == nil || cfg.Train == nil || cfg.Test == nil || cfg.Batch < 1 {
		return nil, errors.New("cpu: config needs an arch, a train and a test set, and a batch of at least 1")
	}
	if n, p := (cfg.StepSamples()+chunkSize-1)/chunkSize, cfg.Arch.NumParams(); n > 1 && int64(n)*int64(p) > maxChunkGradValues {
		return nil, fmt.Errorf("cpu: a step of %d samples keeps a gradient of the %d parameters per %d samples, %d of them (%.3g GiB); more than %.3g GiB: use a smaller batch or network",
			cfg.StepSamples(), p, chunkSize, n, float64(n)*float64(p)*4/(1<<30), float64(maxChunkGradValues)*4/(1<<30))
	}
	e := &Engine{
		cfg:     cfg,
		arch:    cfg.Arch,
		plan:    newPlan(cfg.Arch),
		params:  cfg.Arch.NewParams(),
		vel:     cfg.Arch.NewParams(),
		grad:    cfg.Arch.NewParams(),
		workers: runtime.GOMAXPROCS(0),
	}
	batch := cfg.StepSamples()
	nChunks := (batch + chunkSize - 1) / chunkSize
	if nChunks > 1 {
		e.chunkGrads = make([]*model.Params, nChunks)
		for i := range e.chunkGrads {
			e.chunkGrads[i] = cfg.Arch.NewParams()
		}
	}
	n := max(batch, cfg.Test.N)
	e.loss, e.correct = make([]float32, n), make([]int32, n)
	e.pool.New = func() any { return e.newScratch(max(chunkSize, evalChunk)) }
	return e, nil
}

func (e *Engine) newScratch(n int) *scratch {
	s := &scratch{labels: make([]int32, n), acts: e.plan.newActs(n, false), dActs: e.plan.newActs(n, true)}
	s.input = s.acts[0]
	for i := range e.arch.Layers {
		l := &e.arch.Layers[i]
		var am []int32
		if l.Kind == model.MaxPool || l.Kind == model.MinPool {
			am = make([]int32, n*l.Out.Len())
		}
		s.argmax = append(s.argmax, am)
	}
	s.dLog = s.dActs[len(s.dActs)-1]
	return s
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return "cpu" }

// Device implements engine.Engine.
func (e *Engine) Device() string { return fmt.Sprintf("CPU, %d goroutines", e.workers) }

// Config implements engine.Engine.
func (e *Engine) Config() engine.Config { return e.cfg }

// SetParams implements engine.Engine.
func (e *Engine) SetParams(p *model.Params) error {
	if err := e.arch.Check(p); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	e.params = p.Clone()
	for _, t := range e.vel.Tensors {
		clear(t.Data)
	}
	return nil
}

// Params implements engine.Engine.
func (e *Engine) Params() (*model.Params, error) { return e.params.Clone(), nil }

// Close implements engine.Engine.
func (e *Engine) Close() error { return nil }

// TrainEpoch implements engine.Engine.
func (e *Engine) TrainEpoch(ep engine.Epoch, progress func(int)) (engine.EpochResult, error) {
	n, b := len(ep.Order), e.cfg.Batch
	steps := engine.Steps(n, b)
	if n != e.cfg.Train.N {
		return engine.EpochResult{}, fmt.Errorf("cpu: epoch orders %d samples, the training set has %d", n, e.cfg.Train.N)
	}
	if len(ep.LR) != steps {
		return engine.EpochResult{}, fmt.Errorf("cpu: epoch has %d learning rates for %d steps", len(ep.LR), steps)
	}
	for _, idx := range ep.Order {
		if idx < 0 || int(idx) >= e.cfg.Train.N {
			return engine.EpochResult{}, fmt.Errorf("cpu: sample index %d out of range [0, %d)", idx, e.cfg.Train.N)
		}
	}
	from, to, err := ep.Range(steps)
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("cpu: %w", err)
	}
	res := engine.EpochResult{StepLoss: make([]float32, 0, to-from)}
	every := max(1, steps/100)
	for s := from; s < to; s++ {
		if stopped(ep.Stop) {
			break
		}
		batch := ep.Order[s*b : min(n, (s+1)*b)]
		loss, correct := e.step(batch, ep.LR[s], uint32(ep.FirstStep+s))
		res.StepLoss = append(res.StepLoss, loss)
		res.Correct += correct
		if progress != nil && (s%every == every-1 || s == to-1) {
			progress(min(n, (s+1)*b))
		}
	}
	return res, nil
}

// stopped reports whether stop is closed: TrainEpoch stops after the step it is in, so a
// stop waits at most one step.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// step runs forward, backward and the update for one batch and returns its mean loss and
// the number of samples classified right.
func (e *Engine) step(batch []int32, lr float32, globalStep uint32) (float32, int) {
	e.update(e.chunkGradients(batch, globalStep, nil), lr)
	return e.sumLoss(len(batch))
}

// gradient computes the gradient of the batch's mean loss into e.grad, and every sample's
// loss and correct flag into e.loss and e.correct; logits, if not nil, receives the
// batch's logits, (len(batch), Classes).
func (e *Engine) gradient(batch []int32, globalStep uint32, logits []float32) {
	parts := e.chunkGradients(batch, globalStep, logits)
	if len(parts) == 1 {
		return // e.grad itself
	}
	for t := range e.grad.Tensors {
		sum := e.grad.Tensors[t].Data
		copy(sum, parts[0].Tensors[t].Data)
		for _, p := range parts[1:] {
			for i, v := range p.Tensors[t].Data {
				sum[i] += v
			}
		}
	}
}

// chunkGradients runs forward and backward over the batch's chunks of chunkSize samples
// and returns their gradients of the batch's mean loss, in chunk order: e.grad alone for
// a batch of one chunk, else e.chunkGrads[:chunks]. Their sum, in that order, is the
// batch's gradient. It fills e.loss, e.correct and logits as gradient says.
func (e *Engine) chunkGradients(batch []int32, globalStep uint32, logits []float32) []*model.Params {
	nChunks := (len(batch) + chunkSize - 1) / chunkSize
	scale := 1 / float32(len(batch))
	k := e.arch.Classes
	run := func(c int, g *model.Params) {
		lo, hi := c*chunkSize, min(len(batch), (c+1)*chunkSize)
		s := e.pool.Get().(*scratch)
		e.forward(s, e.cfg.Train, batch[lo:hi], lo, true, globalStep, scale)
		if logits != nil {
			copy(logits[lo*k:hi*k], s.acts[len(s.acts)-1])
		}
		e.backward(s, hi-lo, g, lo, globalStep)
		e.pool.Put(s)
	}
	if nChunks == 1 {
		run(0, e.grad)
		return []*model.Params{e.grad}
	}
	e.parallel(nChunks, func(c int) { run(c, e.chunkGrads[c]) })
	return e.chunkGrads[:nChunks]
}

var _ engine.Inspector = (*Engine)(nil)

// Gradient implements engine.Inspector.
func (e *Engine) Gradient(idx []int32, step int) (engine.StepState, error) {
	if len(idx) < 1 || len(idx) > e.cfg.StepSamples() {
		return engine.StepState{}, fmt.Errorf("cpu: gradient of %d samples, want 1 to %d", len(idx), e.cfg.StepSamples())
	}
	for _, i := range idx {
		if i < 0 || int(i) >= e.cfg.Train.N {
			return engine.StepState{}, fmt.Errorf("cpu: sample index %d out of range [0, %d)", i, e.cfg.Train.N)
		}
	}
	if step < 0 || uint64(step) > math.MaxUint32 {
		return engine.StepState{}, fmt.Errorf("cpu: step %d out of range", step)
	}
	logits := make([]float32, len(idx)*e.arch.Classes)
	e.gradient(idx, uint32(step), logits)
	loss, _ := e.sumLoss(len(idx))
	return engine.StepState{Logits: logits, Loss: loss, Grad: e.grad.Clone()}, nil
}

func (e *Engine) sumLoss(n int) (float32, int) {
	sum, correct := 0.0, 0
	for i := 0; i < n; i++ {
		sum += float64(e.loss[i])
		correct += int(e.correct[i])
	}
	return float32(sum / float64(n)), correct
}

// parallel runs f(0..n-1) on up to e.workers goroutines.
func (e *Engine) parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(e.workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// forward computes the logits of the samples idx of data into s, then their loss, correct
// flags (into e.loss/e.correct at offset) and, when training, the loss gradient s.dLog
// scaled by scale. offset is the position of idx[0] in its batch (for the dropout mask).
func (e *Engine) forward(s *scratch, data *engine.Dataset, idx []int32, offset int, training bool, globalStep uint32, scale float32) {
	n := len(idx)
	in := e.arch.Input.Len()
	if consecutive(idx) && in == data.H*data.W {
		// The images are one run of the dataset: the first layer reads them there (no
		// pass writes its input, newPlan), and so does the backward pass that follows.
		s.acts[0] = data.Images[int(idx[0])*in : (int(idx[0])+n)*in]
	} else {
		s.acts[0] = s.input
		for j, k := range idx {
			copy(s.acts[0][j*in:(j+1)*in], data.Image(int(k)))
		}
	}
	forwardLayers(e.plan, e.params, s.acts, s.argmax, n, dropoutMasks{on: training, seed: e.cfg.Seed, step: globalStep, sampleOffset: offset})
	labels := e.labelsOf(idx, training, s.labels[:n])
	k := e.arch.Classes
	logits := s.acts[len(s.acts)-1][:n*k]
	SoftmaxCrossEntropy(e.loss[offset:offset+n], s.dLog[:n*k], e.correct[offset:offset+n], logits, labels, n, k, scale)
}

// consecutive reports whether idx is k, k+1, k+2, … (one sample included).
func consecutive(idx []int32) bool {
	for j := 1; j < len(idx); j++ {
		if idx[j] != idx[0]+int32(j) {
			return false
		}
	}
	return len(idx) > 0
}

func (e *Engine) labelsOf(idx []int32, training bool, out []int32) []int32 {
	src := e.cfg.Test.Labels
	if training {
		src = e.cfg.Train.Labels
	}
	for j, k := range idx {
		out[j] = int32(src[k])
	}
	return out
}

// backward propagates s.dLog back through the layers of n samples and writes the parameter
// gradients (summed over the samples) into g. offset and globalStep are the forward's.
func (e *Engine) backward(s *scratch, n int, g *model.Params, offset int, globalStep uint32) {
	pi := len(g.Tensors)/2 - 1
	for k := len(e.plan.passes) - 1; k >= 0; k-- {
		ps := &e.plan.passes[k]
		i := ps.first
		l, last := &e.arch.Layers[i], &e.arch.Layers[ps.last]
		dy := s.dActs[ps.last+1][:n*last.Out.Len()]
		var dx []float32
		if e.arch.NeedsInputGrad(i) {
			dx = s.dActs[i][:n*l.In.Len()]
		}
		x, y := s.acts[i][:n*l.In.Len()], s.acts[ps.last+1][:n*last.Out.Len()]
		switch ps.kind {
		case passReLUInPlace: // x is y, dx dy
			if dx != nil {
				ReLUBackward(dx, dy, y)
			}
			continue
		case passMaxPoolReLU:
			if dx != nil {
				maxPoolReLUBackward(dx, dy, y, s.argmax[ps.pool][:len(y)], e.arch.Layers[ps.pool].PoolShape(n))
			}
			continue
		}
		switch l.Kind {
		case model.Conv:
			dw, db := g.Layer(pi)
			w, _ := e.params.Layer(pi)
			pi--
			Conv2DBackwardFilter(dw, db, dy, x, l.ConvShape(n))
			if dx != nil {
				Conv2DBackwardData(dx, dy, w, l.ConvShape(n))
			}
		case model.Dense:
			dw, db := g.Layer(pi)
			w, _ := e.params.Layer(pi)
			pi--
			DenseBackwardWeights(dw, db, dy, x, l.DenseShape(n))
			if dx != nil {
				DenseBackwardData(dx, dy, w, l.DenseShape(n))
			}
		case model.ReLU:
			if dx != nil {
				ReLUBackward(dx, dy, y)
			}
		case model.Sigmoid:
			if dx != nil {
				SigmoidBackward(dx, dy, y)
			}
		case model.MaxPool, model.MinPool:
			if dx != nil {
				MaxPoolBackward(dx, dy, s.argmax[i][:len(y)], l.PoolShape(n))
			}
		case model.AvgPool:
			if dx != nil {
				AvgPoolBackward(dx, dy, l.PoolShape(n))
			}
		case model.Dropout:
			if dx != nil {
				d := model.NewDropoutParams(l.P, model.DropoutSeed(e.cfg.Seed, i), globalStep)
				d.Offset = uint32(offset * l.In.Len())
				DropoutBackward(dx, dy, d)
			}
		}
	}
}

// Evaluate implements engine.Engine.
func (e *Engine) Evaluate() (engine.EvalResult, error) {
	test := e.cfg.Test
	n := test.N
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	chunks := (n + evalChunk - 1) / evalChunk
	e.parallel(chunks, func(c int) {
		lo, hi := c*evalChunk, min(n, (c+1)*evalChunk)
		s := e.pool.Get().(*scratch)
		e.forward(s, test, idx[lo:hi], lo, false, 0, 1)
		e.pool.Put(s)
	})
	sum, correct := 0.0, 0
	for i := 0; i < n; i++ {
		sum += float64(e.loss[i])
		correct += int(e.correct[i])
	}
	return engine.EvalResult{Loss: sum / float64(n), Correct: correct, N: n}, nil
}
