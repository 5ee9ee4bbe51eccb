package vkcnn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/mnist"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// TrainOptions describe a training run, as the train command's flags of the same names do.
// DefaultTrainOptions gives the command's defaults; every field is used as it is.
type TrainOptions struct {
	// Data is the folder of the four MNIST IDX files (gzip or raw).
	Data string
	// Arch is a preset ("lenet-6-12", …) or a layer string; it must end in 10 outputs.
	Arch string
	// Epochs is the number of passes over the training set, at least 1.
	Epochs int
	// Batch is the number of samples per step, at least 1.
	Batch int
	// LR0 and LR1 are the first and the last step's learning rate, both > 0: step k of K
	// takes lr0·(lr1/lr0)^(k/(K−1)).
	LR0, LR1 float64
	// Momentum is μ of SGD with momentum (v = μ·v + g; w −= lr·v), in [0, 1).
	Momentum float64
	// Seed fixes the initial weights, the order of the samples and the dropout masks.
	Seed uint64
	// Limit, when > 0, trains on the first Limit samples of the training set only.
	Limit int
	// NoShuffle keeps the file's order in every epoch.
	NoShuffle bool
	// Save, when not empty, is the checkpoint written (atomically) after every epoch and
	// when the run is cancelled; a run holds a lock on Save+".lock" while it trains.
	Save string
}

// DefaultTrainOptions are the train command's defaults: lenet-6-12 on data/mnist, 5
// epochs of batch 64, lr 0.05 → 0.001, momentum 0.9, seed 1.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Data: "data/mnist", Arch: "lenet-6-12", Epochs: 5, Batch: 64, LR0: 0.05, LR1: 0.001, Momentum: 0.9, Seed: 1}
}

// EpochStats is what one epoch measured: mean training loss (nats) and accuracy over the
// epoch's steps, test loss and accuracy after it (accuracies in 0..1), its time.
type EpochStats = train.EpochStats

// Progress is a training run's position, given to Train's callback.
type Progress struct {
	// Epoch is the epoch running (1-based) of Epochs.
	Epoch, Epochs int
	// SamplesDone of the epoch's Samples have been trained on.
	SamplesDone, Samples int
	// Stats is set once per epoch, when it has ended and been evaluated; nil otherwise.
	Stats *EpochStats
}

// Train trains a network on the CPU engine and returns it. progress, when not nil, is
// called from Train's goroutine about a hundred times per epoch and once at each epoch's
// end (with Stats).
//
// Cancelling ctx stops the run after the step it is in: with Save, the checkpoint then
// holds the weights and the run's state at that step (bin/train -resume continues it), and
// Train returns the model as it is with an error that wraps ctx.Err(). Cancelled before the
// first step, or any other error (bad options, data, a diverged run): no model.
func Train(ctx context.Context, o TrainOptions, progress func(Progress)) (*Model, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vkcnn: training not started: %w", err)
	}
	trainSet, testSet, err := mnist.Load(o.Data)
	if err != nil {
		return nil, err
	}
	if o.Limit > trainSet.N {
		return nil, fmt.Errorf("vkcnn: TrainOptions.Limit %d: the training set in %s has %d samples", o.Limit, o.Data, trainSet.N)
	}
	if o.Limit > 0 {
		trainSet = trainSet.Head(o.Limit)
	}
	in := model.Shape{C: 1, H: trainSet.H, W: trainSet.W}
	if in != model.MNISTInput {
		return nil, fmt.Errorf("vkcnn: %s holds %d×%d images; a Model takes MNIST's 28×28", o.Data, in.H, in.W)
	}
	a, err := model.Build(o.Arch, in, mnist.Classes)
	if err != nil {
		return nil, fmt.Errorf("vkcnn: TrainOptions.Arch: %w", err)
	}
	if _, err := train.TotalSteps(trainSet.N, o.Batch, o.Epochs); err != nil {
		return nil, fmt.Errorf("vkcnn: TrainOptions.Epochs %d: %w", o.Epochs, err)
	}
	cfg := engine.Config{Arch: a, Batch: o.Batch, Momentum: float32(o.Momentum), Seed: uint32(o.Seed) ^ uint32(o.Seed>>32),
		Train: (*engine.Dataset)(trainSet), Test: (*engine.Dataset)(testSet)}
	if err := a.CheckBatch(cfg.StepSamples()); err != nil {
		return nil, fmt.Errorf("vkcnn: TrainOptions.Batch %d: %w", o.Batch, err)
	}
	opts := train.Options{Epochs: o.Epochs, LR0: o.LR0, LR1: o.LR1, Seed: o.Seed, Shuffle: !o.NoShuffle}
	if o.Save != "" {
		t, err := checkpoint.Lock(o.Save)
		if err != nil {
			return nil, fmt.Errorf("vkcnn: TrainOptions.Save %s: %w", o.Save, err)
		}
		defer t.Close()
		opts.Save = o.Save
		opts.SaveFunc = func(_ string, a *model.Arch, p *model.Params, s *train.State) error {
			// run.limit and run.val: what the train command records of its training set,
			// so that bin/train -resume continues the run
			return t.SaveState(a, p, s, map[string]string{"run.limit": strconv.Itoa(o.Limit), "run.val": "0"})
		}
	}
	eng, err := cpu.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("vkcnn: %w", err)
	}
	defer eng.Close()
	if err := eng.SetParams(a.InitParams(o.Seed)); err != nil {
		return nil, fmt.Errorf("vkcnn: %w", err)
	}

	// The run stops when ctx is done: seen between two steps by the reporter (a cancel from
	// the progress callback stops the very next step), or by a goroutine for a cancel from
	// elsewhere.
	stop, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }) }
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			halt()
		case <-done:
		}
	}()
	opts.Stop = stop
	if err := ctx.Err(); err != nil { // cancelled while the data was read
		return nil, fmt.Errorf("vkcnn: training not started: %w", err)
	}
	_, _, runErr := train.Run(eng, opts, &reporter{f: progress, ctx: ctx, halt: halt})
	if _, ok := errors.AsType[*train.StoppedError](runErr); runErr != nil && (!ok || ctx.Err() == nil) {
		return nil, fmt.Errorf("vkcnn: training: %w", runErr)
	}
	p, err := eng.Params()
	if err != nil {
		return nil, fmt.Errorf("vkcnn: %w", err)
	}
	m, err := NewModel(a, p)
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		return m, fmt.Errorf("vkcnn: training %w: %w", runErr, ctx.Err())
	}
	return m, nil
}

// check refuses options no run can use, naming the field.
func (o TrainOptions) check() error {
	switch {
	case o.Data == "":
		return errors.New("vkcnn: TrainOptions.Data: no data folder")
	case o.Epochs < 1:
		return fmt.Errorf("vkcnn: TrainOptions.Epochs %d: at least 1", o.Epochs)
	case o.Batch < 1:
		return fmt.Errorf("vkcnn: TrainOptions.Batch %d: at least 1", o.Batch)
	case !(o.LR0 > 0) || !(o.LR1 > 0) || o.LR0 > 1e3 || o.LR1 > 1e3:
		return fmt.Errorf("vkcnn: TrainOptions.LR0 %g, LR1 %g: each in (0, 1000]", o.LR0, o.LR1)
	case !(o.Momentum >= 0 && o.Momentum < 1):
		return fmt.Errorf("vkcnn: TrainOptions.Momentum %g: in [0, 1)", o.Momentum)
	case o.Limit < 0:
		return fmt.Errorf("vkcnn: TrainOptions.Limit %d: 0 (all) or more", o.Limit)
	}
	return nil
}

// reporter passes train.Run's progress to Train's callback, and halts the run as soon as
// it sees ctx done.
type reporter struct {
	f             func(Progress)
	ctx           context.Context
	halt          func()
	epoch, epochs int
	samples       int
}

func (r *reporter) EpochStart(epoch, epochs, samples int) {
	r.epoch, r.epochs, r.samples = epoch, epochs, samples
	r.send(0, nil)
}

func (r *reporter) Progress(done int) { r.send(done, nil) }

func (r *reporter) EpochEnd(s train.EpochStats) { r.send(r.samples, &s) }

func (r *reporter) send(done int, s *EpochStats) {
	if r.f != nil {
		r.f(Progress{Epoch: r.epoch, Epochs: r.epochs, SamplesDone: done, Samples: r.samples, Stats: s})
	}
	if r.ctx.Err() != nil {
		r.halt()
	}
}
