// Command train trains a convolutional network on MNIST-style digits with the GPU (Vulkan)
// or CPU engine and reports test accuracy; see the README for the flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: `predict`, `eval`, `compare` and `serve` as the first argument
// run those subcommands (predict.go, eval.go, compare.go, serve.go); otherwise it parses args, trains, and returns the exit status: 0, 2 for
// a bad flag, 1 for anything else. Every error is one line on stderr naming the flag or
// file and the problem. A failed write to stdout (a full disk, a closed pipe) is such an
// error: the results were lost.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "predict":
			return runPredict(args[1:], stdout, stderr)
		case "eval":
			return runEval(args[1:], stdout, stderr)
		case "compare":
			return runCompare(args[1:], stdout, stderr)
		case "serve":
			return runServe(args[1:], stdout, stderr)
		}
	}
	cfg, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "train:", singleLine(err.Error()))
		return 2
	}
	out := &checkedWriter{w: stdout}
	err = cfg.train(out, stderr)
	if err == nil {
		err = out.failed()
	}
	if err != nil {
		fmt.Fprintln(stderr, "train:", singleLine(err.Error()))
		if se, ok := errors.AsType[*stopExit](err); ok {
			return se.code // stopped by a signal: 128 + its number
		}
		return 1
	}
	return 0
}

// checkedWriter is stdout with its first write error kept: after one, it writes nothing
// more, and failed reports it.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	c.err = err
	return n, err
}

// failed is nil, or the first write error as the command reports it.
func (c *checkedWriter) failed() error {
	if c.err == nil {
		return nil
	}
	return fmt.Errorf("writing to stdout: %w", c.err)
}

// stdoutFailed is the first write error on w when w is run's checked stdout, else nil.
func stdoutFailed(w io.Writer) error {
	if c, ok := w.(*checkedWriter); ok {
		return c.failed()
	}
	return nil
}

// singleLine keeps a message on one line whatever it quotes: a newline or carriage return
// (from a path, or a multi-line error from a library) is written as \n or \r.
func singleLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}

// showPath is a path as a message shows it: as it is, or Go-quoted when it holds a
// character that would break the line or hide in it (a control character, invalid UTF-8,
// a quote or a backslash).
func showPath(path string) string {
	if q := strconv.Quote(path); q[1:len(q)-1] != path {
		return q
	}
	return path
}
