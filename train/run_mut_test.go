package train

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// Cases that the other tests of the package left open, each found by a deliberate wrong
// change to Run that all of them let through.

// scriptedEngine is fakeEngine with a scripted evaluation, errors on demand, and a
// progress report per epoch.
type scriptedEngine struct {
	fakeEngine
	evalLoss  []float64 // Evaluate's loss, call by call (0.5 past the end)
	trainErr  error
	evalErr   error
	callsBack bool // TrainEpoch reports progress: half the epoch, then all of it
}

func (s *scriptedEngine) TrainEpoch(e engine.Epoch, progress func(int)) (engine.EpochResult, error) {
	if s.trainErr != nil {
		return engine.EpochResult{}, s.trainErr
	}
	if s.callsBack && progress != nil {
		time.Sleep(time.Millisecond) // a measurable epoch time
		progress(len(e.Order) / 2)
		progress(len(e.Order))
	}
	return s.fakeEngine.TrainEpoch(e, progress)
}

func (s *scriptedEngine) Evaluate() (engine.EvalResult, error) {
	if s.evalErr != nil {
		return engine.EvalResult{}, s.evalErr
	}
	loss := 0.5
	if s.evals < len(s.evalLoss) {
		loss = s.evalLoss[s.evals]
	}
	s.evals++
	return engine.EvalResult{Loss: loss, Correct: 9, N: 10}, nil
}

// reportLog records every call of the Reporter.
type reportLog struct {
	starts   [][3]int
	progress []int
	ends     []EpochStats
}

func (l *reportLog) EpochStart(epoch, epochs, samples int) {
	l.starts = append(l.starts, [3]int{epoch, epochs, samples})
}
func (l *reportLog) Progress(done int)     { l.progress = append(l.progress, done) }
func (l *reportLog) EpochEnd(s EpochStats) { l.ends = append(l.ends, s) }

// TestRunReportsEachEpoch: the reporter hears epochs numbered from 1 with the run's epoch
// and sample counts, the engine's progress, and stats whose LastLR is the lr of the
// epoch's last step and whose speed is samples per second of the epoch's time.
func TestRunReportsEachEpoch(t *testing.T) {
	f := &scriptedEngine{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 10, 4), losses: [][]float32{{1, 2, 3}, {1, 1, 1}}}, callsBack: true}
	log := &reportLog{}
	stats, _, err := Run(f, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, log)
	require.NoError(t, err)
	assert.Equal(t, [][3]int{{1, 2, 10}, {2, 2, 10}}, log.starts)
	assert.Equal(t, []int{5, 10, 5, 10}, log.progress)
	require.Len(t, log.ends, 2)
	assert.Equal(t, stats, log.ends)
	assert.Equal(t, float64(float32(LR(2, 6, 0.1, 0.01))), stats[0].LastLR, "epoch 1 ends at step 2 of 6")
	assert.Equal(t, float64(float32(0.01)), stats[1].LastLR, "the run ends at lr1")
	for _, s := range stats {
		require.Greater(t, s.Seconds, 0.0)
		assert.InEpsilon(t, 10, s.SamplesPerSecond*s.Seconds, 1e-9, "epoch %d: samples/s × s = samples", s.Epoch)
	}
}

// TestRunStopsOnInfiniteLoss: an infinite step loss is a divergence like NaN, and so is
// a NaN or infinite test loss after an epoch.
func TestRunStopsOnInfiniteLoss(t *testing.T) {
	inf := float32(math.Inf(1))
	f := &scriptedEngine{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 10, 4), losses: [][]float32{{1, inf, 3}}}}
	_, _, err := Run(f, Options{Epochs: 1, LR0: 0.1, LR1: 0.01}, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 1, d.Step)
	assert.Contains(t, err.Error(), "loss became +Inf at step 2 (epoch 1")

	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		f = &scriptedEngine{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 10, 4), losses: [][]float32{{1, 1, 1}, {1, 1, 1}}}, evalLoss: []float64{0.4, bad}}
		stats, _, err := Run(f, Options{Epochs: 2, LR0: 0.1, LR1: 0.01}, nil)
		require.True(t, errors.As(err, &d), "test loss %v: %v", bad, err)
		assert.Equal(t, 2, d.Epoch)
		assert.Equal(t, 5, d.Step, "the last step of epoch 2")
		assert.Len(t, stats, 1, "only the good epoch")
	}
}

// TestRunPassesEngineErrorsOn: a failing epoch or evaluation ends the run with the
// engine's error, wrapped with the epoch, and no stats for that epoch.
func TestRunPassesEngineErrorsOn(t *testing.T) {
	lost := errors.New("device lost")
	f := &scriptedEngine{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 10, 4), losses: [][]float32{{1, 1, 1}}}, trainErr: lost}
	stats, _, err := Run(f, Options{Epochs: 1, LR0: 0.1, LR1: 0.01}, nil)
	require.ErrorIs(t, err, lost)
	assert.EqualError(t, err, "epoch 1: device lost")
	assert.Empty(t, stats)

	f = &scriptedEngine{fakeEngine: fakeEngine{cfg: fakeConfig(nil, 10, 4), losses: [][]float32{{1, 1, 1}}}, evalErr: lost}
	stats, _, err = Run(f, Options{Epochs: 1, LR0: 0.1, LR1: 0.01}, nil)
	assert.EqualError(t, err, "evaluating after epoch 1: device lost")
	assert.Empty(t, stats)

	_, _, err = Run(f, Options{Epochs: 0, LR0: 0.1, LR1: 0.01}, nil)
	assert.EqualError(t, err, "evaluating: device lost")
}

// TestRunRefusesNoSamplesOrNoBatch: Run checks the engine's config instead of dividing by
// a zero batch or training on nothing.
func TestRunRefusesNoSamplesOrNoBatch(t *testing.T) {
	a, err := model.Parse(model.DefaultPreset)
	require.NoError(t, err)
	noTrain := fakeConfig(a, 10, 4)
	noTrain.Train = nil
	for name, cfg := range map[string]engine.Config{
		"no samples":      fakeConfig(a, 0, 4),
		"negative count":  fakeConfig(a, -1, 4),
		"batch 0":         fakeConfig(a, 10, 0),
		"negative batch":  fakeConfig(a, 10, -2),
		"no training set": noTrain,
	} {
		f := &scriptedEngine{fakeEngine: fakeEngine{cfg: cfg}}
		assert.NotPanics(t, func() {
			_, _, err = Run(f, Options{Epochs: 1, LR0: 0.1, LR1: 0.01}, nil)
		}, name)
		assert.EqualError(t, err, "need at least one sample and a batch of at least 1", name)
		assert.Empty(t, f.epochs, name)
	}
}

// TestOrdersPinned pins the first two epoch orders of 10 samples from seed 1, computed
// outside this repository's Go: Fisher–Yates (j uniform in [0, i], i = n−1 … 1) with
// Lemire's multiply-shift Intn on SplitMix64 (Vigna) seeded with 1 ^ 0x6f72646572735f5f,
// in Python. A run is reproducible from its seed alone, and the order stream is not the
// weights' stream (seeded with the seed itself): dropping the xor passed every other test.
func TestOrdersPinned(t *testing.T) {
	o := NewOrders(1, true)
	order := make([]int32, 10)
	o.Next(order)
	assert.Equal(t, []int32{7, 5, 3, 0, 4, 9, 1, 6, 2, 8}, order)
	o.Next(order)
	assert.Equal(t, []int32{0, 3, 8, 6, 4, 1, 2, 7, 5, 9}, order)
}
