package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vkcnn/vkcnn/model"
)

// The original study's networks, in its order.
var studyPresets = []string{"lenet-6-12", "lenet-12-16", "lenet-16-32", "conv3-6-12-16", "conv3-16-32-32", "lenet-6-12-dropout"}

// studyAccuracy is the test accuracy the original study reports, where this project knows it
// (lenet-6-12: about 98.2% after 5 epochs of its recipe). The others are not known here and
// are shown as "—", not guessed.
var studyAccuracy = map[string]float64{"lenet-6-12": 0.982}

// studyEpochs is the study's training length, the default of -epochs.
const studyEpochs = 5

// recipe is an optimiser setting of the comparison.
type recipe struct {
	name          string // study, default or repeat
	batch         int
	lr0, lr1, mom float64
}

// The two recipes: the study's per-sample SGD and this project's default.
var (
	studyRecipe = recipe{name: "study", batch: 1, lr0: 0.03, lr1: 0.001}
	// defaultRepeatLR is the repeated-training experiment's constant rate. The study does
	// not give it; at its recipe's starting rate, 0.03, held for 13 epochs, lenet-6-12 falls
	// to chance (10%) after 11 epochs and with dropout after 4 (measured, seed 1), where
	// the study saw a steady ≈97.6–98.0%; at 0.01 it stays at 97.6–98.6%.
	defaultRepeatLR = 0.01
	defaultRecipe   = recipe{name: "default", batch: defaultBatch, lr0: defaultLR0, lr1: defaultLR1, mom: defaultMomentum}
)

func (r recipe) flags() string {
	return fmt.Sprintf("-batch %d -lr0 %g -lr1 %g -momentum %g", r.batch, r.lr0, r.lr1, r.mom)
}

// compareConfig is the parsed command line of `train compare`.
type compareConfig struct {
	data, device, out string
	gpu               int
	seeds, epochs     int
	limit             int
	presets           []string
	repeatEpochs      int
	repeatLR          float64
	args              []string // as given, for the report
}

// runCompare is `train compare`: every preset of the study with the study's recipe and the
// default one over -seeds seeds, then the repeated-training experiment (lenet-6-12 with and
// without dropout, -repeat-epochs epochs at the constant rate -repeat-lr), written to
// -out/compare.md and -out/dropout.png. Exit status as run's: 2 for a bad flag, 1 for a
// failed run.
func runCompare(args []string, stdout, stderr io.Writer) int {
	c, err := parseCompareFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "train compare:", singleLine(err.Error()))
		return 2
	}
	out := &checkedWriter{w: stdout}
	err = c.run(out, stderr)
	if err == nil {
		err = out.failed()
	}
	if err != nil {
		fmt.Fprintln(stderr, "train compare:", singleLine(err.Error()))
		return 1
	}
	return 0
}

func parseCompareFlags(args []string, stderr io.Writer) (*compareConfig, error) {
	c := &compareConfig{args: args}
	var presets string
	fs := flag.NewFlagSet("train compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.data, "data", "data/mnist", "folder with the four MNIST IDX files")
	fs.StringVar(&c.device, "device", "auto", "auto, cpu or gpu, for every run")
	fs.IntVar(&c.gpu, "gpu", -1, "Vulkan device index (default: $VKCNN_GPU, else the best device)")
	fs.IntVar(&c.seeds, "seeds", 3, "seeds per preset and recipe (1, 2, …)")
	fs.IntVar(&c.epochs, "epochs", studyEpochs, "epochs of each comparison run (the study's: 5)")
	fs.IntVar(&c.limit, "limit", 0, "train on the first N samples only (0 = all; for a quick look)")
	fs.StringVar(&presets, "presets", strings.Join(studyPresets, ","), "comma-separated presets or layer strings")
	fs.IntVar(&c.repeatEpochs, "repeat-epochs", 13, "epochs of the repeated-training experiment (0: skip it)")
	fs.Float64Var(&c.repeatLR, "repeat-lr", defaultRepeatLR, "its constant learning rate (per-sample SGD)")
	fs.StringVar(&c.out, "out", "out", "folder for compare.md, compare-runs.jsonl and dropout.png")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: train compare [flags]  (see README.md)")
			fs.PrintDefaults()
			return nil, err
		}
		return nil, errors.New(firstLine(err.Error()))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	for _, p := range strings.Split(presets, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.presets = append(c.presets, p)
		}
	}
	return c, c.check()
}

func (c *compareConfig) check() error {
	switch {
	case c.device != "auto" && c.device != "cpu" && c.device != "gpu":
		return fmt.Errorf("-device %q: want auto, cpu or gpu", c.device)
	case c.seeds < 1:
		return fmt.Errorf("-seeds %d: must be at least 1", c.seeds)
	case c.epochs < 1:
		return fmt.Errorf("-epochs %d: must be at least 1", c.epochs)
	case c.limit < 0:
		return fmt.Errorf("-limit %d: must be 0 (all) or more", c.limit)
	case len(c.presets) == 0:
		return errors.New("-presets: none given")
	case c.repeatEpochs < 0:
		return fmt.Errorf("-repeat-epochs %d: must be 0 (skip) or more", c.repeatEpochs)
	}
	if err := checkLR("-repeat-lr", c.repeatLR); err != nil {
		return err
	}
	for _, p := range c.presets {
		if _, err := model.Build(p, model.Shape{C: 1, H: 28, W: 28}, 10); err != nil {
			return fmt.Errorf("-presets: %w", err)
		}
	}
	if err := os.MkdirAll(c.out, 0o777); err != nil {
		return fmt.Errorf("-out %s: %w", showPath(c.out), pathlessError(err))
	}
	for _, name := range []string{"compare.md", "compare-runs.jsonl", "dropout.png"} {
		if err := checkAtomicPath(filepath.Join(c.out, name)); err != nil {
			return fmt.Errorf("-out %s: %s: %w", showPath(c.out), name, err)
		}
	}
	return nil
}

// runResult is what the comparison keeps of one training run: its -json line and wall time.
type runResult struct {
	result
	Wall float64
}

// trainOnce runs the training command in this process with args and -json, shows its epoch
// lines indented on stdout, and returns its result; a failed run's one-line error is
// returned, named by what.
func (c *compareConfig) trainOnce(what string, args []string, stdout, stderr io.Writer) (*runResult, error) {
	args = append([]string{"-data", c.data, "-device", c.device, "-json"}, args...)
	if c.gpu >= 0 {
		args = append(args, "-gpu", strconv.Itoa(c.gpu))
	}
	if c.limit > 0 {
		args = append(args, "-limit", strconv.Itoa(c.limit))
	}
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(args, &out, &errOut)
	wall := time.Since(start).Seconds()
	msg := strings.TrimSpace(strings.TrimPrefix(errOut.String(), "train: "))
	if code != 0 {
		return nil, fmt.Errorf("%s: %s", what, msg)
	}
	if msg != "" { // e.g. auto's fallback to the CPU: said once, as later runs then use the CPU
		fmt.Fprintln(stderr, "train compare:", msg)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, "epoch ") && strings.Contains(l, "train loss") {
			fmt.Fprintln(stdout, "   ", l)
		}
	}
	r := &runResult{Wall: wall}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r.result); err != nil {
		return nil, fmt.Errorf("%s: reading its -json line: %w", what, err)
	}
	if c.device == "auto" && r.Engine == "cpu" {
		c.device = "cpu"
	}
	return r, nil
}

// cell is the runs of one preset with one recipe.
type cell struct {
	preset string
	recipe recipe
	runs   []*runResult
}

// run trains everything and writes the report; compare.md is rewritten after every run, so
// a long comparison shows its progress and keeps what it measured when stopped.
func (c *compareConfig) run(stdout, stderr io.Writer) error {
	start := time.Now()
	rep := &compareReport{c: c, start: start}
	total := len(c.presets)*2*c.seeds + 2*c.seeds*min(c.repeatEpochs, 1)
	n := 0
	for _, p := range c.presets {
		for _, rc := range []recipe{studyRecipe, defaultRecipe} {
			cl := &cell{preset: p, recipe: rc}
			rep.cells = append(rep.cells, cl)
			for s := 1; s <= c.seeds; s++ {
				n++
				what := fmt.Sprintf("%s, %s recipe, seed %d", p, rc.name, s)
				fmt.Fprintf(stdout, "[%d/%d] %s (%s)\n", n, total, what, rc.flags())
				r, err := c.trainOnce(what, []string{"-arch", p, "-epochs", strconv.Itoa(c.epochs), "-seed", strconv.Itoa(s),
					"-batch", strconv.Itoa(rc.batch), "-lr0", fmt.Sprint(rc.lr0), "-lr1", fmt.Sprint(rc.lr1), "-momentum", fmt.Sprint(rc.mom)}, stdout, stderr)
				if err != nil {
					return err
				}
				cl.runs = append(cl.runs, r)
				fmt.Fprintf(stdout, "    test accuracy %.2f%%, %.1f s of training (%s)\n", 100*r.TestAcc, sum(r.EpochSeconds), r.Engine)
				if err := rep.write(); err != nil {
					return err
				}
			}
		}
	}
	if c.repeatEpochs > 0 {
		for _, p := range []string{"lenet-6-12", "lenet-6-12-dropout"} {
			cl := &cell{preset: p, recipe: recipe{name: "repeat", batch: 1, lr0: c.repeatLR, lr1: c.repeatLR}}
			rep.repeat = append(rep.repeat, cl)
			for s := 1; s <= c.seeds; s++ {
				n++
				what := fmt.Sprintf("%s, %d epochs at lr %g, seed %d", p, c.repeatEpochs, c.repeatLR, s)
				fmt.Fprintf(stdout, "[%d/%d] %s (%s)\n", n, total, what, cl.recipe.flags())
				r, err := c.trainOnce(what, []string{"-arch", p, "-epochs", strconv.Itoa(c.repeatEpochs), "-seed", strconv.Itoa(s),
					"-batch", "1", "-lr0", fmt.Sprint(c.repeatLR), "-lr1", fmt.Sprint(c.repeatLR), "-momentum", "0"}, stdout, stderr)
				if err != nil {
					return err
				}
				cl.runs = append(cl.runs, r)
				if err := rep.write(); err != nil {
					return err
				}
			}
		}
		if err := rep.writePlot(); err != nil {
			return err
		}
	}
	rep.done = true
	if err := rep.write(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s in %s\n", filepath.Join(c.out, "compare.md"), time.Since(start).Round(time.Second))
	return nil
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
