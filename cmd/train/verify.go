package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/train"
)

// checkVerifyFlags refuses a -verify-every that cannot be done, at flag time.
func (c *config) checkVerifyFlags() error {
	switch {
	case c.verifyEvery < 0:
		return fmt.Errorf("-verify-every %d: must be 0 (never) or more", c.verifyEvery)
	case c.verifyEvery > 0 && c.device == "cpu":
		return fmt.Errorf("-verify-every %d: re-runs GPU steps on the cpu engine; with -device cpu there is nothing to check", c.verifyEvery)
	}
	return nil
}

// verifier is -verify-every's train.Verify: the run's every N-th step re-run on a CPU
// engine built for the same config (train.Verify states what is compared and within what).
func (c *config) verifier(eng engine.Engine, cfg engine.Config) (*train.Verify, error) {
	if eng.Name() != "gpu" {
		return nil, fmt.Errorf("-verify-every %d: re-runs GPU steps on the cpu engine, and this run is on the %s engine (-device gpu)", c.verifyEvery, eng.Name())
	}
	ref, err := cpu.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("-verify-every: %w", err)
	}
	if ref == nil {
		return nil, errors.New("-verify-every: no cpu engine")
	}
	return &train.Verify{Every: c.verifyEvery, Ref: ref}, nil
}

// printVerifyCost prints, after a run with -verify-every, how many steps were checked and
// what it cost, and returns both (0, 0 without it).
func printVerifyCost(every int, stats []train.EpochStats, out io.Writer) (steps int, secs float64) {
	if every == 0 {
		return 0, 0
	}
	total := 0.0
	for _, s := range stats {
		steps += s.VerifiedSteps
		secs += s.VerifySeconds
		total += s.Seconds
	}
	share := 0.0
	if total > 0 {
		share = 100 * secs / total
	}
	fmt.Fprintf(out, "verify: %d steps (every %d-th) re-run on the cpu engine agreed within tolerance; %.2fs, %.1f%% of the training time\n", steps, every, secs, share)
	return steps, secs
}

// position says where a resumed run goes on.
func position(s *train.State) string {
	if s.Step == 0 {
		return fmt.Sprintf("%d of %d epochs done, going on with epoch %d", s.Epoch, s.Epochs, s.Epoch+1)
	}
	return fmt.Sprintf("%d of %d epochs done, going on in epoch %d at step %d", s.Epoch, s.Epochs, s.Epoch+1, s.Step+1)
}
