package train

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepLog is a StepReporter that records every Steps call.
type stepLog struct {
	epochs, firsts []int
	losses         [][]float32
}

func (s *stepLog) EpochStart(int, int, int) {}
func (s *stepLog) Progress(int)             {}
func (s *stepLog) EpochEnd(EpochStats)      {}
func (s *stepLog) Steps(epoch, first int, loss, _ []float32) {
	s.epochs, s.firsts = append(s.epochs, epoch), append(s.firsts, first)
	s.losses = append(s.losses, append([]float32(nil), loss...))
}

// TestDivergedEpochReportsItsSteps: an epoch that diverges hands the steps it ran to the
// StepReporter (-metrics step lines, -plot) before Run returns: the explosion's curve up to
// the in-epoch check that stopped it, and up to (not including) a NaN loss. They used to be
// dropped, so that the -metrics file of a run stopped for diverging had no step line at all.
func TestDivergedEpochReportsItsSteps(t *testing.T) {
	explode := func(s int) float32 {
		if s < 100 {
			return 2.3
		}
		return 1000
	}
	log := &stepLog{}
	c := &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: explode}
	_, _, err := Run(c, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, log)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	require.Equal(t, []int{1}, log.epochs)
	assert.Equal(t, []int{0}, log.firsts)
	require.Len(t, log.losses[0], d.Step+1, "every step up to the check that stopped the run")
	assert.Equal(t, float32(1000), log.losses[0][d.Step])

	nan := func(s int) float32 {
		if s == 7 {
			return float32(math.NaN())
		}
		return 2.3
	}
	log = &stepLog{}
	c = &lossCurve{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 400, 1)}, curve: nan}
	_, _, err = Run(c, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, log)
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 7, d.Step)
	require.Equal(t, []int{1}, log.epochs)
	assert.Equal(t, []float32{2.3, 2.3, 2.3, 2.3, 2.3, 2.3, 2.3}, log.losses[0], "the finite losses before the NaN")
}
