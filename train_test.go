package vkcnn_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn"
	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/model"
)

// barsData writes a 28×28 IDX data set of n training and n/4 test images to a temporary
// folder: digit k is a bright vertical bar 2 px wide at column 3+2k, rows 4..23, so that
// any network learns it in an epoch. It returns the folder and the test images (784
// values each, as PredictPrepared takes them) with their labels.
func barsData(t *testing.T, n int) (string, []float32, []int) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, magic uint32, count int, dims []uint32, body []byte) {
		var b []byte
		b = binary.BigEndian.AppendUint32(b, magic)
		b = binary.BigEndian.AppendUint32(b, uint32(count))
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), append(b, body...), 0o644))
	}
	set := func(prefix string, count int) ([]byte, []byte) {
		imgs, labels := make([]byte, count*784), make([]byte, count)
		for i := range count {
			k := (i*7 + i/10) % 10
			labels[i] = byte(k)
			for y := 4; y < 24; y++ {
				imgs[i*784+y*28+3+2*k] = 255
				imgs[i*784+y*28+4+2*k] = 200 + byte(i%50)
			}
		}
		write(prefix+"-images-idx3-ubyte", 0x803, count, []uint32{28, 28}, imgs)
		write(prefix+"-labels-idx1-ubyte", 0x801, count, nil, labels)
		return imgs, labels
	}
	set("train", n)
	imgs, labels := set("t10k", n/4)
	x := make([]float32, len(imgs))
	for i, v := range imgs {
		x[i] = float32(v) / 255
	}
	ls := make([]int, len(labels))
	for i, l := range labels {
		ls[i] = int(l)
	}
	return dir, x, ls
}

// TestTrainLearnsAndReports: Train returns a model that classifies the data it learnt, and
// reports every epoch's start, progress in order, and its end with the stats.
func TestTrainLearnsAndReports(t *testing.T) {
	data, x, labels := barsData(t, 400)
	o := vkcnn.DefaultTrainOptions()
	o.Data, o.Epochs, o.Batch, o.Arch = data, 2, 16, "conv3x3x4,relu,maxpool2,dense10"
	var got []vkcnn.Progress
	m, err := vkcnn.Train(context.Background(), o, func(p vkcnn.Progress) { got = append(got, p) })
	require.NoError(t, err)
	ps, err := m.PredictPrepared(x)
	require.NoError(t, err)
	right := 0
	for i, p := range ps {
		if p.Digit == labels[i] {
			right++
		}
	}
	assert.Equal(t, len(ps), right, "test images classified right")

	var ends []*vkcnn.EpochStats
	last := vkcnn.Progress{Epoch: 1}
	for _, p := range got {
		require.Equal(t, 2, p.Epochs)
		require.Equal(t, 400, p.Samples)
		if p.Epoch == last.Epoch {
			require.GreaterOrEqual(t, p.SamplesDone, last.SamplesDone, "progress went back: %+v after %+v", p, last)
		} else {
			require.Equal(t, last.Epoch+1, p.Epoch)
			require.Equal(t, 0, p.SamplesDone)
		}
		if p.Stats != nil {
			require.Equal(t, 400, p.SamplesDone)
			ends = append(ends, p.Stats)
		}
		last = p
	}
	require.Len(t, ends, 2)
	assert.Equal(t, 2, ends[1].Epoch)
	assert.Equal(t, 1.0, ends[1].TestAcc)
	assert.Greater(t, len(got), 10, "progress calls")
}

// TestTrainCancelKeepsTheCheckpoint: cancelling the context in the middle of the second
// epoch stops the run within a step; Train returns the model as it is and an error that
// wraps context.Canceled, and the checkpoint holds those very weights with the position
// where it stopped.
func TestTrainCancelKeepsTheCheckpoint(t *testing.T) {
	data, x, _ := barsData(t, 400)
	o := vkcnn.DefaultTrainOptions()
	o.Data, o.Epochs, o.Batch, o.Arch = data, 5, 4, "conv3x3x4,relu,maxpool2,dense10"
	o.Save = filepath.Join(t.TempDir(), "m.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls, afterCancel := 0, 0
	m, err := vkcnn.Train(ctx, o, func(p vkcnn.Progress) {
		calls++
		if ctx.Err() != nil {
			afterCancel++
		}
		if p.Epoch == 2 && p.SamplesDone >= 200 {
			cancel()
		}
	})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Contains(t, err.Error(), "vkcnn: training stopped in epoch 2 after step")
	require.NotNil(t, m, "no model from a cancelled run")
	assert.Equal(t, 0, afterCancel, "progress calls after the cancel (of %d)", calls)

	r, err := checkpoint.Open(o.Save)
	require.NoError(t, err)
	defer r.Close()
	a, err := r.Arch(model.MNISTInput, 10)
	require.NoError(t, err)
	s, _, err := r.State(a)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Epoch, "epochs done")
	assert.Equal(t, 50, s.Step, "steps of epoch 2 done: the cancel came after its 50th")

	saved, err := vkcnn.Load(o.Save)
	require.NoError(t, err)
	want, err := m.PredictPrepared(x)
	require.NoError(t, err)
	have, err := saved.PredictPrepared(x)
	require.NoError(t, err)
	assert.Equal(t, want, have, "the checkpoint's model is not the returned one")
	_, err = os.Stat(o.Save + ".lock")
	assert.True(t, os.IsNotExist(err), "lock file left: %v", err)
}

// TestTrainBadOptions: each unusable option is an error naming the field, before any data
// is read; a cancelled context trains nothing.
func TestTrainBadOptions(t *testing.T) {
	data, _, _ := barsData(t, 40)
	for _, c := range []struct {
		change func(*vkcnn.TrainOptions)
		want   string
	}{
		{func(o *vkcnn.TrainOptions) { o.Epochs = 0 }, "vkcnn: TrainOptions.Epochs 0: at least 1"},
		{func(o *vkcnn.TrainOptions) { o.Batch = 0 }, "vkcnn: TrainOptions.Batch 0: at least 1"},
		{func(o *vkcnn.TrainOptions) { o.LR1 = 0 }, "vkcnn: TrainOptions.LR0 0.05, LR1 0: each in (0, 1000]"},
		{func(o *vkcnn.TrainOptions) { o.Momentum = 1 }, "vkcnn: TrainOptions.Momentum 1: in [0, 1)"},
		{func(o *vkcnn.TrainOptions) { o.Limit = 41 }, "vkcnn: TrainOptions.Limit 41: the training set in " + data + " has 40 samples"},
		{func(o *vkcnn.TrainOptions) { o.Arch = "conv3x3x4,dense9" }, "vkcnn: TrainOptions.Arch: "},
		{func(o *vkcnn.TrainOptions) { o.Data = filepath.Join(data, "none") }, "none"},
		{func(o *vkcnn.TrainOptions) { o.Save = data }, "vkcnn: TrainOptions.Save " + data + ": "},
	} {
		o := vkcnn.DefaultTrainOptions()
		o.Data, o.Epochs = data, 1
		c.change(&o)
		m, err := vkcnn.Train(context.Background(), o, nil)
		assert.Nil(t, m)
		if assert.Error(t, err, c.want) {
			assert.True(t, strings.HasPrefix(err.Error(), c.want) || (c.want == "none" && strings.Contains(err.Error(), c.want)), "%q, want %q", err, c.want)
			assert.NotContains(t, err.Error(), "\n")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := vkcnn.DefaultTrainOptions()
	o.Data = data
	m, err := vkcnn.Train(ctx, o, func(vkcnn.Progress) { t.Error("progress of a run that should not start") })
	assert.Nil(t, m)
	assert.ErrorIs(t, err, context.Canceled)
}
