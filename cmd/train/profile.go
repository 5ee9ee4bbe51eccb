//go:build cgo

package main

import (
	"fmt"
	"io"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/gpu"
)

// printProfile prints the GPU time of each op of one training step (-profile).
func printProfile(e engine.Engine, batch int, out io.Writer) error {
	g, ok := e.(*gpu.Engine)
	if !ok {
		return fmt.Errorf("-profile: the %s engine has no GPU timestamps; use -device gpu", e.Name())
	}
	ops, total, err := g.Profile(20)
	if err != nil {
		return fmt.Errorf("-profile: %w", err)
	}
	n := 0
	for _, op := range ops {
		n += op.Dispatches
	}
	fmt.Fprintf(out, "profile: one training step of batch %d on %s: %.1f µs GPU time, %d dispatches (mean of 20)\n", batch, e.Device(), total, n)
	for _, op := range ops {
		fmt.Fprintf(out, "  %-30s %3d× %10.1f µs %5.1f%%\n", op.Op, op.Dispatches, op.Micros, 100*op.Micros/total)
	}
	return nil
}
