package train

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepRecorder is a StepReporter that keeps every call's arguments.
type stepRecorder struct {
	epochs, firsts []int
	loss, lr       [][]float32
	ends           int
}

func (s *stepRecorder) EpochStart(epoch, epochs, samples int) {}
func (s *stepRecorder) Progress(int)                          {}
func (s *stepRecorder) EpochEnd(EpochStats)                   { s.ends++ }
func (s *stepRecorder) Steps(epoch, first int, loss, lr []float32) {
	s.epochs = append(s.epochs, epoch)
	s.firsts = append(s.firsts, first)
	s.loss = append(s.loss, append([]float32(nil), loss...))
	s.lr = append(s.lr, append([]float32(nil), lr...))
}

// TestStepReporterHearsEveryStep: a Reporter that is a StepReporter gets each epoch's
// per-step losses and rates, with the epoch and the global index of its first step, before
// the epoch ends.
func TestStepReporterHearsEveryStep(t *testing.T) {
	f := &fakeEngine{cfg: fakeConfig(nil, 10, 4), losses: [][]float32{{3, 2, 1}, {0.5, 0.25, 0.125}}}
	r := &stepRecorder{}
	_, _, err := Run(f, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, r)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, r.epochs)
	assert.Equal(t, []int{0, 3}, r.firsts)
	assert.Equal(t, [][]float32{{3, 2, 1}, {0.5, 0.25, 0.125}}, r.loss)
	require.Len(t, r.lr, 2)
	assert.Equal(t, f.epochs[0].LR, r.lr[0])
	assert.Equal(t, f.epochs[1].LR, r.lr[1])
	assert.Equal(t, 2, r.ends)
}
