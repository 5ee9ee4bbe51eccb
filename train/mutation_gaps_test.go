package train

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// Tests that close gaps found by mutation testing of the in-epoch divergence check.

// TestDivergenceWindowRefillsAfterResume: a run resumed at step 100 of a 400-step epoch
// whose losses are over the limit from there on stops at the first check whose window is
// full again, 50 steps after the resume (steps 101–150 counted from 1), not one check
// later; the steps before the resume, which this run did not see, are not in it.
func TestDivergenceWindowRefillsAfterResume(t *testing.T) {
	first := make([]float32, FirstSteps)
	for i := range first {
		first[i] = 2.3
	}
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: func(int) float32 { return 1000 }}
	opts := Options{Epochs: 2, LR0: 0.1, LR1: 0.01}
	opts.Resume = &State{Epochs: 2, TotalSteps: 800, LR0: 0.1, LR1: 0.01, Batch: 1, Samples: 400, Step: 100, FirstLosses: first}
	_, _, err := Run(c, opts, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 149, d.Step, "the check at 50 steps after the resume")
	assert.Equal(t, 50, d.Window)
	assert.Contains(t, err.Error(), "over steps 101–150 is 1000, over 23")
	assert.Equal(t, [2]int{100, 105}, c.ranges[0], "the run starts at the resumed step")
}

// TestDivergenceAtTheLimitDoesNotStop: the window's mean must be over the limit: a mean
// equal to it (the first steps' losses 2.5, a limit of 25, then every loss 25) trains on.
func TestDivergenceAtTheLimitDoesNotStop(t *testing.T) {
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: func(s int) float32 {
		if s < FirstSteps {
			return 2.5
		}
		return 25
	}}
	stats, _, err := Run(c, Options{Epochs: 1, LR0: 0.1, LR1: 0.01}, nil)
	require.NoError(t, err)
	assert.Len(t, stats, 1)
}

// TestDivergenceBurstAtTheEpochEnd: the in-epoch checks stop before the epoch's last step,
// whose check is the epoch's own mean: six losses of 200 at the end of a 400-step epoch
// (a last window's mean of 26, over the limit of 23, an epoch mean of 5.3 under it) do
// not stop the run, and the next epoch's windows start empty.
func TestDivergenceBurstAtTheEpochEnd(t *testing.T) {
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: func(s int) float32 {
		if s >= 394 && s < 400 {
			return 200
		}
		return 2.3
	}}
	stats, _, err := Run(c, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, nil)
	require.NoError(t, err)
	assert.Len(t, stats, 2)
}

// verifyingCurve is a chunkedCurve with momentum buffers (engine.OptimState), so that
// Verify can check its steps against another lossCurve.
type verifyingCurve struct{ chunkedCurve }

func (c verifyingCurve) Momentum() (*model.Params, error) { return c.cfg.Arch.NewParams(), nil }
func (c verifyingCurve) SetMomentum(*model.Params) error  { return nil }

// TestDivergenceChecksStayOnTheirStepsWithVerify: with -verify-every 7 the parts of the
// epoch also end at the verified steps (every 7th), and the divergence checks still come
// at the multiples of 64 (a window of 50 rounded up to chunks of 16) and only there: the
// loss that explodes at step 100 stops the run at step 128 (counted from 1) with the
// window's message, not at a verified step and not only at the epoch's end.
func TestDivergenceChecksStayOnTheirStepsWithVerify(t *testing.T) {
	explode := func(s int) float32 {
		if s < 100 {
			return 2.3
		}
		return 1000
	}
	curve := func() verifyingCurve {
		return verifyingCurve{chunkedCurve{&lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: explode, chunk: 16}}}
	}
	run, ref := curve(), curve()
	_, _, err := Run(run, Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Verify: &Verify{Every: 7, Ref: ref}}, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 127, d.Step)
	assert.Equal(t, 50, d.Window)
	assert.Contains(t, err.Error(), "over steps 79–128 is 561, over 23")
	assert.NotEmpty(t, ref.ranges, "the verified steps ran on the reference")
}

// TestDivergenceWithinAnEpochNamesTheSave: a run that diverges within its second epoch
// says that the checkpoint of its first still holds the last good epoch (Saved), as the
// epoch's end check does.
func TestDivergenceWithinAnEpochNamesTheSave(t *testing.T) {
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: func(s int) float32 {
		if s < 500 {
			return 2.3
		}
		return 1000
	}}
	saves := 0
	opts := Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Save: "x.safetensors",
		SaveFunc: func(string, *model.Arch, *model.Params, *State) error { saves++; return nil }}
	_, _, err := Run(c, opts, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 1, saves, "the first epoch was saved, the second not")
	assert.Equal(t, 50, d.Window, "stopped within the epoch")
	assert.Equal(t, "x.safetensors", d.Saved)
	assert.Contains(t, err.Error(), "epoch 2's mean train loss over steps 456–505 is 102.1, over 23")
	assert.True(t, strings.HasSuffix(err.Error(), "; x.safetensors still holds the last good epoch"), err.Error())
}

// TestDivergenceLimitIsFromAllFirstSteps: the limit is 10× the smallest of the run's first
// FirstSteps (10) losses, the tenth included (3 at the first step, 2.6 at the next eight,
// 2 at the tenth: a limit of 20, not 26 or 30), so that a window of mostly 25s stops the
// run; the error carries the learning rate of the step it stopped at.
func TestDivergenceLimitIsFromAllFirstSteps(t *testing.T) {
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: func(s int) float32 {
		switch {
		case s == 0:
			return 3
		case s < 9:
			return 2.6
		case s == 9:
			return 2
		case s < 100:
			return 2.3
		}
		return 25
	}}
	_, _, err := Run(c, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 139, d.Step, "the first window whose mean is over 20: 40 losses of 25, 10 of 2.3")
	assert.Equal(t, 20.0, d.Limit)
	assert.Equal(t, float64(float32(LR(139, 800, 0.1, 0.01))), d.LR, "the stopped step's learning rate")
}
