package train

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

func TestLRDecaysGeometricallyFromLR0ToLR1(t *testing.T) {
	assert.Equal(t, 0.03, LR(0, 100, 0.03, 0.001))
	assert.InDelta(t, 0.001, LR(99, 100, 0.03, 0.001), 1e-15)
	assert.InDelta(t, math.Sqrt(0.03*0.001), LR(50, 101, 0.03, 0.001), 1e-15, "the midpoint is the geometric mean")
	assert.Equal(t, 0.5, LR(0, 1, 0.5, 0.1), "a one-step run uses lr0")
	for k := 1; k < 100; k++ {
		assert.InDelta(t, LR(1, 100, 0.03, 0.001)/0.03, LR(k, 100, 0.03, 0.001)/LR(k-1, 100, 0.03, 0.001), 1e-12)
	}
}

// TestLRAtTheEndsOfTheFloat64Range: rates whose ratio overflows or underflows float64
// still decay geometrically from lr0 to lr1, finite and positive at every step (the
// direct formula gave +Inf after the first step for lr0 = 1e-320, lr1 = 0.001).
func TestLRAtTheEndsOfTheFloat64Range(t *testing.T) {
	for _, c := range [][2]float64{{1e-320, 1e-3}, {1e300, 1e-300}, {1e-300, 1e300}, {math.SmallestNonzeroFloat64, math.MaxFloat64}} {
		lr0, lr1 := c[0], c[1]
		prev := 0.0
		for k := range 11 {
			lr := LR(k, 11, lr0, lr1)
			require.True(t, lr > 0 && !math.IsInf(lr, 0), "lr0 %g lr1 %g: step %d gives %g", lr0, lr1, k, lr)
			if k > 0 {
				assert.Equal(t, lr1 > lr0, lr > prev, "lr0 %g lr1 %g: step %d is monotone", lr0, lr1, k)
			}
			prev = lr
		}
		assert.InEpsilon(t, lr1, LR(10, 11, lr0, lr1), 1e-9, "lr0 %g: the last step is lr1", lr0)
		// The midpoint is the geometric mean, √(lr0·lr1), taken in logs.
		assert.InEpsilon(t, math.Exp((math.Log(lr0)+math.Log(lr1))/2), LR(5, 11, lr0, lr1), 1e-9)
	}
}

// TestTotalStepsIsBounded: epochs × steps over MaxSteps is an error, also where the
// product would wrap an int.
func TestTotalStepsIsBounded(t *testing.T) {
	n, err := TotalSteps(60000, 64, 5)
	require.NoError(t, err)
	assert.Equal(t, 5*938, n)
	n, err = TotalSteps(1, 1, MaxSteps)
	require.NoError(t, err)
	assert.Equal(t, MaxSteps, n)
	_, err = TotalSteps(1, 1, MaxSteps+1)
	assert.EqualError(t, err, "2147483648 epochs of 1 steps are more than 2147483647 steps in all")
	_, err = TotalSteps(60000, 64, 1844674407370955162) // ×938 wraps int64
	assert.EqualError(t, err, "1844674407370955162 epochs of 938 steps are more than 2147483647 steps in all")
	_, err = TotalSteps(60000, 1, 35792)
	assert.EqualError(t, err, "35792 epochs of 60000 steps are more than 2147483647 steps in all")
}

// TestRunRefusesTooManySteps: Run refuses such a run before training, instead of a
// schedule computed from a wrapped step count.
func TestRunRefusesTooManySteps(t *testing.T) {
	f := &fakeEngine{cfg: fakeConfig(nil, 60000, 64)}
	_, _, err := Run(f, Options{Epochs: 1844674407370955162, LR0: 0.1, LR1: 0.01}, nil)
	assert.EqualError(t, err, "1844674407370955162 epochs of 938 steps are more than 2147483647 steps in all")
	assert.Empty(t, f.epochs)
}

func TestOrdersAreSeededPermutations(t *testing.T) {
	a, b := NewOrders(3, true), NewOrders(3, true)
	x, y := make([]int32, 1000), make([]int32, 1000)
	a.Next(x)
	b.Next(y)
	assert.Equal(t, x, y)
	seen := make([]bool, len(x))
	for _, v := range x {
		require.False(t, seen[v])
		seen[v] = true
	}
	a.Next(y)
	assert.NotEqual(t, x, y, "each epoch draws a new order")
	NewOrders(3, false).Next(x)
	for i, v := range x {
		require.Equal(t, int32(i), v)
	}
}

// fakeConfig is the config of a fake engine: arch a, n training samples, batch.
func fakeConfig(a *model.Arch, n, batch int) engine.Config {
	if a == nil {
		a, _ = model.Parse(model.DefaultPreset)
	}
	return engine.Config{Arch: a, Batch: batch, Train: &engine.Dataset{N: n}, Test: &engine.Dataset{N: 7}}
}

// fakeEngine records what Run hands it and returns losses from a script.
type fakeEngine struct {
	cfg    engine.Config
	epochs []engine.Epoch
	losses [][]float32
	evals  int
	params *model.Params
}

func (f *fakeEngine) Name() string                    { return "fake" }
func (f *fakeEngine) Device() string                  { return "none" }
func (f *fakeEngine) SetParams(p *model.Params) error { f.params = p; return nil }
func (f *fakeEngine) Params() (*model.Params, error) {
	if f.params == nil {
		return f.cfg.Arch.NewParams(), nil
	}
	return f.params, nil
}
func (f *fakeEngine) Close() error          { return nil }
func (f *fakeEngine) Config() engine.Config { return f.cfg }
func (f *fakeEngine) Evaluate() (engine.EvalResult, error) {
	f.evals++
	return engine.EvalResult{Loss: 0.5, Correct: 9, N: 10}, nil
}
func (f *fakeEngine) TrainEpoch(e engine.Epoch, progress func(int)) (engine.EpochResult, error) {
	f.epochs = append(f.epochs, engine.Epoch{Order: append([]int32(nil), e.Order...), LR: append([]float32(nil), e.LR...), FirstStep: e.FirstStep})
	l := f.losses[len(f.epochs)-1]
	return engine.EpochResult{StepLoss: l, Correct: 7}, nil
}

func TestRunHandsOverWholeEpochsAndSavesEach(t *testing.T) {
	a, err := model.Parse(model.DefaultPreset)
	require.NoError(t, err)
	f := &fakeEngine{cfg: fakeConfig(a, 10, 4), losses: [][]float32{{1, 2, 3}, {1, 1, 4}}, params: a.NewParams()}
	var saves []string
	var archs []*model.Arch
	opts := Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Seed: 1, Shuffle: true, Save: "x.safetensors",
		SaveFunc: func(path string, a *model.Arch, _ *model.Params, _ *State) error {
			saves, archs = append(saves, path), append(archs, a)
			return nil
		}}
	stats, ev, err := Run(f, opts, nil)
	require.NoError(t, err)
	require.Len(t, f.epochs, 2)
	assert.Len(t, f.epochs[0].Order, 10)
	assert.Equal(t, []float32{0.1, float32(LR(1, 6, 0.1, 0.01)), float32(LR(2, 6, 0.1, 0.01))}, f.epochs[0].LR)
	assert.Equal(t, float32(0.01), f.epochs[1].LR[2])
	assert.Equal(t, 3, f.epochs[1].FirstStep)
	assert.Equal(t, []string{"x.safetensors", "x.safetensors"}, saves)
	assert.Equal(t, []*model.Arch{a, a}, archs, "checkpoints are of the engine's arch")
	require.Len(t, stats, 2)
	assert.InDelta(t, (1*4+2*4+3*2)/10.0, stats[0].TrainLoss, 1e-12, "the last, smaller batch weighs by its size")
	assert.Equal(t, 0.7, stats[0].TrainAcc)
	assert.Equal(t, 0.9, stats[1].TestAcc)
	assert.Equal(t, 9, ev.Correct)
	assert.Equal(t, 2, f.evals)
}

func TestRunStopsOnNaNNamingTheStep(t *testing.T) {
	a, err := model.Parse(model.DefaultPreset)
	require.NoError(t, err)
	nan := float32(math.NaN())
	f := &fakeEngine{cfg: fakeConfig(a, 10, 4), losses: [][]float32{{1, 2, 3}, {1, nan, 4}}, params: a.NewParams()}
	saves := 0
	opts := Options{Epochs: 3, LR0: 0.1, LR1: 0.01, Save: "last.safetensors",
		SaveFunc: func(string, *model.Arch, *model.Params, *State) error { saves++; return nil }}
	stats, _, err := Run(f, opts, nil)
	var d *DivergedError
	require.True(t, errors.As(err, &d), "%v", err)
	assert.Equal(t, 4, d.Step)
	assert.Equal(t, 2, d.Epoch)
	assert.Equal(t, 1, saves, "the diverged epoch is not saved")
	assert.Len(t, stats, 1)
	assert.Contains(t, err.Error(), "loss became NaN at step 5 (epoch 2")
	assert.Contains(t, err.Error(), "try a lower -lr0; last.safetensors still holds the last good epoch")
}

func TestRunWithZeroEpochsOnlyEvaluates(t *testing.T) {
	f := &fakeEngine{cfg: fakeConfig(nil, 10, 4)}
	stats, ev, err := Run(f, Options{Epochs: 0, LR0: 0.1, LR1: 0.1}, nil)
	require.NoError(t, err)
	assert.Empty(t, stats)
	assert.Empty(t, f.epochs)
	assert.Equal(t, 10, ev.N)
}
