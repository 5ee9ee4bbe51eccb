package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// The lines of -metrics FILE.jsonl, one JSON object each, told apart by "kind":
//
//	{"kind":"run", "arch", "spec", "params", "engine", "device", "batch", "lr0", "lr1",
//	 "momentum", "seed", "epochs", "train_samples", "test_samples", "steps_per_epoch"}
//	{"kind":"step", "epoch", "step", "steps", "loss", "lr"}   (with -metrics-every N)
//	{"kind":"epoch", and train.EpochStats's fields: "epoch", "train_loss", "train_acc",
//	 "test_loss", "test_acc", "seconds", "samples_per_second", "last_lr"; and "eval_set"}
//	{"kind":"test", "test_loss", "test_acc", "n"}   (with -val: the test set, once, at the end)
//
// "eval_set" names what an epoch line's test_loss and test_acc measured: "test", or "val"
// (the held-out validation set of -val). With -val the run line's test_samples is the
// validation set's size.
//
// A step line covers the N steps of an epoch that end at global step "step" (1-based,
// counted over the whole run): "loss" is the mean of their mean batch losses (each computed
// before its step's update), "lr" the rate of the last of them, "steps" how many there were
// (N, or fewer for an epoch's last line: windows do not span epochs). Losses are in nats,
// accuracies in 0..1.
// The engines hand over an epoch's step losses at its end (the GPU runs a whole epoch
// without the host), so the step lines of an epoch are written just before its epoch line.
// Every line is written to the file as soon as it is known (no buffering).

type metricsRun struct {
	Kind          string  `json:"kind"`
	Arch          string  `json:"arch"`
	Spec          string  `json:"spec"`
	Params        int     `json:"params"`
	Engine        string  `json:"engine"`
	Device        string  `json:"device"`
	Batch         int     `json:"batch"`
	LR0           float64 `json:"lr0"`
	LR1           float64 `json:"lr1"`
	Momentum      float64 `json:"momentum"`
	Seed          uint64  `json:"seed"`
	Epochs        int     `json:"epochs"`
	TrainSamples  int     `json:"train_samples"`
	TestSamples   int     `json:"test_samples"`
	StepsPerEpoch int     `json:"steps_per_epoch"`
}

type metricsStep struct {
	Kind  string  `json:"kind"`
	Epoch int     `json:"epoch"`
	Step  int     `json:"step"`
	Steps int     `json:"steps"`
	Loss  float64 `json:"loss"`
	LR    float64 `json:"lr"`
}

type metricsEpoch struct {
	Kind string `json:"kind"`
	train.EpochStats
	EvalSet string `json:"eval_set"`
}

type metricsTest struct {
	Kind     string  `json:"kind"`
	TestLoss float64 `json:"test_loss"`
	TestAcc  float64 `json:"test_acc"`
	N        int     `json:"n"`
}

// curveOutputs is what a run writes besides stdout: the -metrics stream and the -plot
// PNG, each optional. Its first write error is kept and reported by close.
type curveOutputs struct {
	metrics, plotPath string
	f                 *os.File
	every             int
	// the open window of step lines: its loss sum, its steps, the last step's epoch and lr
	winSum   float64
	winN     int
	winEpoch int
	winLR    float32
	lastStep int
	plot     *curves
	evalSet  string // "test" or "val"
	err      error
}

// openCurves opens -metrics (created or truncated) and writes its run line, and prepares
// -plot; it does nothing when neither is asked for.
func (c *config) openCurves(a *model.Arch, e engine.Engine, trainN, testN int) (*curveOutputs, error) {
	if c.metrics == "" && c.plot == "" {
		return nil, nil
	}
	steps := engine.Steps(trainN, c.batch)
	o := &curveOutputs{metrics: c.metrics, plotPath: c.plot, every: c.metricsEvery, evalSet: c.evalName()}
	if c.plot != "" {
		o.plot = &curves{
			title: fmt.Sprintf("%s (%d params), %s engine: batch %d, lr %g→%g, momentum %g, seed %d",
				a.Name, a.NumParams(), e.Name(), c.batch, c.lr0, c.lr1, c.momentum, c.seed),
			stepsPerEpoch: steps, testName: map[string]string{"test": "test", "val": "validation"}[c.evalName()],
		}
	}
	if c.metrics == "" {
		return o, nil
	}
	f, err := os.OpenFile(c.metrics, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("-metrics %s: %w", showPath(c.metrics), pathlessError(err))
	}
	o.f = f
	o.line(metricsRun{Kind: "run", Arch: a.Name, Spec: a.Spec, Params: a.NumParams(), Engine: e.Name(),
		Device: e.Device(), Batch: c.batch, LR0: c.lr0, LR1: c.lr1, Momentum: c.momentum, Seed: c.seed,
		Epochs: c.epochs, TrainSamples: trainN, TestSamples: testN, StepsPerEpoch: steps})
	if o.err != nil {
		f.Close()
		return nil, o.err
	}
	return o, nil
}

// line writes v as one JSON line to -metrics, keeping the first error.
func (o *curveOutputs) line(v any) {
	if o.f == nil || o.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		_, err = o.f.Write(append(b, '\n'))
	}
	if err != nil {
		o.err = fmt.Errorf("-metrics %s: %w", showPath(o.metrics), pathlessError(err))
	}
}

// steps takes an epoch's step losses and rates (train.StepReporter).
func (o *curveOutputs) steps(epoch, first int, loss, lr []float32) {
	if o.plot != nil {
		o.plot.stepLoss = append(o.plot.stepLoss, loss...)
	}
	if o.every < 1 {
		return
	}
	for s, l := range loss {
		o.winSum += float64(l)
		o.winN++
		o.winEpoch, o.winLR, o.lastStep = epoch, lr[s], first+s+1
		if o.winN == o.every {
			o.flushWindow()
		}
	}
	o.flushWindow() // windows do not span epochs
}

// flushWindow writes the open window of steps as a step line.
func (o *curveOutputs) flushWindow() {
	if o.winN == 0 {
		return
	}
	o.line(metricsStep{Kind: "step", Epoch: o.winEpoch, Step: o.lastStep, Steps: o.winN,
		Loss: o.winSum / float64(o.winN), LR: float64(o.winLR)})
	o.winSum, o.winN = 0, 0
}

// epochEnd writes the epoch line and redraws the plot, so both are current after every
// epoch, also of a run that stops later.
func (o *curveOutputs) epochEnd(s train.EpochStats) {
	o.line(metricsEpoch{Kind: "epoch", EpochStats: s, EvalSet: o.evalSet})
	if o.plot == nil {
		return
	}
	p := o.plot
	p.epochs = append(p.epochs, float64(s.Epoch))
	p.trainLoss = append(p.trainLoss, s.TrainLoss)
	p.testLoss = append(p.testLoss, s.TestLoss)
	p.trainAcc = append(p.trainAcc, s.TrainAcc)
	p.testAcc = append(p.testAcc, s.TestAcc)
	o.drawPlot()
}

// finalTest writes -val's one test evaluation and adds it to the plot.
func (o *curveOutputs) finalTest(ev engine.EvalResult) {
	acc := float64(ev.Correct) / float64(ev.N)
	o.line(metricsTest{Kind: "test", TestLoss: ev.Loss, TestAcc: acc, N: ev.N})
	if o.plot != nil && len(o.plot.epochs) > 0 {
		o.plot.finalTestAcc = []float64{acc}
		o.drawPlot()
	}
}

// drawUnfinished redraws -plot's PNG with the steps of an epoch that did not end (the run
// diverged or was stopped within it), so that the curve up to a divergence is on the plot
// as in -metrics (a redraw of what is drawn already at worst); nothing without -plot or
// without steps.
func (o *curveOutputs) drawUnfinished() {
	if o == nil || o.plot == nil || len(o.plot.stepLoss) == 0 {
		return
	}
	o.drawPlot()
}

// drawPlot writes -plot's PNG, keeping the first error.
func (o *curveOutputs) drawPlot() {
	if o.err != nil {
		return
	}
	b, err := o.plot.png()
	if err == nil {
		err = writeAtomic(o.plotPath, b)
	}
	if err != nil {
		o.err = fmt.Errorf("-plot %s: %w", showPath(o.plotPath), err)
	}
}

// close closes -metrics and returns the first error of any write.
func (o *curveOutputs) close() error {
	if o == nil {
		return nil
	}
	if o.f != nil {
		if err := o.f.Close(); err != nil && o.err == nil {
			o.err = fmt.Errorf("-metrics %s: %w", showPath(o.metrics), pathlessError(err))
		}
		o.f = nil
	}
	return o.err
}

// checkCurveFlags refuses, at flag time, -metrics-every without -metrics or below 1,
// -metrics or -plot paths that could not be written, and outputs that would overwrite an
// input or each other (checkOutputsSpareInputs).
func (c *config) checkCurveFlags() error {
	switch {
	case c.metricsEvery < 0:
		return fmt.Errorf("-metrics-every %d: must be 1 or more (0: epoch lines only)", c.metricsEvery)
	case c.metricsEvery > 0 && c.metrics == "":
		return fmt.Errorf("-metrics-every %d: needs -metrics FILE to write the step lines to", c.metricsEvery)
	}
	if c.metrics != "" {
		if err := checkMetricsPath(c.metrics); err != nil {
			return fmt.Errorf("-metrics %s: %w", showPath(c.metrics), err)
		}
	}
	if c.plot != "" {
		if err := checkPNGPath(c.plot); err != nil {
			return fmt.Errorf("-plot %s: %w", showPath(c.plot), err)
		}
	}
	if c.metrics != "" && c.plot != "" && c.metrics == c.plot {
		return fmt.Errorf("-metrics and -plot: both are %s", showPath(c.plot))
	}
	return c.checkOutputsSpareInputs()
}

// checkMetricsPath refuses a path that is not a regular file or cannot be opened for
// writing: an existing file is opened without truncating it, a new one is created and
// removed again.
func checkMetricsPath(path string) error {
	if err := checkOutputFile(path); err != nil {
		return err
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o666)
	if err != nil {
		return pathlessError(err)
	}
	f.Close()
	if os.IsNotExist(statErr) {
		return os.Remove(path)
	}
	return nil
}

// Steps makes the reporter a train.StepReporter when it has curves to feed.
func (r *reporter) Steps(epoch, first int, loss, lr []float32) {
	if r.curves != nil {
		r.curves.steps(epoch, first, loss, lr)
	}
}
