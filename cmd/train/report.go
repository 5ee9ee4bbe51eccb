package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vkcnn/vkcnn/train"
)

// reporter prints one line per epoch and, during an epoch, a progress bar on a terminal or
// else (a log file, a pipe) a line at every tenth of the epoch's samples; it feeds -metrics
// and -plot when they are asked for.
type reporter struct {
	out io.Writer
	tty bool
	bar *progressbar.ProgressBar
	// without a terminal: the epoch, its samples, the tenths printed and its start
	epoch, epochs, samples, tenths int
	start                          time.Time
	curves                         *curveOutputs
	evalName                       string // what each epoch evaluates: "test" (when empty) or "val"
	warnedChance                   bool   // the at-chance note has been printed
}

// chanceLoss is ln 10, the cross-entropy of a network that gives each of MNIST's 10
// classes the same probability; chanceAcc is the train accuracy up to which an epoch at
// that loss counts as guessing (10% is chance).
const (
	chanceLoss = 2.302585092994046
	chanceAcc  = 0.15
)

// atChance is whether an epoch's training was at chance: a mean loss within 0.1 of ln 10
// and an accuracy of at most 15%. A run in that state is not learning, but it does not
// diverge either (its loss does not grow), so only a note says so.
func atChance(s train.EpochStats) bool {
	return s.TrainLoss > chanceLoss-0.1 && s.TrainLoss < chanceLoss+0.1 && s.TrainAcc <= chanceAcc
}

// newReporter reports to out; the progress bar only when out is a terminal (or run's
// checked stdout in front of one).
func newReporter(out io.Writer) *reporter {
	under := out
	if c, ok := out.(*checkedWriter); ok {
		under = c.w
	}
	f, ok := under.(*os.File)
	return &reporter{out: out, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (r *reporter) EpochStart(epoch, epochs, samples int) {
	if !r.tty {
		r.epoch, r.epochs, r.samples, r.tenths, r.start = epoch, epochs, samples, 0, time.Now()
		return
	}
	r.bar = progressbar.NewOptions(samples,
		progressbar.OptionSetWriter(r.out),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("samples"),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// Progress moves the bar, or without a terminal prints a line for each tenth of the
// epoch reached (10% … 90%: the epoch's own line follows at 100%). An engine that reports
// progress rarely (the GPU's chunks) gives fewer lines, never more.
func (r *reporter) Progress(done int) {
	if r.bar != nil {
		r.bar.Set(done)
		return
	}
	if r.tty || r.samples < 1 {
		return
	}
	tenths := min(9, done*10/r.samples)
	if tenths <= r.tenths {
		return
	}
	r.tenths = tenths
	secs := time.Since(r.start).Seconds()
	fmt.Fprintf(r.out, "epoch %d/%d: %3d%%  %d/%d samples  %.1fs  %.0f samples/s\n",
		r.epoch, r.epochs, 10*tenths, done, r.samples, secs, float64(done)/max(secs, 1e-9))
}

func (r *reporter) EpochEnd(s train.EpochStats) {
	if r.bar != nil {
		r.bar.Finish()
		r.bar = nil
	}
	name := r.evalName
	if name == "" {
		name = "test"
	}
	fmt.Fprintf(r.out, "epoch %d: train loss %.4f acc %.2f%%  %s loss %.4f acc %.2f%%  %.2fs  %.0f samples/s  weights %s\n",
		s.Epoch, s.TrainLoss, 100*s.TrainAcc, name, s.TestLoss, 100*s.TestAcc, s.Seconds, s.SamplesPerSecond, s.Fingerprint)
	if !r.warnedChance && atChance(s) {
		r.warnedChance = true
		fmt.Fprintf(r.out, "note: epoch %d trained at chance (loss %.4f ≈ ln 10, accuracy %.2f%%): the network is not learning; a learning rate too high leaves every ReLU off for good, one too low has not moved it yet (-lr0, -momentum)\n",
			s.Epoch, s.TrainLoss, 100*s.TrainAcc)
	}
	if r.curves != nil {
		r.curves.epochEnd(s)
	}
}

// abort clears an unfinished progress bar, so that an error starts on a clean line.
func (r *reporter) abort() {
	if r.bar != nil {
		r.bar.Clear()
		r.bar = nil
	}
}
