package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/vkcnn/vkcnn/checkpoint"
)

// stopSignals are the signals that ask a run to stop (Ctrl-C, kill, a closed terminal,
// and SIGPIPE: stdout is a pipe whose reader has gone, as in train | head). Left to their
// default, they end the process at once and without a word: in the middle of a save that
// leaves a half-written temporary file beside the checkpoint, and the lock file.
var stopSignals = map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP", syscall.SIGPIPE: "SIGPIPE"}

// stopOnSignal catches the stop signals while a run holds the checkpoint target t (the
// -save path): on one, it abandons t (a save in progress is dropped, so the checkpoint
// keeps its last complete content; the lock file is removed), writes one line to stderr
// and exits with 128 + the signal's number, as a shell reports a process a signal ended.
// The returned function stops catching them; it waits for a caught signal's exit.
func stopOnSignal(t *checkpoint.Target, path string, stderr io.Writer, exit func(int)) (stop func()) {
	sigs := make(chan os.Signal, 1)
	for s := range stopSignals {
		signal.Notify(sigs, s)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case sig := <-sigs:
			s := sig.(syscall.Signal)
			t.Abandon()
			fmt.Fprintf(stderr, "train: stopped by %s; -save %s holds the last complete save, if any (nothing half-written)\n", stopSignals[s], showPath(path))
			exit(128 + int(s))
		case <-done:
		}
	})
	return func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
	}
}
