package train

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// Options describe a training run. The network, the batch and the training set are the
// engine's (engine.Engine.Config), not options of the run.
type Options struct {
	Epochs  int
	LR0     float64
	LR1     float64
	Seed    uint64
	Shuffle bool
	// Save, when not empty, is the checkpoint written (atomically) after every epoch, and
	// when the run stops, by SaveFunc, which must then be set. s is the run's state there.
	Save     string
	SaveFunc func(path string, a *model.Arch, p *model.Params, s *State) error
	// Resume, when not nil, continues the run it records (its settings must be this run's;
	// the engine holds its weights already, SetParams done): Run restores the momentum
	// buffers and goes on at its position, as if the run had never stopped.
	Resume *State
	// Stop, when closed, stops the run at the next step boundary the engine reaches (see
	// engine.Epoch.Stop): its state is saved (with Save) and Run returns a *StoppedError.
	Stop <-chan struct{}
	// Verify, when not nil, re-runs some steps on a second engine and compares (Verify).
	Verify *Verify
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
	// Fingerprint is the weights' Fingerprint after the epoch.
	Fingerprint string `json:"fingerprint"`
	// VerifiedSteps and VerifySeconds are the steps Verify checked in the epoch and the
	// time that took (within Seconds).
	VerifiedSteps int     `json:"verified_steps,omitempty"`
	VerifySeconds float64 `json:"verify_seconds,omitempty"`
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
// An epoch that ends early is reported up to where it ended: stopped (Options.Stop), or
// diverged (with the finite losses before a NaN or infinite one), so that the curve of a
// diverged run shows how it came to that. In an epoch that a resumed run starts in its
// middle, they cover the steps from where it resumed.
type StepReporter interface {
	Steps(epoch, firstStep int, loss, lr []float32)
}

// Run trains for opts.Epochs epochs over the engine's training set in its batches,
// evaluating after each, and returns the stats of every epoch and the final evaluation.
// With Epochs = 0 it only evaluates.
//
// It stops with a *DivergedError, before saving the epoch, when a step loss is NaN or
// infinite, when an epoch's mean loss is over ExplodedLimit, or the mean of its last
// DivergeWindow steps at one of the checks within it (every tenth of that window, or for a
// Chunked engine every window rounded up to whole chunks), or when a parameter is no
// longer finite; with a *StoppedError when opts.Stop is closed. After a resume in the
// middle of an epoch, the window fills again from the step it resumed at.
func Run(e engine.Engine, opts Options, r Reporter) ([]EpochStats, engine.EvalResult, error) {
	cfg := e.Config()
	if cfg.Train == nil || cfg.Train.N < 1 || cfg.Batch < 1 {
		return nil, engine.EvalResult{}, errors.New("need at least one sample and a batch of at least 1")
	}
	if opts.Save != "" && opts.SaveFunc == nil {
		return nil, engine.EvalResult{}, fmt.Errorf("checkpoint %s: no SaveFunc to write it", opts.Save)
	}
	samples, batch := cfg.Train.N, cfg.Batch
	total, err := TotalSteps(samples, batch, opts.Epochs)
	if err != nil {
		return nil, engine.EvalResult{}, err
	}
	rn := &runner{e: e, opts: opts, r: r, cfg: cfg, perEpoch: engine.Steps(samples, batch), total: total}
	rn.st = State{Epochs: opts.Epochs, TotalSteps: total, LR0: opts.LR0, LR1: opts.LR1, Momentum: float64(cfg.Momentum),
		Batch: batch, Samples: samples, Seed: opts.Seed, Shuffle: opts.Shuffle}
	if opts.Resume != nil {
		if err := rn.resume(opts.Resume); err != nil {
			return nil, engine.EvalResult{}, err
		}
	}
	if opts.Verify != nil {
		if err := opts.Verify.check(e); err != nil {
			return nil, engine.EvalResult{}, err
		}
	}
	if opts.Epochs == 0 {
		ev, err := e.Evaluate()
		if err != nil {
			return nil, ev, fmt.Errorf("evaluating: %w", err)
		}
		return nil, ev, nil
	}
	return rn.run()
}

// runner is one call of Run.
type runner struct {
	e               engine.Engine
	opts            Options
	r               Reporter
	cfg             engine.Config
	perEpoch, total int
	st              State // the run's settings, and its position once an epoch ends or stops
	saved           string
}

// resume checks that s is this run's state and restores its momentum.
func (rn *runner) resume(s *State) error {
	want := rn.st
	switch {
	case s.Epochs != want.Epochs || s.TotalSteps != want.TotalSteps || s.LR0 != want.LR0 || s.LR1 != want.LR1 ||
		s.Momentum != want.Momentum || s.Batch != want.Batch || s.Samples != want.Samples ||
		s.Seed != want.Seed || s.Shuffle != want.Shuffle:
		return fmt.Errorf("resume: the state's run (%+v) is not this run's settings", settings(s))
	case s.Epoch < 0 || s.Step < 0 || s.Step >= rn.perEpoch || s.Epoch > s.Epochs || (s.Epoch == s.Epochs && s.Step > 0):
		return fmt.Errorf("resume: position epoch %d step %d is outside the run (%d epochs of %d steps)", s.Epoch, s.Step, s.Epochs, rn.perEpoch)
	case s.Momentum > 0 && s.Velocity == nil:
		return errors.New("resume: the state has no momentum buffers, and the run's momentum is not 0")
	}
	if s.Velocity != nil {
		o, ok := rn.e.(engine.OptimState)
		if !ok {
			return fmt.Errorf("resume: the %s engine cannot restore momentum buffers", rn.e.Name())
		}
		if err := o.SetMomentum(s.Velocity); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	}
	rn.st = *s
	rn.st.FirstLosses = append([]float32(nil), s.FirstLosses...)
	return nil
}

// settings is s without its position and buffers, for messages.
func settings(s *State) State {
	c := *s
	c.Epoch, c.Step, c.LossSum, c.Correct, c.Seconds, c.FirstLosses, c.Velocity = 0, 0, 0, 0, 0, nil, nil
	return c
}

func (rn *runner) run() ([]EpochStats, engine.EvalResult, error) {
	opts, st := rn.opts, &rn.st
	samples := rn.cfg.Train.N
	orders := NewOrders(opts.Seed, opts.Shuffle)
	order := make([]int32, samples)
	for range st.Epoch { // the orders of the epochs done: epoch k's is the k-th draw
		orders.Next(order)
	}
	lrs := make([]float32, rn.perEpoch)
	var stats []EpochStats
	var ev engine.EvalResult
	for ep := st.Epoch; ep < opts.Epochs; ep++ {
		if isClosed(opts.Stop) { // at an epoch boundary, saved already (or nothing new)
			return stats, ev, &StoppedError{Epoch: st.Epoch, Step: st.Step, Saved: rn.saved}
		}
		orders.Next(order)
		first := ep * rn.perEpoch
		for s := range lrs {
			lrs[s] = float32(LR(first+s, rn.total, opts.LR0, opts.LR1))
		}
		if rn.r != nil {
			rn.r.EpochStart(ep+1, opts.Epochs, samples)
		}
		from := st.Step
		losses, verified, verifySecs, err := rn.epoch(engine.Epoch{Order: order, LR: lrs, FirstStep: first})
		// The steps run are reported also when the epoch ends early, diverged or stopped:
		// the curve up to a divergence is what shows how it came.
		if sr, ok := rn.r.(StepReporter); ok && len(losses) > 0 {
			sr.Steps(ep+1, first+from, losses, lrs[from:])
		}
		if err != nil {
			return stats, engine.EvalResult{}, err
		}
		if st.Step < rn.perEpoch {
			return stats, ev, rn.stop()
		}
		var s EpochStats
		if s, ev, err = rn.endEpoch(ep, lrs[len(lrs)-1]); err != nil {
			return stats, ev, err
		}
		s.VerifiedSteps, s.VerifySeconds = verified, verifySecs
		stats = append(stats, s)
		// The epoch's line first, so that it shows even when its save fails.
		if rn.r != nil {
			rn.r.EpochEnd(s)
		}
		if err := rn.save(); err != nil {
			return stats, ev, err
		}
	}
	if len(stats) == 0 { // resumed at its end: nothing to train
		ev, err := rn.e.Evaluate()
		if err != nil {
			return nil, ev, fmt.Errorf("evaluating: %w", err)
		}
		return nil, ev, nil
	}
	return stats, ev, nil
}

// epoch runs the steps of the epoch from st.Step on, in segments that end where Verify
// checks a step or where the engine stopped, and accumulates the epoch's statistics in st;
// st.Step is where it got to. It returns the losses of the steps it ran, also with a
// *DivergedError (the finite losses before it).
func (rn *runner) epoch(ep engine.Epoch) (losses []float32, verified int, verifySecs float64, err error) {
	st, n, b := &rn.st, rn.cfg.Train.N, rn.cfg.Batch
	ep.Stop = rn.opts.Stop
	progress := func(int) {}
	if rn.r != nil {
		progress = rn.r.Progress
	}
	window := DivergeWindow(rn.perEpoch)
	every := divergeEvery(window, rn.e)
	for st.Step < rn.perEpoch {
		from, to, check := st.Step, rn.perEpoch, false
		if window > 0 { // up to the next in-epoch divergence check
			to = min(to, (from/every+1)*every)
		}
		if v := rn.opts.Verify; v != nil {
			// the next checked global step k ≥ FirstStep+from: k ≡ Every−1 (mod Every)
			k := (ep.FirstStep+from)/v.Every*v.Every + v.Every - 1
			if k-ep.FirstStep < to {
				to, check = k-ep.FirstStep, true
			}
		}
		start := time.Now()
		var res engine.EpochResult
		if to > from {
			ep.From, ep.To = from, to
			if res, err = rn.e.TrainEpoch(ep, progress); err != nil {
				return nil, 0, 0, fmt.Errorf("epoch %d: %w", st.Epoch+1, err)
			}
		}
		if len(res.StepLoss) > to-from {
			return nil, 0, 0, fmt.Errorf("epoch %d: the %s engine returned %d losses for %d steps", st.Epoch+1, rn.e.Name(), len(res.StepLoss), to-from)
		}
		stoppedEarly := len(res.StepLoss) < to-from
		if check && !stoppedEarly && !isClosed(rn.opts.Stop) {
			vstart := time.Now()
			ep.From, ep.To = to, to+1
			vres, err := rn.opts.Verify.step(rn.e, ep)
			if err != nil {
				return nil, 0, 0, err
			}
			verifySecs += time.Since(vstart).Seconds()
			verified++
			res.StepLoss = append(res.StepLoss, vres.StepLoss...)
			res.Correct += vres.Correct
		}
		st.Seconds += time.Since(start).Seconds()
		for i, l := range res.StepLoss {
			s := from + i
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				// the finite losses before it, for the step reporter
				return append(losses, res.StepLoss[:i]...), 0, 0, &DivergedError{Epoch: st.Epoch + 1, Step: ep.FirstStep + s, LR: float64(ep.LR[s]), Loss: l, Saved: rn.saved}
			}
			st.LossSum += float64(l) * float64(min(b, n-s*b))
			if ep.FirstStep+s < min(FirstSteps, rn.perEpoch) && len(st.FirstLosses) == ep.FirstStep+s {
				st.FirstLosses = append(st.FirstLosses, l)
			}
		}
		st.Correct += res.Correct
		st.Step += len(res.StepLoss)
		losses = append(losses, res.StepLoss...)
		if window > 0 && st.Step%every == 0 && st.Step < rn.perEpoch && len(losses) >= window {
			if err := rn.exploded(losses[len(losses)-window:], ep); err != nil {
				return losses, 0, 0, err
			}
		}
		if len(res.StepLoss) == 0 || isClosed(rn.opts.Stop) {
			break // stopped
		}
	}
	return losses, verified, verifySecs, nil
}

// exploded is the in-epoch divergence check: a *DivergedError when the mean of the last
// steps' losses, which end at st.Step, is over ExplodedLimit.
func (rn *runner) exploded(last []float32, ep engine.Epoch) error {
	sum := 0.0
	for _, l := range last {
		sum += float64(l)
	}
	mean, limit := sum/float64(len(last)), ExplodedLimit(rn.st.FirstLosses, rn.cfg.Arch.Classes)
	if !(mean > limit) {
		return nil
	}
	s := rn.st.Step - 1
	return &DivergedError{Epoch: rn.st.Epoch + 1, Step: ep.FirstStep + s, LR: float64(ep.LR[s]), Loss: float32(mean),
		Limit: limit, Window: len(last), Saved: rn.saved}
}

// endEpoch checks the finished epoch ep (0-based) for divergence, evaluates, and returns
// its stats; st moves to the next epoch's start.
func (rn *runner) endEpoch(ep int, lastLR float32) (EpochStats, engine.EvalResult, error) {
	st, n := &rn.st, rn.cfg.Train.N
	trainLoss := st.LossSum / float64(n)
	if limit := ExplodedLimit(st.FirstLosses, rn.cfg.Arch.Classes); trainLoss > limit {
		return EpochStats{}, engine.EvalResult{}, &DivergedError{Epoch: ep + 1, Step: (ep+1)*rn.perEpoch - 1, LR: float64(lastLR), Loss: float32(trainLoss), Limit: limit, Saved: rn.saved}
	}
	p, err := rn.e.Params()
	if err != nil {
		return EpochStats{}, engine.EvalResult{}, fmt.Errorf("reading parameters after epoch %d: %w", ep+1, err)
	}
	if name, v := nonFinite(p); name != "" {
		return EpochStats{}, engine.EvalResult{}, &DivergedError{Epoch: ep + 1, Step: (ep+1)*rn.perEpoch - 1, LR: float64(lastLR), Loss: v, Param: name, Saved: rn.saved}
	}
	ev, err := rn.e.Evaluate()
	if err != nil {
		return EpochStats{}, ev, fmt.Errorf("evaluating after epoch %d: %w", ep+1, err)
	}
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		return EpochStats{}, ev, &DivergedError{Epoch: ep + 1, Step: (ep+1)*rn.perEpoch - 1, LR: float64(lastLR), Loss: float32(ev.Loss), Saved: rn.saved}
	}
	s := EpochStats{
		Epoch:            ep + 1,
		TrainLoss:        trainLoss,
		TrainAcc:         float64(st.Correct) / float64(n),
		TestLoss:         ev.Loss,
		TestAcc:          float64(ev.Correct) / float64(ev.N),
		Seconds:          st.Seconds,
		SamplesPerSecond: float64(n) / st.Seconds,
		LastLR:           float64(lastLR),
		Fingerprint:      Fingerprint(p),
	}
	st.Epoch, st.Step, st.LossSum, st.Correct, st.Seconds = ep+1, 0, 0, 0, 0
	return s, ev, nil
}

// save writes the checkpoint of the run's current state, if the run has a path.
func (rn *runner) save() error {
	if rn.opts.Save == "" {
		return nil
	}
	p, err := rn.e.Params()
	if err != nil {
		return fmt.Errorf("reading parameters: %w", err)
	}
	s := rn.st
	s.FirstLosses = append([]float32(nil), s.FirstLosses...)
	if s.Momentum > 0 {
		o, ok := rn.e.(engine.OptimState)
		if !ok {
			return fmt.Errorf("checkpoint %s: the %s engine cannot read its momentum buffers", rn.opts.Save, rn.e.Name())
		}
		if s.Velocity, err = o.Momentum(); err != nil {
			return fmt.Errorf("reading momentum buffers: %w", err)
		}
	}
	if err := rn.opts.SaveFunc(rn.opts.Save, rn.cfg.Arch, p, &s); err != nil {
		return err
	}
	rn.saved = rn.opts.Save
	return nil
}

// stop saves the state of a stopped run and returns its *StoppedError.
func (rn *runner) stop() error {
	if err := rn.save(); err != nil {
		return err
	}
	return &StoppedError{Epoch: rn.st.Epoch, Step: rn.st.Step, Saved: rn.saved}
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
