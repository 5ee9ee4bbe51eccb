package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/model"
)

// Cases that the other tests of the command left open, each found by a deliberate wrong
// change to the command that all of them let through.

// tinyArchSpec is a network small enough for testdata/idx/tiny's 4×3 images.
const tinyArchSpec = "conv1x1x2,maxpool2,dense10"

// jsonResult runs the command, requires success, and returns its JSON line.
func jsonResult(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, stderr := runTrain(t, append(args, "-json")...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res), out)
	return res
}

// TestFlagBoundsAreInclusive: the ends of every documented flag range pass the flag check
// (the run then stops at the missing data, exit 1, not 2), and just past them do not.
func TestFlagBoundsAreInclusive(t *testing.T) {
	noData := []string{"-data", filepath.Join(t.TempDir(), "none")}
	for _, args := range [][]string{
		{"-batch", "16777216"},
		{"-lr0", "1.1754943508222875e-38"}, // 2^-126, the smallest normal float32
		{"-lr1", "3.4028234663852886e+38"}, // the largest float32
		{"-momentum", "0"},
	} {
		code, _, stderr := runTrain(t, append(args, noData...)...)
		assert.Equal(t, 1, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, `run "make data"`, "%v", args)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-batch", "16777217"}, "-batch 16777217: at most 16777216"},
		{[]string{"-momentum", "-0.1"}, "-momentum -0.1: must be in [0, 1)"},
		{[]string{"-lr0", "1.1754942e-38"}, "-lr0 1.1754942e-38: below 1.18e-38"},
	} {
		code, _, stderr := runTrain(t, append(c.args, noData...)...)
		assert.Equal(t, 2, code, "%v", c.args)
		assertOneLine(t, stderr, c.want)
	}
	t.Setenv("VKCNN_GPU", "-1")
	code, _, stderr := runTrain(t, noData...)
	assert.Equal(t, 2, code)
	assertOneLine(t, stderr, `VKCNN_GPU="-1": want a device index`)
}

// TestNoShuffleKeepsTheOrder: from the same weights, runs with -no-shuffle train on the
// file's order whatever -seed, so they agree; shuffled runs with different seeds do not.
func TestNoShuffleKeepsTheOrder(t *testing.T) {
	data := dataDir(t, nil)
	a, err := model.Build(tinyArchSpec, model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	init := filepath.Join(t.TempDir(), "init.safetensors")
	require.NoError(t, checkpoint.Save(init, a, a.InitParams(3)))
	base := []string{"-data", data, "-device", "cpu", "-init", init, "-epochs", "2", "-batch", "1", "-momentum", "0"}
	losses := func(extra ...string) []any {
		res := jsonResult(t, append(base, extra...)...)
		return []any{res["train_loss"], res["test_loss"]}
	}
	assert.Equal(t, losses("-no-shuffle", "-seed", "1"), losses("-no-shuffle", "-seed", "2"), "-no-shuffle: the seed changes nothing")
	assert.NotEqual(t, losses("-seed", "1"), losses("-seed", "2"), "shuffled: the seed changes the order")
}

// TestLimitTrainsOnTheFirstSamples: -limit N trains on N samples (the JSON and the
// banner say so), -limit of exactly the set's size is allowed, one more is not.
func TestLimitTrainsOnTheFirstSamples(t *testing.T) {
	data := dataDir(t, nil)
	args := []string{"-data", data, "-device", "cpu", "-arch", tinyArchSpec, "-epochs", "1"}
	res := jsonResult(t, append(args, "-limit", "3")...)
	assert.Equal(t, 3.0, res["train_samples"])
	code, out, stderr := runTrain(t, append(args, "-limit", "3")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "; 3 train / ")
	res = jsonResult(t, append(args, "-limit", "5")...)
	assert.Equal(t, 5.0, res["train_samples"])
	code, _, stderr = runTrain(t, append(args, "-limit", "6")...)
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "-limit 6: the training set in "+data+" has only 5 samples")
}

// TestJSONTrainLossIsTheLastEpochs: the JSON's train_loss is the last epoch's.
func TestJSONTrainLossIsTheLastEpochs(t *testing.T) {
	res := jsonResult(t, "-data", dataDir(t, nil), "-device", "cpu", "-arch", tinyArchSpec, "-epochs", "3", "-batch", "1")
	per := res["per_epoch"].([]any)
	require.Len(t, per, 3)
	first, last := per[0].(map[string]any)["train_loss"], per[2].(map[string]any)["train_loss"]
	require.NotEqual(t, first, last, "the epochs differ, or this test shows nothing")
	assert.Equal(t, last, res["train_loss"])
}

// shortWriter writes only half of what it is given, without an error (as a broken
// io.Writer may).
type shortWriter struct{ bytes.Buffer }

func (w *shortWriter) Write(p []byte) (int, error) { return w.Buffer.Write(p[:len(p)/2]) }

// TestShortWriteToStdoutIsAnError: a write that takes fewer bytes than given, with no
// error, lost output all the same.
func TestShortWriteToStdoutIsAnError(t *testing.T) {
	code, stderr := runTimed(t, &shortWriter{}, "-data", dataDir(t, nil), "-device", "cpu", "-arch", tinyArchSpec, "-epochs", "0")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: writing to stdout: short write")
}

// TestInitWithInfiniteWeights: -init refuses an infinite weight as it refuses a NaN. The
// file is a finite checkpoint with one weight's bytes changed to −Inf (a save refuses to
// write one).
func TestInitWithInfiniteWeights(t *testing.T) {
	a, err := model.Build(tinyArchSpec, model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	p := a.InitParams(1)
	const marker = 1234.5
	p.Tensors[2].Data[4] = marker
	path := filepath.Join(t.TempDir(), "inf.safetensors")
	require.NoError(t, checkpoint.Save(path, a, p))
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	le := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	require.Equal(t, 1, bytes.Count(file, le(marker)))
	require.NoError(t, os.WriteFile(path, bytes.Replace(file, le(marker), le(float32(math.Inf(-1))), 1), 0o644))
	code, _, stderr := runTrain(t, "-data", dataDir(t, nil), "-device", "cpu", "-init", path)
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "fc1.weight[4] is -Inf; training needs finite weights")
}

// TestMomentumReachesTheEngine: from the same weights and order, -momentum 0.9 trains
// differently from -momentum 0 (the flag is handed to the engine, not only printed).
func TestMomentumReachesTheEngine(t *testing.T) {
	args := []string{"-data", dataDir(t, nil), "-device", "cpu", "-arch", tinyArchSpec, "-epochs", "2", "-batch", "1", "-no-shuffle"}
	plain := jsonResult(t, append(args, "-momentum", "0")...)
	heavy := jsonResult(t, append(args, "-momentum", "0.9")...)
	assert.NotEqual(t, plain["train_loss"], heavy["train_loss"])
	assert.NotEqual(t, plain["test_loss"], heavy["test_loss"])
}
