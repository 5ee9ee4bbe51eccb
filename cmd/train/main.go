// Command train trains a convolutional network on MNIST-style digits with the GPU (Vulkan)
// or CPU engine and reports test accuracy; see the README for the flags.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: it parses args, trains, and returns the exit status. Every
// error is one line on stderr naming the flag or file and the problem.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "train:", err)
		return 2
	}
	if err := cfg.train(stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "train:", err)
		return 1
	}
	return 0
}
