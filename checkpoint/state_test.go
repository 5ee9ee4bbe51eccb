package checkpoint

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// runState is a state with every field set to a value that shows a lossy round trip.
func runState(a *model.Arch) *train.State {
	v := a.NewParams()
	for k, t := range v.Tensors {
		for j := range t.Data {
			t.Data[j] = float32(j+1) / float32(3+k) // not exact in decimal
		}
	}
	return &train.State{Epochs: 5, TotalSteps: 40, LR0: 0.1 / 3, LR1: 1e-300 * 1e-8, Momentum: float64(float32(0.9)),
		Batch: 64, Samples: 512, Seed: math.MaxUint64, Shuffle: true, Epoch: 2, Step: 3,
		LossSum: 1234.5678901234567, Correct: 321, Seconds: 0.1 + 0.2, FirstLosses: []float32{2.3025851, 1.0 / 3},
		Velocity: v}
}

// TestStateRoundTrip: SaveState writes the run's state — every field bit for bit, the
// momentum buffers as optim.momentum.* tensors — and the caller's run.* keys; State reads
// it back; Load, as -init does, reads the weights and skips the momentum.
func TestStateRoundTrip(t *testing.T) {
	a := tinyArch(t)
	p := tinyParams(a)
	s := runState(a)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	tg, err := Lock(path)
	require.NoError(t, err)
	require.NoError(t, tg.SaveState(a, p, s, map[string]string{"run.limit": "512", "run.epochs": "99"}))
	require.NoError(t, tg.Close())

	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	got, meta, err := r.State(a)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	assert.Equal(t, "512", meta["run.limit"])
	assert.Equal(t, "5", meta["run.epochs"], "the state's own keys win")
	q, err := r.Load(a)
	require.NoError(t, err)
	assert.Equal(t, bits(p), bits(q))
	assert.Contains(t, r.h.names, "optim.momentum.fc1.bias")

	s.Momentum, s.Velocity = 0, nil // plain SGD: no buffers
	require.NoError(t, Save(path, a, p))
	r2, err := Open(path)
	require.NoError(t, err)
	defer r2.Close()
	_, _, err = r2.State(a)
	assert.True(t, errors.Is(err, ErrNoState), "%v", err)
}

// TestSaveRefusesNonFinite: a NaN or an infinity in the parameters or the momentum is
// one line naming the value, and the checkpoint keeps its last content.
func TestSaveRefusesNonFinite(t *testing.T) {
	a := tinyArch(t)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, Save(path, a, tinyParams(a)))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	p := tinyParams(a)
	_, b := p.Layer(1)
	b[3] = float32(math.Inf(-1))
	assert.EqualError(t, Save(path, a, p), "checkpoint "+path+": fc1.bias[3] is -Inf; not saved (the weights are no longer finite: the run diverged)")
	s := runState(a)
	s.Velocity.Tensors[0].Data[4] = float32(math.NaN())
	tg, err := Lock(path)
	require.NoError(t, err)
	assert.EqualError(t, tg.SaveState(a, tinyParams(a), s, nil), "checkpoint "+path+": optim.momentum.conv1.weight[4] is NaN; not saved (the weights are no longer finite: the run diverged)")
	require.NoError(t, tg.Close())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}

// TestLoadSkipsOnlyMomentumOfItsParameters: Load skips optim.momentum.NAME of a parameter
// NAME with its shape, and nothing else: another optim.* tensor, or one of the wrong
// shape, is an unexpected tensor.
func TestLoadSkipsOnlyMomentumOfItsParameters(t *testing.T) {
	a := tinyArch(t)
	s := runState(a)
	file, err := encodeState(a, tinyParams(a), s, nil)
	require.NoError(t, err)
	_, err = decode(file, a)
	require.NoError(t, err)
	bad := editHeader(t, file, `"optim.momentum.fc1.bias"`, `"optim.momentum.fc9.bias"`)
	_, err = decode(bad, a)
	assert.EqualError(t, err, "unexpected tensor optim.momentum.fc9.bias (arch "+a.Name+" has 4 tensors)")
	bad = editHeader(t, file, `"optim.momentum.fc1.bias":{"dtype":"F32","shape":[10]`, `"optim.momentum.fc1.bias":{"dtype":"F32","shape":[2,5]`)
	_, err = decode(bad, a)
	assert.EqualError(t, err, "unexpected tensor optim.momentum.fc1.bias (arch "+a.Name+" has 4 tensors)")
}

// TestStateRefusesBadMetadata: a run key that does not parse is one line naming it.
func TestStateRefusesBadMetadata(t *testing.T) {
	a := tinyArch(t)
	file, err := encodeState(a, tinyParams(a), runState(a), nil)
	require.NoError(t, err)
	for _, c := range [][3]string{
		{`"run.batch":"64"`, `"run.batch":"0x"`, `metadata run.batch="0x": want an integer of at least 1`},
		{`"run.lr0":"0.03333333333333333"`, `"run.lr0":"NaN"`, `metadata run.lr0="NaN": want a finite number`},
		{`"run.shuffle":"true"`, `"run.shuffle":"yes"`, `metadata run.shuffle="yes": want true or false`},
	} {
		bad := editHeader(t, file, c[0], c[1])
		r, err := newReader(bytes.NewReader(bad), int64(len(bad)))
		require.NoError(t, err)
		_, err = r.state(a)
		assert.EqualError(t, err, c[2])
	}
}
