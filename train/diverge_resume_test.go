package train

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// stopCurve is a lossCurve that stops (closes stop, runs no further) once it reaches step
// stopAt of the run, as an engine does on a signal.
type stopCurve struct {
	*lossCurve
	stopAt int
	stop   chan struct{}
}

func (c stopCurve) TrainEpoch(ep engine.Epoch, p func(int)) (engine.EpochResult, error) {
	if c.stop != nil && ep.FirstStep+ep.To > c.stopAt {
		ep.To = max(ep.From, c.stopAt-ep.FirstStep)
		close(c.stop)
		c.stop = nil
	}
	return c.lossCurve.TrainEpoch(ep, p)
}

// TestResumedJustBeforeTheWindowFills: a run stopped 3 steps before its first in-epoch
// divergence window (50 steps) fills, while its loss explodes, and resumed, still stops for
// diverging, with the one line naming the steps of the window it checked (counted from 1,
// within the resumed part: the window fills again from the step it resumed at), and the
// steps run before the stop keep counting in the epoch's first losses.
func TestResumedJustBeforeTheWindowFills(t *testing.T) {
	explode := func(s int) float32 {
		if s < 40 {
			return 2.3
		}
		return 1000
	}
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: explode}
	stop := make(chan struct{})
	var saved *State
	opts := Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Save: "mem", Stop: stop,
		SaveFunc: func(_ string, _ *model.Arch, _ *model.Params, s *State) error { saved = s; return nil }}
	_, _, err := Run(stopCurve{lossCurve: c, stopAt: 47, stop: stop}, opts, nil)
	var se *StoppedError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, [2]int{0, 47}, [2]int{se.Epoch, se.Step})
	require.NotNil(t, saved)
	require.Len(t, saved.FirstLosses, 10)

	r := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: explode}
	opts.Stop, opts.Resume = nil, saved
	_, _, err = Run(r, opts, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 99, d.Step, "the first check with 50 steps run since the resume, at a multiple of 5")
	assert.Equal(t, [2]int{47, 50}, r.ranges[0], "resumed at step 48")
	assert.Contains(t, err.Error(), "epoch 1's mean train loss over steps 51–100 is 1000, over 23 ")
}
