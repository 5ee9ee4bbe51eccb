package train

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
)

// lossCurve is an engine whose step k (global) has loss curve(k), and which records the
// parts of epochs it was asked to run.
type lossCurve struct {
	fakeEngine
	curve  func(step int) float32
	ranges [][2]int // [From, To) of each TrainEpoch
	chunk  int
}

func (c *lossCurve) TrainEpoch(ep engine.Epoch, _ func(int)) (engine.EpochResult, error) {
	from, to, err := ep.Range(len(ep.LR))
	if err != nil {
		return engine.EpochResult{}, err
	}
	c.ranges = append(c.ranges, [2]int{from, to})
	var res engine.EpochResult
	for s := from; s < to; s++ {
		res.StepLoss = append(res.StepLoss, c.curve(ep.FirstStep+s))
	}
	return res, nil
}

// chunkedCurve is a lossCurve that says it runs an epoch best in chunks (Chunked).
type chunkedCurve struct{ *lossCurve }

func (c chunkedCurve) ChunkSteps() int { return c.chunk }

// TestDivergenceWithinAnEpoch: a loss that explodes at step 100 of a 400-step epoch stops
// the run at the first in-epoch check whose window (the last 50 steps, DivergeWindow) has a
// mean over the limit (10× the first steps' 2.3), with the one line naming the epoch, the
// steps and the mean; the rest of the epoch is never run. The checks come every 5 steps
// (a tenth of the window), and for a Chunked engine at multiples of the window rounded up
// to whole chunks, so that such an engine is only ever asked for whole chunks.
func TestDivergenceWithinAnEpoch(t *testing.T) {
	require.Equal(t, 50, DivergeWindow(400))
	require.Equal(t, 94, DivergeWindow(938), "a tenth of the default MNIST epoch")
	require.Equal(t, 0, DivergeWindow(50), "an epoch no longer than the window: its end's check only")
	explode := func(s int) float32 {
		if s < 100 {
			return 2.3
		}
		return 1000
	}
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: explode}
	stats, _, err := Run(c, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Empty(t, stats)
	assert.Equal(t, 104, d.Step, "the first check after 2 exploded steps, at a multiple of 5")
	assert.Equal(t, 50, d.Window)
	assert.EqualError(t, err, "diverged: epoch 1's mean train loss over steps 56–105 is 102.1, over 23 (10× the smallest of its first steps' losses, and 3·ln(classes)); try a lower -lr0")
	assert.Equal(t, [2]int{100, 105}, c.ranges[len(c.ranges)-1], "nothing past the check was run")

	cc := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: explode, chunk: 16}
	_, _, err = Run(chunkedCurve{cc}, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, nil)
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 127, d.Step, "checks every 64 steps: 50 rounded up to chunks of 16")
	assert.Equal(t, [][2]int{{0, 64}, {64, 128}}, cc.ranges)
	assert.Contains(t, err.Error(), "over steps 79–128 is 561, over 23")
}

// TestNoisyLossDoesNotStop: single steps far over the limit (every 10th loss at 100, the
// others 2.3: a window's mean of 12.1) and a loss that rises slowly but stays under the
// limit train to the end; a resumed run's window starts where it resumed.
func TestNoisyLossDoesNotStop(t *testing.T) {
	for name, curve := range map[string]func(int) float32{
		"spikes": func(s int) float32 {
			if s%10 == 9 {
				return 100
			}
			return 2.3
		},
		"slow rise": func(s int) float32 { return 2.3 + 20*float32(s)/1200 },
	} {
		c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: curve}
		stats, _, err := Run(c, Options{Epochs: 3, LR0: 0.1, LR1: 0.01}, nil)
		require.NoError(t, err, name)
		assert.Len(t, stats, 3, name)
		assert.Len(t, c.ranges, 3*80, "%s: checks every 5 steps", name)
	}
}
