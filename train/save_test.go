package train

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// epochLog records the reporter's calls.
type epochLog struct{ events []string }

func (l *epochLog) EpochStart(epoch, epochs, samples int) {}
func (l *epochLog) Progress(samplesDone int)              {}
func (l *epochLog) EpochEnd(s EpochStats)                 { l.events = append(l.events, "end") }

// TestEpochLineBeforeSave: an epoch is reported before its checkpoint is written, so a save
// that fails still leaves the epoch's result on screen.
func TestEpochLineBeforeSave(t *testing.T) {
	a, err := model.Parse(model.DefaultPreset)
	require.NoError(t, err)
	f := &fakeEngine{cfg: fakeConfig(a, 10, 4), losses: [][]float32{{1, 2, 3}, {1, 1, 1}}, params: a.NewParams()}
	log := &epochLog{}
	opts := Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Seed: 1, Save: "x.safetensors",
		SaveFunc: func(string, *model.Arch, *model.Params, *State) error {
			log.events = append(log.events, "save")
			return errors.New("disk full")
		}}
	stats, _, err := Run(f, opts, log)
	require.EqualError(t, err, "disk full")
	require.Len(t, stats, 1)
	require.Equal(t, []string{"end", "save"}, log.events, "the epoch's line, then the failed save, then nothing")
}

// TestSaveWithoutSaveFunc: a checkpoint path without a function to write it is an error
// before the first epoch, not a nil call after it.
func TestSaveWithoutSaveFunc(t *testing.T) {
	a, err := model.Parse(model.DefaultPreset)
	require.NoError(t, err)
	f := &fakeEngine{cfg: fakeConfig(a, 10, 4), losses: [][]float32{{1, 2, 3}}, params: a.NewParams()}
	_, _, err = Run(f, Options{Epochs: 1, LR0: 0.1, LR1: 0.01, Save: "x.safetensors"}, nil)
	require.EqualError(t, err, "checkpoint x.safetensors: no SaveFunc to write it")
	require.Empty(t, f.epochs, "nothing trained")
}
