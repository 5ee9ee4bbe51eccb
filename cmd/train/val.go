package main

import (
	"fmt"
	"io"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/mnist"
)

// -val N holds out the last N samples of the training file as a validation set: the
// engine evaluates it after every epoch (where it would evaluate the test set), so that
// choices made by watching the curves do not see the test set, which is evaluated once,
// after the last epoch. The training set is then the first total − N samples, of which
// -limit keeps the first -limit; the validation set does not depend on -limit.

// holdOut splits the training file into the training and validation sets for -val, and
// returns the set to evaluate after each epoch: the validation set, or without -val the
// test set.
func (c *config) holdOut(trainSet, testSet *mnist.Dataset) (trainPart, evalSet *mnist.Dataset, err error) {
	if c.val == 0 {
		return trainSet, testSet, nil
	}
	if c.val >= trainSet.N {
		return nil, nil, fmt.Errorf("-val %d: the training set in %s has only %d samples, and training needs at least one", c.val, showPath(c.data), trainSet.N)
	}
	n := trainSet.N - c.val
	hw := trainSet.H * trainSet.W
	val := &mnist.Dataset{Images: trainSet.Images[n*hw:], Labels: trainSet.Labels[n:], N: c.val, H: trainSet.H, W: trainSet.W}
	return trainSet.Head(n), val, nil
}

// evalName is what the evaluation after each epoch measures: "val" with -val, else "test".
func (c *config) evalName() string {
	if c.val > 0 {
		return "val"
	}
	return "test"
}

// finalTest evaluates the test set once with the trained engine's parameters, on the CPU
// engine (the reference both engines are tested against), prints its line and hands it to
// -metrics and -plot (o may be nil).
func finalTest(trained engine.Engine, testSet *mnist.Dataset, stdout io.Writer, o *curveOutputs) (engine.EvalResult, error) {
	p, err := trained.Params()
	if err != nil {
		return engine.EvalResult{}, fmt.Errorf("reading the trained parameters: %w", err)
	}
	ds := (*engine.Dataset)(testSet)
	e, err := cpu.New(engine.Config{Arch: trained.Config().Arch, Batch: 1, Train: ds, Test: ds})
	if err != nil {
		return engine.EvalResult{}, err
	}
	defer e.Close()
	if err := e.SetParams(p); err != nil {
		return engine.EvalResult{}, err
	}
	ev, err := e.Evaluate()
	if err != nil {
		return ev, fmt.Errorf("evaluating the test set: %w", err)
	}
	fmt.Fprintf(stdout, "test (once, after training): loss %.4f  acc %.2f%% on %d samples\n", ev.Loss, 100*float64(ev.Correct)/float64(ev.N), ev.N)
	if o != nil {
		o.finalTest(ev)
	}
	return ev, nil
}

// valCount is "N val / " for the run's first line with -val, else "".
func (c *config) valCount() string {
	if c.val == 0 {
		return ""
	}
	return fmt.Sprintf("%d val / ", c.val)
}

// valNote is what -limit's error adds with -val: where the missing samples went.
func (c *config) valNote() string {
	if c.val == 0 {
		return ""
	}
	return fmt.Sprintf(" once -val %d holds out its last %d", c.val, c.val)
}
