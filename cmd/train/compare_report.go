package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// compareReport is out/compare.md and out/dropout.png of a comparison, built from its runs.
type compareReport struct {
	c      *compareConfig
	start  time.Time
	cells  []*cell // preset × recipe, in order
	repeat []*cell // the repeated-training runs: without, then with dropout
	done   bool
}

// meanStd is the mean and the sample standard deviation (n − 1 in the denominator; 0 for
// one value) of x.
func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

// pct shows accuracies (0..1) as "mean ± std%" in percent with 2 decimals, or "mean%" for one.
func pct(x []float64) string {
	if len(x) == 0 {
		return "…"
	}
	m, s := meanStd(x)
	if len(x) == 1 {
		return fmt.Sprintf("%.2f%%", 100*m)
	}
	return fmt.Sprintf("%.2f ± %.2f%%", 100*m, 100*s)
}

func (cl *cell) testAcc() []float64 {
	var x []float64
	for _, r := range cl.runs {
		x = append(x, r.TestAcc)
	}
	return x
}

func (cl *cell) seconds() string {
	if len(cl.runs) == 0 {
		return "…"
	}
	var x []float64
	for _, r := range cl.runs {
		x = append(x, r.Wall)
	}
	m, _ := meanStd(x)
	return fmt.Sprintf("%.1f", m)
}

// note says how our mean with the study's recipe stands against the study's number: within
// the seeds' spread (one standard deviation) or above it, or below it by more, which is then
// named as a difference this comparison does not explain.
func (c *compareConfig) note(preset string, ours []float64) string {
	study, ok := studyAccuracy[preset]
	if !ok || len(ours) == 0 {
		return ""
	}
	m, s := meanStd(ours)
	d := 100 * (m - study)
	switch {
	case c.limit > 0 || c.epochs != studyEpochs:
		return fmt.Sprintf("%+.2f points from the study, in a setting that is not the study's (-limit or -epochs)", d)
	case len(ours) < 2:
		return fmt.Sprintf("%+.2f points from the study; one seed gives no spread to judge by", d)
	case m-study > s:
		return fmt.Sprintf("above the study by %.2f points (more than σ = %.2f)", d, 100*s)
	case m-study >= -s:
		return fmt.Sprintf("within the seeds' spread of the study (%+.2f points, σ = %.2f)", d, 100*s)
	}
	return fmt.Sprintf("**below the study by %.2f points, more than σ = %.2f**; not explained by this run", -d, 100*s)
}

// write renders compare.md, and compare-runs.jsonl (every run's -json line with its arch,
// seed, recipe, per-epoch results and "wall_seconds"), and replaces both atomically.
func (r *compareReport) write() error {
	if err := r.writeRuns(); err != nil {
		return err
	}
	c := r.c
	var b strings.Builder
	fmt.Fprintf(&b, "# The original study's comparison, rerun\n\n")
	status := fmt.Sprintf("took %s", time.Since(r.start).Round(time.Second))
	if !r.done {
		status = fmt.Sprintf("**in progress** (%s so far)", time.Since(r.start).Round(time.Second))
	}
	fmt.Fprintf(&b, "Command: `bin/train compare %s`; started %s UTC, %s.\n\n", strings.Join(c.args, " "), r.start.UTC().Format("2006-01-02 15:04"), status)
	fmt.Fprintf(&b, "Hardware: %s.\n\n", r.hardware())
	samples := "all training images"
	if c.limit > 0 {
		samples = fmt.Sprintf("the first %d training images (-limit: not the study's setting)", c.limit)
	}
	fmt.Fprintf(&b, "Test accuracy on the MNIST test set after %s on %s, mean ± sample standard deviation over seeds 1–%d. "+
		"Study's recipe: per-sample SGD, `%s`. Default recipe: `%s`. Time: wall seconds per run (data loading, training and an evaluation per epoch).\n\n",
		plural(c.epochs, "epoch"), samples, c.seeds, studyRecipe.flags(), defaultRecipe.flags())
	b.WriteString("| preset | params | study | ours, study's recipe | s/run | ours, default recipe | s/run | engine | note |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	for i := 0; i < len(r.cells); i += 2 {
		st := r.cells[i]
		df := &cell{}
		if i+1 < len(r.cells) {
			df = r.cells[i+1]
		}
		study := "—"
		if a, ok := studyAccuracy[st.preset]; ok {
			study = fmt.Sprintf("≈%.1f%%", 100*a)
		}
		params, engine := "…", "…"
		if len(st.runs) > 0 {
			params = fmt.Sprint(st.runs[0].Params)
			engine = st.runs[0].Engine
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", st.preset, params, study,
			pct(st.testAcc()), st.seconds(), pct(df.testAcc()), df.seconds(), engine, c.note(st.preset, st.testAcc()))
	}
	b.WriteString("\nEvery run's results (per epoch too): `compare-runs.jsonl` beside this file.\n")
	b.WriteString("\nThe study's accuracy is known to this project for lenet-6-12 only (≈98.2%); \"—\" marks the others, not a zero.\n")
	if len(r.repeat) > 0 {
		r.writeRepeat(&b)
	}
	return writeAtomic(filepath.Join(c.out, "compare.md"), []byte(b.String()))
}

func (r *compareReport) writeRuns() error {
	var b []byte
	for _, cl := range append(append([]*cell(nil), r.cells...), r.repeat...) {
		for _, run := range cl.runs {
			line, err := json.Marshal(struct {
				result
				Recipe      string  `json:"recipe"`
				WallSeconds float64 `json:"wall_seconds"`
			}{run.result, cl.recipe.name, run.Wall})
			if err != nil {
				return err
			}
			b = append(append(b, line...), '\n')
		}
	}
	return writeAtomic(filepath.Join(r.c.out, "compare-runs.jsonl"), b)
}

// writeRepeat adds the repeated-training table: test accuracy after each epoch, with and
// without dropout.
func (r *compareReport) writeRepeat(b *strings.Builder) {
	c := r.c
	fmt.Fprintf(b, "\n## Repeated training, with and without dropout\n\n")
	fmt.Fprintf(b, "%s of per-sample SGD at a constant rate, `-batch 1 -lr0 %g -lr1 %g -momentum 0` "+
		"(the study does not give its constant rate; -repeat-lr sets it), seeds 1–%d; "+
		"test accuracy after each epoch, mean ± sample standard deviation. Plot: `dropout.png`.\n\n",
		plural(c.repeatEpochs, "epoch"), c.repeatLR, c.repeatLR, c.seeds)
	b.WriteString("| epoch |")
	for _, cl := range r.repeat {
		fmt.Fprintf(b, " %s |", cl.preset)
	}
	b.WriteString("\n| ---: |")
	for range r.repeat {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for e := 0; e < c.repeatEpochs; e++ {
		fmt.Fprintf(b, "| %d |", e+1)
		for _, cl := range r.repeat {
			fmt.Fprintf(b, " %s |", pct(cl.epochAcc(e)))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n![test accuracy per epoch, with and without dropout](dropout.png)\n")
}

// epochAcc is the test accuracy after epoch e (0-based) of each run.
func (cl *cell) epochAcc(e int) []float64 {
	var x []float64
	for _, r := range cl.runs {
		if e < len(r.PerEpoch) {
			x = append(x, r.PerEpoch[e].TestAcc)
		}
	}
	return x
}

// writePlot draws dropout.png: test accuracy (%) after each epoch, the mean over seeds with
// error bars of one sample standard deviation when there are several seeds.
func (r *compareReport) writePlot() error {
	c := r.c
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Repeated training: per-sample SGD at constant lr %g, %s", c.repeatLR, plural(c.seeds, "seed"))
	if c.seeds > 1 {
		p.Title.Text += " (mean, bars ±1 sample std)"
	}
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "test accuracy (%)"
	p.Add(plotter.NewGrid())
	for i, cl := range r.repeat {
		var x, y []float64
		var errs plotter.YErrors
		for e := 0; e < c.repeatEpochs; e++ {
			acc := cl.epochAcc(e)
			if len(acc) == 0 {
				continue
			}
			m, s := meanStd(acc)
			x, y = append(x, float64(e+1)), append(y, m)
			errs = append(errs, struct{ Low, High float64 }{100 * s, 100 * s})
		}
		col := []color.Color{colorTrain, colorTest}[i%2]
		if err := addPoints(p, x, y, col, cl.preset, 100); err != nil {
			return err
		}
		if c.seeds > 1 && len(x) > 0 {
			xy := make(plotter.XYs, len(x))
			for j := range x {
				xy[j] = plotter.XY{X: x[j], Y: 100 * y[j]}
			}
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYer
				plotter.YErrorer
			}{xy, errs})
			if err != nil {
				return err
			}
			eb.Color = col
			p.Add(eb)
		}
	}
	p.X.Min, p.X.Max = 0.5, float64(c.repeatEpochs)+0.5
	p.X.Tick.Marker = epochTicks{}
	p.Legend.Top = false
	p.Legend.Left = false
	b, err := stack([]*plot.Plot{p}, 8*vg.Inch, 4.5*vg.Inch)
	if err == nil {
		err = writeAtomic(filepath.Join(c.out, "dropout.png"), b)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(c.out, "dropout.png"), err)
	}
	return nil
}

// hardware names the engines and devices of the runs, the CPU model and its cores.
func (r *compareReport) hardware() string {
	seen := map[string]bool{}
	var devs []string
	for _, cl := range append(append([]*cell(nil), r.cells...), r.repeat...) {
		for _, run := range cl.runs {
			d := run.Engine + " engine on " + run.Device
			if !seen[d] {
				seen[d] = true
				devs = append(devs, d)
			}
		}
	}
	if len(devs) == 0 {
		devs = []string{"…"}
	}
	return fmt.Sprintf("%s; host CPU %s, %d logical cores, %s/%s, %s", strings.Join(devs, "; "), cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// plural is "1 epoch", "2 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
