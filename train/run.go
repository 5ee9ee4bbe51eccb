package train

import (
	"errors"
	"fmt"
	"math"
	"time"

	"vkcnn/engine"
	"vkcnn/model"
)

// Options describe a training run. The network, the batch and the training set are the
// engine's (engine.Engine.Config), not options of the run.
type Options struct {
	Epochs  int
	LR0     float64
	LR1     float64
	Seed    uint64
	Shuffle bool
	// Save, when not empty, is the checkpoint written (atomically) after every epoch, by
	// SaveFunc, which must then be set.
	Save string
	// SaveFunc writes a checkpoint; package checkpoint's Save in production.
	SaveFunc func(path string, a *model.Arch, p *model.Params) error
}

// EpochStats is what one epoch measured.
type EpochStats struct {
	Epoch            int     `json:"epoch"`
	TrainLoss        float64 `json:"train_loss"`
	TrainAcc         float64 `json:"train_acc"`
	TestLoss         float64 `json:"test_loss"`
	TestAcc          float64 `json:"test_acc"`
	Seconds          float64 `json:"seconds"`
	SamplesPerSecond float64 `json:"samples_per_second"`
	LastLR           float64 `json:"last_lr"`
}

// Reporter hears about a run's progress. Every method is called from Run's goroutine.
type Reporter interface {
	EpochStart(epoch, epochs, samples int)
	Progress(samplesDone int)
	EpochEnd(s EpochStats)
}

// StepReporter is a Reporter that also hears each step's loss: Run calls Steps once per
// epoch, after the epoch's steps and before its evaluation, with the epoch (1-based), the
// global index of its first step (0-based), and every step's mean batch loss (computed
// before that step's update) and learning rate. The slices are Run's: copy to keep them.
// Steps is not called for an epoch whose loss became NaN or infinite.
type StepReporter interface {
	Steps(epoch, firstStep int, loss, lr []float32)
}

// DivergedError reports a loss that became NaN or infinite.
type DivergedError struct {
	Epoch, Step int // Step is the global step (0-based)
	LR          float64
	Loss        float32
	Saved       string // the last good checkpoint, if any
}

func (e *DivergedError) Error() string {
	msg := fmt.Sprintf("loss became %v at step %d (epoch %d, lr %.4g); try a lower -lr0", e.Loss, e.Step, e.Epoch, e.LR)
	if e.Saved != "" {
		msg += "; " + e.Saved + " still holds the last good epoch"
	}
	return msg
}

// Run trains for opts.Epochs epochs over the engine's training set in its batches,
// evaluating after each, and returns the stats of every epoch and the final evaluation.
// With Epochs = 0 it only evaluates.
func Run(e engine.Engine, opts Options, r Reporter) ([]EpochStats, engine.EvalResult, error) {
	cfg := e.Config()
	if cfg.Train == nil || cfg.Train.N < 1 || cfg.Batch < 1 {
		return nil, engine.EvalResult{}, errors.New("need at least one sample and a batch of at least 1")
	}
	if opts.Save != "" && opts.SaveFunc == nil {
		return nil, engine.EvalResult{}, fmt.Errorf("checkpoint %s: no SaveFunc to write it", opts.Save)
	}
	samples, batch := cfg.Train.N, cfg.Batch
	stepsPerEpoch := engine.Steps(samples, batch)
	total, err := TotalSteps(samples, batch, opts.Epochs)
	if err != nil {
		return nil, engine.EvalResult{}, err
	}
	orders := NewOrders(opts.Seed, opts.Shuffle)
	order := make([]int32, samples)
	lrs := make([]float32, stepsPerEpoch)
	var stats []EpochStats
	saved := ""
	var ev engine.EvalResult
	for ep := 0; ep < opts.Epochs; ep++ {
		orders.Next(order)
		first := ep * stepsPerEpoch
		for s := range lrs {
			lrs[s] = float32(LR(first+s, total, opts.LR0, opts.LR1))
		}
		if r != nil {
			r.EpochStart(ep+1, opts.Epochs, samples)
		}
		var progress func(int)
		if r != nil {
			progress = r.Progress
		}
		start := time.Now()
		res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: lrs, FirstStep: first}, progress)
		secs := time.Since(start).Seconds()
		if err != nil {
			return stats, engine.EvalResult{}, fmt.Errorf("epoch %d: %w", ep+1, err)
		}
		lossSum := 0.0
		for s, l := range res.StepLoss {
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				return stats, engine.EvalResult{}, &DivergedError{Epoch: ep + 1, Step: first + s, LR: float64(lrs[s]), Loss: l, Saved: saved}
			}
			n := min(batch, samples-s*batch)
			lossSum += float64(l) * float64(n)
		}
		if sr, ok := r.(StepReporter); ok {
			sr.Steps(ep+1, first, res.StepLoss, lrs)
		}
		ev, err = e.Evaluate()
		if err != nil {
			return stats, ev, fmt.Errorf("evaluating after epoch %d: %w", ep+1, err)
		}
		if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
			return stats, ev, &DivergedError{Epoch: ep + 1, Step: first + stepsPerEpoch - 1, LR: float64(lrs[len(lrs)-1]), Loss: float32(ev.Loss), Saved: saved}
		}
		st := EpochStats{
			Epoch:            ep + 1,
			TrainLoss:        lossSum / float64(samples),
			TrainAcc:         float64(res.Correct) / float64(samples),
			TestLoss:         ev.Loss,
			TestAcc:          float64(ev.Correct) / float64(ev.N),
			Seconds:          secs,
			SamplesPerSecond: float64(samples) / secs,
			LastLR:           float64(lrs[len(lrs)-1]),
		}
		stats = append(stats, st)
		// The epoch's line first, so that it shows even when its save fails.
		if r != nil {
			r.EpochEnd(st)
		}
		if opts.Save != "" {
			p, err := e.Params()
			if err != nil {
				return stats, ev, fmt.Errorf("reading parameters after epoch %d: %w", ep+1, err)
			}
			if err := opts.SaveFunc(opts.Save, cfg.Arch, p); err != nil {
				return stats, ev, err
			}
			saved = opts.Save
		}
	}
	if opts.Epochs > 0 {
		return stats, ev, nil
	}
	ev, err = e.Evaluate()
	if err != nil {
		return nil, ev, fmt.Errorf("evaluating: %w", err)
	}
	return nil, ev, nil
}
