package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/mnist"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// result is the JSON line of -json.
type result struct {
	TestAcc          float64   `json:"test_acc"`
	TestLoss         float64   `json:"test_loss"`
	TrainLoss        float64   `json:"train_loss"`
	Epochs           int       `json:"epochs"`
	EpochSeconds     []float64 `json:"epoch_seconds"`
	SamplesPerSecond float64   `json:"samples_per_second"`
	Engine           string    `json:"engine"`
	Device           string    `json:"device"`
	Arch             string    `json:"arch"`
	Spec             string    `json:"spec"`
	Params           int       `json:"params"`
	Batch            int       `json:"batch"`
	LR0              float64   `json:"lr0"`
	LR1              float64   `json:"lr1"`
	Momentum         float64   `json:"momentum"`
	Seed             uint64    `json:"seed"`
	TrainSamples     int       `json:"train_samples"`
	TestSamples      int       `json:"test_samples"`
	ValSamples       int       `json:"val_samples,omitempty"` // with -val: per_epoch's test_* are the validation set's
	// Fingerprint is the final weights' train.Fingerprint; ResumedFrom the checkpoint a
	// -resume run continued; VerifiedSteps and VerifySeconds what -verify-every checked.
	Fingerprint   string  `json:"fingerprint"`
	ResumedFrom   string  `json:"resumed_from,omitempty"`
	VerifiedSteps int     `json:"verified_steps,omitempty"`
	VerifySeconds float64 `json:"verify_seconds,omitempty"`
	// ShaderOverrides are the shaders run from VKCNN_SHADER_DIR's files: name → file.
	ShaderOverrides map[string]string `json:"shader_overrides,omitempty"`
	// Report is the trained network's evaluation report on the test set (as `train eval`).
	Report   *evalReport        `json:"report,omitempty"`
	PerEpoch []train.EpochStats `json:"per_epoch"`
}

func (c *config) train(stdout, stderr io.Writer) error {
	target, saveFunc, unlock, err := c.lockSave()
	if err != nil {
		return err
	}
	defer unlock()
	stop, caught, release := catchStop(target, c.save, stderr, os.Exit)
	defer release()
	trainSet, testSet, err := mnist.Load(c.data)
	if err != nil {
		return err
	}
	var rs *resumed
	if c.resume != "" { // before the training set is cut: -limit and -val are the run's
		if rs, err = c.loadResume(model.Shape{C: 1, H: trainSet.H, W: trainSet.W}); err != nil {
			return err
		}
	}
	trainSet, evalSet, err := c.holdOut(trainSet, testSet)
	if err != nil {
		return err
	}
	if c.limit > trainSet.N {
		return fmt.Errorf("-limit %d: the training set in %s has only %d samples%s", c.limit, showPath(c.data), trainSet.N, c.valNote())
	}
	if c.limit > 0 {
		trainSet = trainSet.Head(c.limit)
	}
	if _, err := train.TotalSteps(trainSet.N, c.batch, c.epochs); err != nil {
		return fmt.Errorf("-epochs %d: %w", c.epochs, err)
	}
	if err := c.checkResumedSet(rs, trainSet.N); err != nil {
		return err
	}
	var arch *model.Arch
	var params *model.Params
	if rs != nil {
		arch, params = rs.arch, rs.params
	} else if arch, params, err = c.model(model.Shape{C: 1, H: trainSet.H, W: trainSet.W}); err != nil {
		return err
	}
	ecfg := engine.Config{Arch: arch, Batch: c.batch, Momentum: float32(c.momentum), Seed: uint32(c.seed) ^ uint32(c.seed>>32),
		Train: (*engine.Dataset)(trainSet), Test: (*engine.Dataset)(evalSet)}
	if err := arch.CheckBatch(ecfg.StepSamples()); err != nil {
		return fmt.Errorf("-batch %d: %w", c.batch, err)
	}
	eng, err := c.openEngine(ecfg, stderr)
	if err != nil {
		return err
	}
	defer eng.Close()
	shaderFiles := noteShaderOverrides(eng, stderr)
	if err := eng.SetParams(params); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "vkcnn: %s (%d params) on %s: %s; %d train / %s%d test samples; batch %d, lr %g→%g, momentum %g\n",
		arch.Name, arch.NumParams(), eng.Name(), eng.Device(), trainSet.N, c.valCount(), testSet.N, c.batch, c.lr0, c.lr1, c.momentum)
	if err := stdoutFailed(stdout); err != nil {
		return err // the results could not be delivered: do not train for nothing
	}
	if c.profile {
		if err := printProfile(eng, c.batch, stdout); err != nil {
			return err
		}
	}
	opts := train.Options{
		Epochs: c.epochs, LR0: c.lr0, LR1: c.lr1, Seed: c.seed,
		Shuffle: !c.noShuffle, Save: c.save, SaveFunc: saveFunc, Stop: stop,
	}
	if afterSave != nil && saveFunc != nil {
		opts.SaveFunc = func(path string, a *model.Arch, p *model.Params, s *train.State) error {
			err := saveFunc(path, a, p, s)
			if err == nil {
				afterSave(stop)
			}
			return err
		}
	}
	if rs != nil {
		opts.Resume = rs.state
		fmt.Fprintf(stdout, "resuming %s: %s\n", showPath(c.resume), position(rs.state))
	}
	if c.verifyEvery > 0 {
		if opts.Verify, err = c.verifier(eng, ecfg); err != nil {
			return err
		}
		defer opts.Verify.Ref.Close()
	}
	rep := newReporter(stdout)
	rep.evalName = c.evalName()
	if rep.curves, err = c.openCurves(arch, eng, trainSet.N, evalSet.N); err != nil {
		return err
	}
	stats, ev, err := train.Run(eng, opts, rep)
	if err == nil && c.val > 0 {
		ev, err = finalTest(eng, testSet, stdout, rep.curves)
	}
	if err != nil {
		rep.curves.drawUnfinished()
	}
	if cerr := rep.curves.close(); err == nil {
		err = cerr
	}
	if err != nil {
		rep.abort()
		return c.stopped(err, caught())
	}
	fingerprint := ""
	if len(stats) > 0 {
		fingerprint = stats[len(stats)-1].Fingerprint
	} else if p, err := eng.Params(); err == nil {
		fingerprint = train.Fingerprint(p)
	}
	verified, verifySecs := printVerifyCost(c.verifyEvery, stats, stdout)
	var report *evalReport
	if c.epochs > 0 && arch.Input == model.MNISTInput && arch.Classes == mnist.Classes { // what the report's model takes
		if report, err = trainedReport(eng, arch, testSet, c.data); err != nil {
			return err
		}
		report.print(stdout)
	}
	if c.epochs == 0 {
		fmt.Fprintf(stdout, "%s loss %.4f  %s acc %.2f%%\n", c.evalName(), ev.Loss, c.evalName(), 100*float64(ev.Correct)/float64(ev.N))
	}
	if !c.json {
		return nil
	}
	r := result{
		TestAcc: float64(ev.Correct) / float64(ev.N), TestLoss: ev.Loss, Epochs: c.epochs,
		EpochSeconds: []float64{}, Engine: eng.Name(), Device: eng.Device(), Arch: arch.Name,
		Spec: arch.Spec, Params: arch.NumParams(), Batch: c.batch, LR0: c.lr0, LR1: c.lr1,
		Momentum: c.momentum, Seed: c.seed, TrainSamples: trainSet.N, TestSamples: testSet.N,
		ValSamples: c.val, PerEpoch: stats, Fingerprint: fingerprint, ResumedFrom: c.resume,
		VerifiedSteps: verified, VerifySeconds: verifySecs, Report: report, ShaderOverrides: shaderFiles,
	}
	secs := 0.0
	for _, s := range stats {
		r.EpochSeconds = append(r.EpochSeconds, s.Seconds)
		secs += s.Seconds
	}
	if len(stats) > 0 {
		r.TrainLoss = stats[len(stats)-1].TrainLoss
		r.SamplesPerSecond = float64(len(stats)*trainSet.N) / secs
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	return nil
}

// model returns the arch for images of shape in and the starting parameters: a fresh init
// from -seed, or -init's checkpoint, read through one open file, for -arch when given and
// else for the arch in its metadata.
func (c *config) model(in model.Shape) (*model.Arch, *model.Params, error) {
	var arch *model.Arch
	if c.init == "" || c.archSet {
		a, err := model.Build(c.arch, in, mnist.Classes)
		if err != nil {
			return nil, nil, fmt.Errorf("-arch: %w", err)
		}
		if c.init == "" {
			return a, a.InitParams(c.seed), nil
		}
		arch = a
	}
	r, err := checkpoint.Open(c.init)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	if arch == nil {
		if arch, err = r.Arch(in, mnist.Classes); err != nil {
			return nil, nil, initArchError(c.init, err)
		}
	}
	p, err := r.Load(arch)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range p.Tensors {
		for j, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, fmt.Errorf("-init %s: %s[%d] is %v; training needs finite weights", showPath(c.init), t.Name, j, v)
			}
		}
	}
	return arch, p, nil
}
