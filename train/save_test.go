package train

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"vkcnn/model"
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
	f := &fakeEngine{losses: [][]float32{{1, 2, 3}, {1, 1, 1}}, params: a.NewParams()}
	log := &epochLog{}
	opts := Options{Arch: a, Epochs: 2, Batch: 4, LR0: 0.1, LR1: 0.01, Seed: 1, Save: "x.safetensors",
		SaveFunc: func(string, *model.Arch, *model.Params) error {
			log.events = append(log.events, "save")
			return errors.New("disk full")
		}}
	stats, _, err := Run(f, 10, opts, log)
	require.EqualError(t, err, "disk full")
	require.Len(t, stats, 1)
	require.Equal(t, []string{"end", "save"}, log.events, "the epoch's line, then the failed save, then nothing")
}
