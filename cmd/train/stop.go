package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/train"
)

// afterSave, when not nil, is called after every checkpoint a run writes, with the run's
// stop channel: a test's way to signal a run at a known point of it.
var afterSave func(stop <-chan struct{})

// catchStop catches the stop signals (stopSignals) for a run. The first closes the
// returned channel, train.Options.Stop: the run finishes the step it is in — on the GPU
// engine, the groups of steps already submitted, at most 1/8 of an epoch — saves its state
// to -save (atomically, as every save) and returns a *train.StoppedError, which stopped
// turns into the command's one line and exit status. A second signal ends the process at
// once: with a checkpoint target t, through stopOnSignal (a save in progress is abandoned,
// so the checkpoint keeps its last complete content and no temporary file is left);
// without, with one line saying that nothing was saved. caught reports the first signal.
// release stops catching them.
func catchStop(t *checkpoint.Target, path string, stderr io.Writer, exit func(int)) (stop <-chan struct{}, caught func() syscall.Signal, release func()) {
	sigs := make(chan os.Signal, 1)
	for s := range stopSignals {
		signal.Notify(sigs, s)
	}
	stopCh, done := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var first syscall.Signal
	var second func()
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case sig := <-sigs:
			mu.Lock()
			first = sig.(syscall.Signal)
			if t != nil {
				second = stopOnSignal(t, path, stderr, exit) // armed before ours lets go
			}
			mu.Unlock()
			close(stopCh)
		case <-done:
			return
		}
		if t != nil {
			return
		}
		select {
		case sig := <-sigs:
			s := sig.(syscall.Signal)
			fmt.Fprintf(stderr, "train: stopped at once by a second %s; nothing saved (no -save)\n", stopSignals[s])
			exit(128 + int(s))
		case <-done:
		}
	})
	caught = func() syscall.Signal {
		mu.Lock()
		defer mu.Unlock()
		return first
	}
	release = func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if second != nil {
			second()
		}
	}
	return stopCh, caught, release
}

// stopExit is the command's error for a run stopped by a signal: its one line, and the
// exit status 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell
// reports a process a signal ended.
type stopExit struct {
	msg  string
	code int
}

func (e *stopExit) Error() string { return e.msg }

// stopped turns a run's *train.StoppedError into the command's stopExit: the line names
// the signal, where the run stopped, the checkpoint, and the command that continues it.
func (c *config) stopped(err error, sig syscall.Signal) error {
	se, ok := errors.AsType[*train.StoppedError](err)
	if !ok || sig == 0 {
		return err
	}
	at := fmt.Sprintf("after epoch %d", se.Epoch)
	if se.Step > 0 {
		at = fmt.Sprintf("in epoch %d after step %d", se.Epoch+1, se.Step)
	}
	msg := fmt.Sprintf("stopped by %s %s; nothing saved (no -save; with -save FILE a stopped run can be resumed)", stopSignals[sig], at)
	if se.Saved != "" {
		msg = fmt.Sprintf("stopped by %s %s; saved %s; continue with: %s", stopSignals[sig], at, showPath(se.Saved), c.resumeCommand(se.Saved))
	}
	return &stopExit{msg: msg, code: 128 + int(sig)}
}

// resumeCommand is the command line that continues the run saved in path: -resume, and
// the flags that are not in the checkpoint (where the data is, the engine, the outputs).
func (c *config) resumeCommand(path string) string {
	args := []string{"train", "-resume", shellQuote(path)}
	for _, f := range []struct{ name, value string }{
		{"data", c.data}, {"device", c.device}, {"gpu", fmt.Sprint(c.gpu)}, {"verify-every", fmt.Sprint(c.verifyEvery)},
	} {
		if c.given[f.name] {
			args = append(args, "-"+f.name, shellQuote(f.value))
		}
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but letters, digits and
// -_./=:,+ : in single quotes, each single quote inside closed, escaped and reopened.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
