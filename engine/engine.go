// Package engine is the seam between the training loop and the engines that run a network
// (cpu, gpu). The loop hands an engine whole epochs — the sample order and every step's
// learning rate — so that an engine can run an epoch without a host round trip per step.
//
// One training step k over the samples B_k (the next Batch indices of Epoch.Order; the
// epoch's last step may hold fewer) computes the logits z of every sample, the loss
// L = (1/|B_k|) Σ_{n∈B_k} −log softmax(z_n)[y_n], its gradient g with respect to every
// parameter, and updates w ← w − lr_k·g (or, with momentum μ > 0, v ← μ·v + g,
// w ← w − lr_k·v, as torch.optim.SGD; v starts at zero).
package engine

import (
	"fmt"

	"github.com/vkcnn/vkcnn/model"
)

// Config is what an engine is built for; it does not change during the engine's life, and
// it is the one place the training loop reads the arch, the batch and the sample count
// from (Engine.Config).
type Config struct {
	Arch     *model.Arch
	Batch    int
	Momentum float32
	// Seed drives dropout masks: rng.DropoutBits(Seed, globalStep, flatIndexInBatch).
	Seed uint32
	// Train and Test are uploaded once, when the engine is built.
	Train, Test *Dataset
}

// StepSamples is the number of samples of a full training step, min(Batch, Train.N): no
// step holds more samples than the set. It is also the stride of Epoch.Order per step,
// since a batch larger than the set gives a single step.
func (c Config) StepSamples() int { return min(c.Batch, c.Train.N) }

// Dataset is a set of labelled grey images: Images holds N images of H×W values in 0..1
// (pixel/255), row-major, image after image; Labels holds N class indices. It has the
// fields of mnist.Dataset, so that a *mnist.Dataset d converts: (*engine.Dataset)(d).
type Dataset struct {
	Images  []float32
	Labels  []uint8
	N, H, W int
}

// Image returns the i-th image, H·W values.
func (d *Dataset) Image(i int) []float32 { return d.Images[i*d.H*d.W : (i+1)*d.H*d.W] }

// Steps is the number of steps of an epoch over n samples in batches of batch (written so
// that a huge batch cannot overflow).
func Steps(n, batch int) int {
	if n <= 0 {
		return 0
	}
	return (n-1)/batch + 1
}

// Epoch is one pass over the training set.
type Epoch struct {
	// Order lists training-sample indices in the order they are used; len = Train.N.
	Order []int32
	// LR holds every step's learning rate; len = Steps(len(Order), Batch).
	LR []float32
	// FirstStep is the global index of the epoch's first step (the dropout counter).
	FirstStep int
	// From and To select the steps of the epoch to run, [From, To) (To = 0: to the end), so
	// that a run can resume mid-epoch or pause after a few steps; the steps run are the
	// same, bit for bit, as in a whole epoch.
	From, To int
	// Stop, when it is closed, asks the engine to return early, at the first step boundary
	// it can reach (see each engine's TrainEpoch); nil never stops.
	Stop <-chan struct{}
}

// Range is [From, To) of an epoch of steps steps, To = 0 read as steps, or an error that
// names the bad bound.
func (e Epoch) Range(steps int) (from, to int, err error) {
	from, to = e.From, e.To
	if to == 0 {
		to = steps
	}
	if from < 0 || from > to || to > steps {
		return 0, 0, fmt.Errorf("steps [%d, %d) are not within the epoch's %d", e.From, e.To, steps)
	}
	return from, to, nil
}

// EpochResult is what an engine measured while training an epoch.
type EpochResult struct {
	// StepLoss is the mean batch loss of each step run, computed before that step's update:
	// one per step of [From, To), fewer when Stop ended the epoch early (the steps done are
	// From … From+len(StepLoss)−1).
	StepLoss []float32
	// Correct counts the training samples of the steps run whose logits' argmax was their
	// label, before the update of their step.
	Correct int
}

// EvalResult is the outcome of evaluating the test set.
type EvalResult struct {
	Loss    float64 // mean cross-entropy
	Correct int
	N       int
}

// Engine runs a network's training and evaluation.
type Engine interface {
	// Name is "cpu" or "gpu".
	Name() string
	// Device names the hardware, e.g. "NVIDIA H100 80GB HBM3" or "2 goroutines".
	Device() string
	// SetParams replaces the parameters and resets the momentum buffers to zero.
	SetParams(p *model.Params) error
	// Params returns a copy of the current parameters.
	Params() (*model.Params, error)
	// TrainEpoch runs one epoch; progress, if not nil, is called now and then from the
	// calling goroutine with the number of samples done.
	TrainEpoch(e Epoch, progress func(samplesDone int)) (EpochResult, error)
	// Evaluate computes loss and accuracy on the test set with the current parameters
	// (dropout off).
	Evaluate() (EvalResult, error)
	// Close releases everything the engine holds.
	Close() error
	// Config is what the engine was built for.
	Config() Config
}

// OptimState is implemented by engines whose optimiser state can be read and restored, so
// that a run stopped after any step continues exactly: the momentum buffers v of the update
// v ← μ·v + g, w ← w − lr·v, one per parameter, named and shaped as model.Params.
type OptimState interface {
	// Momentum returns a copy of the momentum buffers.
	Momentum() (*model.Params, error)
	// SetMomentum replaces them (after SetParams, which zeroes them).
	SetMomentum(v *model.Params) error
}

// Inspector is implemented by engines that can compute one step's results without taking
// the step: what a test compares with a reference (PyTorch's, or another engine's), and
// what a run can re-check on a second engine.
type Inspector interface {
	// Gradient computes, with the current parameters, the forward and backward pass of a
	// training step over the samples idx (indices into Config.Train, 1 ≤ len(idx) ≤
	// Config.StepSamples()) with the dropout masks of global step step, and changes neither
	// the parameters nor the momentum.
	Gradient(idx []int32, step int) (StepState, error)
}

// StepState is a training step's forward and backward results before its update.
type StepState struct {
	// Logits are the last layer's outputs, (len(idx), Classes), row-major.
	Logits []float32
	// Loss is the mean cross-entropy L = (1/|B|) Σ_n −log softmax(z_n)[y_n].
	Loss float32
	// Grad is ∂L/∂w for every parameter, named and shaped as model.Params.
	Grad *model.Params
}
