package train_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// lossOff is an engine whose step losses are off by a fixed amount.
type lossOff struct {
	engine.Engine
	by float32
}

func (l *lossOff) Momentum() (*model.Params, error) { return l.Engine.(engine.OptimState).Momentum() }
func (l *lossOff) SetMomentum(v *model.Params) error {
	return l.Engine.(engine.OptimState).SetMomentum(v)
}
func (l *lossOff) TrainEpoch(ep engine.Epoch, p func(int)) (engine.EpochResult, error) {
	res, err := l.Engine.TrainEpoch(ep, p)
	for i := range res.StepLoss {
		res.StepLoss[i] += l.by
	}
	return res, err
}

// lrOff is an engine whose updates use a learning rate off by a factor: a broken update.
type lrOff struct {
	engine.Engine
	by float32
}

func (l *lrOff) Momentum() (*model.Params, error) { return l.Engine.(engine.OptimState).Momentum() }
func (l *lrOff) SetMomentum(v *model.Params) error {
	return l.Engine.(engine.OptimState).SetMomentum(v)
}
func (l *lrOff) TrainEpoch(ep engine.Epoch, p func(int)) (engine.EpochResult, error) {
	ep.LR = append([]float32(nil), ep.LR...)
	for i := range ep.LR {
		ep.LR[i] *= l.by
	}
	return l.Engine.TrainEpoch(ep, p)
}

// TestVerifyChecksEveryNthStep: with Every 5, the steps 4, 9, 14, … of a run are re-run on
// the reference engine; two equal engines agree, and the run's weights are those of a run
// without Verify (the segments change nothing). A run engine whose update or loss is wrong
// stops the run at the first checked step with one line naming the step, the tensor and
// the difference.
func TestVerifyChecksEveryNthStep(t *testing.T) {
	opts := train.Options{Epochs: 2, LR0: 0.1, LR1: 0.01, Seed: 3, Shuffle: true}
	plain := newCPU(t)
	_, _, err := train.Run(plain, opts, nil)
	require.NoError(t, err)
	want, err := plain.Params()
	require.NoError(t, err)

	e := newCPU(t)
	o := opts
	o.Verify = &train.Verify{Every: 5, Ref: newCPU(t)}
	stats, _, err := train.Run(e, o, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, stats[0].VerifiedSteps, "steps 4, 9, 14 of 0..15")
	assert.Equal(t, 3, stats[1].VerifiedSteps, "steps 19, 24, 29 of 16..31")
	got, err := e.Params()
	require.NoError(t, err)
	assert.Equal(t, want, got)

	o.Verify = &train.Verify{Every: 5, Ref: newCPU(t)}
	_, _, err = train.Run(&lrOff{Engine: newCPU(t), by: 1.05}, o, nil)
	var ve *train.VerifyError
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Equal(t, 4, ve.Step)
	assert.Equal(t, "update of conv1.weight", ve.Tensor)
	assert.InDelta(t, 0.05, ve.Diff, 1e-4, "the update is 5%% off")
	assert.Regexp(t, `^verify: step 5: update of conv1.weight differs by 0.05 \(relative, over the tensor\) > 0.02 allowed between cpu and cpu; most at \[\d+\]: \S+ against \S+; the cpu engine computed a wrong result$`, err.Error())
	o.Verify = &train.Verify{Every: 5, Ref: newCPU(t)}
	_, _, err = train.Run(&lrOff{Engine: newCPU(t), by: 1.01}, o, nil)
	require.NoError(t, err, "1% off is within the tolerance of 2%")

	o.Verify = &train.Verify{Every: 5, Ref: newCPU(t)}
	_, _, err = train.Run(&lossOff{Engine: newCPU(t), by: 1e-4}, o, nil)
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Regexp(t, `^verify: step 5: the loss is \S+ on cpu and \S+ on cpu: \|diff\| \S+ > \S+ allowed; the cpu engine computed a wrong result$`, err.Error())
}
