package train_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// randomSet is n random 8×8 images with random labels.
func randomSet(n int, seed uint64) *engine.Dataset {
	src := rng.New(seed)
	d := &engine.Dataset{Images: make([]float32, n*64), Labels: make([]uint8, n), N: n, H: 8, W: 8}
	for i := range d.Images {
		d.Images[i] = float32(src.Intn(256)) / 255
	}
	for i := range d.Labels {
		d.Labels[i] = uint8(src.Intn(10))
	}
	return d
}

// newCPU builds a CPU engine for a small network on 61 random samples, batch 4 (16 steps
// an epoch, the last of one sample), with dropout, from the weights of seed 5.
func newCPU(t *testing.T) engine.Engine {
	a, err := model.Build("conv3x3x4,relu,maxpool2,dropout0.3,dense10", model.Shape{C: 1, H: 8, W: 8}, 10)
	require.NoError(t, err)
	e, err := cpu.New(engine.Config{Arch: a, Batch: 4, Momentum: 0.9, Seed: 9, Train: randomSet(61, 1), Test: randomSet(20, 2)})
	require.NoError(t, err)
	require.NoError(t, e.SetParams(a.InitParams(5)))
	return e
}

// stopAfter is a Reporter that closes stop once the run has done samples samples of
// epoch epoch (the CPU engine reports progress after every step of a 16-step epoch).
type stopAfter struct {
	epoch, samples, cur int
	stop                chan struct{}
}

func (s *stopAfter) EpochStart(epoch, _, _ int) { s.cur = epoch }
func (s *stopAfter) Progress(done int) {
	if s.cur == s.epoch && done >= s.samples && s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
}
func (s *stopAfter) EpochEnd(train.EpochStats) {}

// TestStopAnywhereThenResumeIsExact: a 4-epoch run stopped at an epoch boundary or after
// any step inside an epoch, then resumed from the state it saved (momentum, position,
// the unfinished epoch's statistics), ends with the uninterrupted run's weights, momentum,
// last epoch's statistics and fingerprints.
func TestStopAnywhereThenResumeIsExact(t *testing.T) {
	opts := train.Options{Epochs: 4, LR0: 0.1, LR1: 0.01, Seed: 3, Shuffle: true}
	whole := newCPU(t)
	wantStats, _, err := train.Run(whole, opts, nil)
	require.NoError(t, err)
	wantP, err := whole.Params()
	require.NoError(t, err)
	wantV, err := whole.(engine.OptimState).Momentum()
	require.NoError(t, err)
	for _, at := range [][2]int{{1, 4}, {2, 32}, {2, 60}, {3, 61}, {4, 57}} {
		e := newCPU(t)
		var saved *train.State
		var savedP *model.Params
		o := opts
		o.Save = "mem"
		o.SaveFunc = func(_ string, _ *model.Arch, p *model.Params, s *train.State) error {
			saved, savedP = s, p.Clone()
			return nil
		}
		stop := make(chan struct{})
		o.Stop = stop
		_, _, err := train.Run(e, o, &stopAfter{epoch: at[0], samples: at[1], stop: stop})
		var se *train.StoppedError
		require.True(t, errors.As(err, &se), "stop at %v: %v", at, err)
		assert.Equal(t, "mem", se.Saved)
		require.NotNil(t, saved)
		assert.Equal(t, [2]int{se.Epoch, se.Step}, [2]int{saved.Epoch, saved.Step})
		if at[1] < 61 {
			assert.Equal(t, [2]int{at[0] - 1, (at[1] + 3) / 4}, [2]int{se.Epoch, se.Step}, "stopped after the step in progress")
		} else {
			assert.Equal(t, [2]int{at[0], 0}, [2]int{se.Epoch, se.Step}, "stopped at the end of the epoch")
		}

		r := newCPU(t)
		require.NoError(t, r.SetParams(savedP))
		o = opts
		o.Resume = saved
		stats, _, err := train.Run(r, o, nil)
		require.NoError(t, err, "stop at %v", at)
		p, err := r.Params()
		require.NoError(t, err)
		v, err := r.(engine.OptimState).Momentum()
		require.NoError(t, err)
		assert.Equal(t, wantP, p, "stop at %v: weights", at)
		assert.Equal(t, wantV, v, "stop at %v: momentum", at)
		require.NotEmpty(t, stats)
		last, want := stats[len(stats)-1], wantStats[len(wantStats)-1]
		last.Seconds, last.SamplesPerSecond, want.Seconds, want.SamplesPerSecond = 0, 0, 0, 0
		assert.Equal(t, want, last, "stop at %v: the last epoch's statistics", at)
		assert.Equal(t, train.Fingerprint(wantP), last.Fingerprint)
	}
}

// TestResumeRefusesAnotherRunsState: a state whose settings are not the run's, or with a
// position past its end, is refused before any step.
func TestResumeRefusesAnotherRunsState(t *testing.T) {
	opts := train.Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Seed: 3, Shuffle: true}
	good := &train.State{Epochs: 2, TotalSteps: 32, LR0: 0.1, LR1: 0.01, Momentum: float64(float32(0.9)), Batch: 4, Samples: 61, Seed: 3, Shuffle: true, Epoch: 1,
		Velocity: newCPU(t).Config().Arch.NewParams()}
	o := opts
	o.Resume = good
	_, _, err := train.Run(newCPU(t), o, nil)
	require.NoError(t, err)
	done := *good
	done.Epoch = 2
	o.Resume = &done
	stats, ev, err := train.Run(newCPU(t), o, nil)
	require.NoError(t, err)
	assert.Empty(t, stats)
	assert.Equal(t, 20, ev.N, "a finished run's state: evaluated, nothing trained")
	for _, bad := range []func(s *train.State){
		func(s *train.State) { s.Seed = 4 },
		func(s *train.State) { s.Batch = 8 },
		func(s *train.State) { s.Step = 16 },
		func(s *train.State) { s.Velocity = nil },
	} {
		s := *good
		bad(&s)
		o.Resume = &s
		_, _, err := train.Run(newCPU(t), o, nil)
		assert.ErrorContains(t, err, "resume: ")
	}
}

// explodingEngine is a CPU engine whose parameters go to +Inf (infParams) or whose step
// losses are scaled (lossScale) after its first epoch.
type explodingEngine struct {
	engine.Engine
	epochs    int
	infParams bool
	lossScale float32
}

func (x *explodingEngine) Momentum() (*model.Params, error) {
	return x.Engine.(engine.OptimState).Momentum()
}

func (x *explodingEngine) SetMomentum(v *model.Params) error {
	return x.Engine.(engine.OptimState).SetMomentum(v)
}

func (x *explodingEngine) TrainEpoch(ep engine.Epoch, p func(int)) (engine.EpochResult, error) {
	res, err := x.Engine.TrainEpoch(ep, p)
	if x.epochs++; x.epochs > 1 {
		for i := range res.StepLoss {
			res.StepLoss[i] *= x.lossScale
		}
	}
	return res, err
}

func (x *explodingEngine) Params() (*model.Params, error) {
	p, err := x.Engine.Params()
	if err == nil && x.infParams && x.epochs > 1 {
		p.Tensors[1].Data[2] = float32(math.Inf(-1))
	}
	return p, err
}

// TestExplodingRunStops: an epoch whose mean loss is over max(10× the first steps' least,
// 3·ln 10) stops the run though no loss is NaN, and so do weights that are no longer
// finite; the diverged epoch is not saved.
func TestExplodingRunStops(t *testing.T) {
	for _, c := range []struct {
		x    *explodingEngine
		want string
	}{
		{&explodingEngine{lossScale: 40}, "diverged: epoch 2's mean train loss"},
		{&explodingEngine{lossScale: 1, infParams: true}, "parameter conv1.bias[2] became -Inf in epoch 2"},
	} {
		c.x.Engine = newCPU(t)
		saves := 0
		o := train.Options{Epochs: 3, LR0: 0.1, LR1: 0.01, Seed: 3, Save: "last.safetensors",
			SaveFunc: func(string, *model.Arch, *model.Params, *train.State) error { saves++; return nil }}
		stats, _, err := train.Run(c.x, o, nil)
		var d *train.DivergedError
		require.True(t, errors.As(err, &d), "%v", err)
		assert.Contains(t, err.Error(), c.want)
		assert.Contains(t, err.Error(), "last.safetensors still holds the last good epoch")
		assert.Equal(t, 1, saves)
		assert.Len(t, stats, 1)
	}
	c := &explodingEngine{Engine: newCPU(t), lossScale: 2} // high, but not running away
	_, _, err := train.Run(c, train.Options{Epochs: 3, LR0: 0.1, LR1: 0.01, Seed: 3}, nil)
	assert.NoError(t, err)
	assert.Equal(t, 3*math.Log(10), train.ExplodedLimit([]float32{0.01, 0.02}, 10), "from trained weights, 3·ln K")
	assert.InDelta(t, 22.0, train.ExplodedLimit([]float32{2.4, 2.2, 3e5}, 10), 1e-5, "from a fresh init, 10× the first steps' smallest")
}

// TestFingerprintIsTheWeightsBytes: the fingerprint is the first 16 hex digits of the
// SHA-256 of the values as float32 little-endian in the parameters' order, and reruns with
// one seed give the same fingerprints, another seed others.
func TestFingerprintIsTheWeightsBytes(t *testing.T) {
	p := &model.Params{Tensors: []model.Tensor{{Name: "a", Data: []float32{1}}, {Name: "b", Data: []float32{-2}}}}
	// sha256 of 00 00 80 3f 00 00 00 c0
	assert.Equal(t, "ee4ac73c2bd27756", train.Fingerprint(p))
	run := func(seed uint64) []string {
		stats, _, err := train.Run(newCPU(t), train.Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Seed: seed, Shuffle: true}, nil)
		require.NoError(t, err)
		return []string{stats[0].Fingerprint, stats[1].Fingerprint}
	}
	a, b, c := run(3), run(3), run(4)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a[1], c[1])
	assert.NotEqual(t, a[0], a[1])
}
