package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"vkcnn/train"
)

// reporter prints a progress bar per epoch on a terminal and one line per epoch.
type reporter struct {
	out io.Writer
	tty bool
	bar *progressbar.ProgressBar
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

func (r *reporter) Progress(done int) {
	if r.bar != nil {
		r.bar.Set(done)
	}
}

func (r *reporter) EpochEnd(s train.EpochStats) {
	if r.bar != nil {
		r.bar.Finish()
		r.bar = nil
	}
	fmt.Fprintf(r.out, "epoch %d: train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.2fs  %.0f samples/s\n",
		s.Epoch, s.TrainLoss, 100*s.TrainAcc, s.TestLoss, 100*s.TestAcc, s.Seconds, s.SamplesPerSecond)
}

// abort clears an unfinished progress bar, so that an error starts on a clean line.
func (r *reporter) abort() {
	if r.bar != nil {
		r.bar.Clear()
		r.bar = nil
	}
}
