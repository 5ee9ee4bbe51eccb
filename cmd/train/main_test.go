package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"vkcnn/checkpoint"
	"vkcnn/model"
)

const realData = "../../data/mnist"

// runTrain runs the command and returns its exit status, stdout and stderr.
func runTrain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// needData skips without real MNIST, or fails when VKCNN_REQUIRE_DATA=1.
func needData(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(realData, "train-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("VKCNN_REQUIRE_DATA") == "1" {
			t.Fatalf("real MNIST needed: %v", err)
		}
		t.Skip("no MNIST; run make data")
	}
}

// dataDir copies the tiny IDX fixture into a temp folder, replacing files as asked.
func dataDir(t *testing.T, replace map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		src := filepath.Join("../../testdata/idx/tiny", name)
		if r, ok := replace[name]; ok {
			src = r
		}
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return dir
}

// TestBadInputIsOneClearLine tries every bad input a user can give and checks the exit
// status and that stderr is a single line naming the thing and the problem.
func TestBadInputIsOneClearLine(t *testing.T) {
	tiny := dataDir(t, nil)
	corrupt := dataDir(t, map[string]string{"train-images-idx3-ubyte.gz": "../../testdata/idx/bad/truncated-images-idx3-ubyte.gz"})
	notCkpt := filepath.Join(t.TempDir(), "notes.safetensors")
	require.NoError(t, os.WriteFile(notCkpt, []byte("hello, this is not a checkpoint at all"), 0o644))
	a, err := model.Build("conv1x1x3,maxpool2,dense10", model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	otherArch := filepath.Join(t.TempDir(), "other.safetensors")
	require.NoError(t, checkpoint.Save(otherArch, a, a.InitParams(1)))
	full, err := os.ReadFile(otherArch)
	require.NoError(t, err)
	truncated := filepath.Join(t.TempDir(), "truncated.safetensors")
	require.NoError(t, os.WriteFile(truncated, full[:len(full)/2], 0o644))
	tinyArch, err := model.Build("conv1x1x2,maxpool2,dense10", model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	nanParams := tinyArch.InitParams(1)
	nanParams.Tensors[0].Data[1] = float32(math.NaN())
	diverged := filepath.Join(t.TempDir(), "diverged.safetensors")
	require.NoError(t, checkpoint.Save(diverged, tinyArch, nanParams))

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing data", []string{"-data", "/no/such/folder"}, 1, `run "make data"`},
		{"corrupt gzip", []string{"-data", corrupt}, 1, "train-images-idx3-ubyte.gz"},
		{"unknown preset", []string{"-data", tiny, "-arch", "lenet-99"}, 1, `unknown preset`},
		{"bad layer string", []string{"-data", tiny, "-arch", "conv1x1x6,wobble,dense10"}, 1, `layer 2 "wobble": unknown layer`},
		{"shape that does not fit", []string{"-data", tiny, "-arch", "conv5x5x6,dense10"}, 1, `layer 1 "conv5x5x6" on input 1×4×3: kernel 5x5 with valid padding does not fit input 4x3`},
		{"preset on images too small", []string{"-data", tiny, "-epochs", "0"}, 1, `arch "lenet-6-12": layer 1 "conv5x5x6" on input 1×4×3`},
		{"zero batch", []string{"-batch", "0"}, 2, "-batch 0: must be at least 1"},
		{"negative batch", []string{"-batch", "-5"}, 2, "-batch -5: must be at least 1"},
		{"huge batch", []string{"-batch", "9223372036854775807"}, 2, "-batch 9223372036854775807: at most 16777216"},
		{"zero lr0", []string{"-lr0", "0"}, 2, "-lr0 0: must be a positive number"},
		{"negative lr1", []string{"-lr1", "-0.1"}, 2, "-lr1 -0.1: must be a positive number"},
		{"momentum 1", []string{"-momentum", "1"}, 2, "-momentum 1: must be in [0, 1)"},
		{"negative epochs", []string{"-epochs", "-1"}, 2, "-epochs -1: must be 0 or more"},
		{"limit beyond the data", []string{"-data", tiny, "-limit", "70000"}, 1, "-limit 70000: the training set in " + tiny + " has only 5 samples"},
		{"negative limit", []string{"-limit", "-1"}, 2, "-limit -1"},
		{"unknown device", []string{"-device", "tpu"}, 2, `-device "tpu": want auto, cpu or gpu`},
		{"unknown flag", []string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{"not a number", []string{"-batch", "many"}, 2, `invalid value "many" for flag -batch`},
		{"stray argument", []string{"extra"}, 2, `unexpected argument "extra"`},
		{"unwritable save folder", []string{"-save", "/no/such/folder/x.safetensors"}, 2, "-save /no/such/folder/x.safetensors: folder /no/such/folder does not exist"},
		{"save onto a folder", []string{"-save", t.TempDir()}, 2, "is a directory"},
		{"init not safetensors", []string{"-data", tiny, "-init", notCkpt}, 1, notCkpt},
		{"init truncated", []string{"-data", tiny, "-init", truncated}, 1, truncated},
		{"init of another arch", []string{"-data", tiny, "-arch", "conv1x1x2,maxpool2,dense10", "-init", otherArch}, 1, `made for arch`},
		{"init with NaN weights", []string{"-data", tiny, "-init", diverged}, 1, "conv1.weight[1] is NaN; training needs finite weights"},
		{"init with a bad arch", []string{"-data", tiny, "-init", otherArch, "-arch", "conv1x1x2,dense11"}, 1, "-arch: arch"},
		{"init missing", []string{"-data", tiny, "-init", "/no/such.safetensors"}, 1, "/no/such.safetensors"},
		{"bad VKCNN_GPU", nil, 2, `VKCNN_GPU="x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "bad VKCNN_GPU" {
				t.Setenv("VKCNN_GPU", "x")
			}
			code, _, stderr := runTrain(t, c.args...)
			assert.Equal(t, c.code, code)
			assert.Contains(t, stderr, c.want)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			assert.Len(t, lines, 1, "one line: %q", stderr)
			assert.NotContains(t, stderr, "goroutine", "no stack trace")
		})
	}
}

// TestTrainSaveEvaluateRoundTrip trains briefly on real MNIST, checks the JSON contract,
// then evaluates the saved checkpoint with -epochs 0 -init and gets the same accuracy.
func TestTrainSaveEvaluateRoundTrip(t *testing.T) {
	needData(t)
	ckpt := filepath.Join(t.TempDir(), "run.safetensors")
	code, out, stderr := runTrain(t, "-data", realData, "-device", "cpu", "-epochs", "1", "-limit", "6000", "-json", "-save", ckpt)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res), "the last line is JSON")
	for _, key := range []string{"test_acc", "test_loss", "train_loss", "epochs", "epoch_seconds", "samples_per_second", "engine", "device", "arch", "params"} {
		assert.Contains(t, res, key)
	}
	assert.Equal(t, "cpu", res["engine"])
	assert.Equal(t, "lenet-6-12", res["arch"])
	assert.Equal(t, 3898.0, res["params"])
	assert.Len(t, res["epoch_seconds"], 1)
	acc := res["test_acc"].(float64)
	assert.Greater(t, acc, 0.85, "6000 samples, one epoch")

	code, out, stderr = runTrain(t, "-data", realData, "-device", "cpu", "-epochs", "0", "-init", ckpt, "-json")
	require.Equal(t, 0, code, stderr)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &ev))
	assert.Equal(t, acc, ev["test_acc"], "the checkpoint holds the trained weights")
}

// TestDivergenceKeepsTheLastGoodCheckpoint: a huge learning rate makes the loss NaN; the
// command names the step, suggests a lower lr, exits non-zero, and -save's file is intact.
func TestDivergenceKeepsTheLastGoodCheckpoint(t *testing.T) {
	needData(t)
	ckpt := filepath.Join(t.TempDir(), "good.safetensors")
	code, _, stderr := runTrain(t, "-data", realData, "-device", "cpu", "-epochs", "1", "-limit", "500", "-save", ckpt)
	require.Equal(t, 0, code, stderr)
	before, err := os.ReadFile(ckpt)
	require.NoError(t, err)
	code, _, stderr = runTrain(t, "-data", realData, "-device", "cpu", "-epochs", "2", "-limit", "500", "-init", ckpt, "-save", ckpt, "-lr0", "3e38", "-lr1", "3e38")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "loss became")
	assert.Contains(t, stderr, "try a lower -lr0")
	assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), 1)
	after, err := os.ReadFile(ckpt)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the last good checkpoint stays")
}

// needGPU fails (VKCNN_REQUIRE_GPU=1) or skips when the GPU engine cannot start.
func needGPU(t *testing.T) {
	t.Helper()
	code, _, stderr := runTrain(t, "-data", dataDir(t, nil), "-device", "gpu", "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0")
	if strings.Contains(stderr, "-device gpu:") {
		if os.Getenv("VKCNN_REQUIRE_GPU") == "1" {
			t.Fatalf("GPU needed (VKCNN_REQUIRE_GPU=1): %s", stderr)
		}
		t.Skipf("no GPU: %s", stderr)
	}
	_ = code
}

// TestGPURunsWriteIdenticalCheckpoints: two GPU runs with one seed, byte-identical files.
func TestGPURunsWriteIdenticalCheckpoints(t *testing.T) {
	needData(t)
	needGPU(t)
	var files [][]byte
	for i := range 2 {
		ckpt := filepath.Join(t.TempDir(), "run.safetensors")
		code, out, stderr := runTrain(t, "-data", realData, "-device", "gpu", "-arch", "lenet-6-12-dropout", "-epochs", "2", "-limit", "640", "-batch", "32", "-save", ckpt, "-seed", "5")
		require.Equal(t, 0, code, "run %d: %s", i, stderr)
		assert.Contains(t, out, "on gpu:")
		b, err := os.ReadFile(ckpt)
		require.NoError(t, err)
		files = append(files, b)
	}
	assert.Equal(t, files[0], files[1])
}

// TestDeviceChoice: -gpu out of range names the devices; auto on a machine whose only
// Vulkan device is a CPU falls back to the CPU engine with one line saying why.
func TestDeviceChoice(t *testing.T) {
	needGPU(t)
	tiny := dataDir(t, nil)
	args := []string{"-data", tiny, "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0"}
	code, _, stderr := runTrain(t, append(args, "-device", "gpu", "-gpu", "99")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "99")
	assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), 1)

	code, out, stderr := runTrain(t, append(args, "-device", "auto")...)
	require.Equal(t, 0, code, stderr)
	if strings.Contains(out, "on cpu:") {
		assert.Contains(t, stderr, "no usable GPU")
		assert.Contains(t, stderr, "training on the CPU")
		assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), 1)
	} else {
		assert.Contains(t, out, "on gpu:")
		assert.Empty(t, stderr)
	}
}
