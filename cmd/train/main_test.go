package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/model"
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
	// checkpoint.Save refuses NaN: write good weights, then a NaN over conv1.weight[1].
	diverged := filepath.Join(t.TempDir(), "diverged.safetensors")
	require.NoError(t, checkpoint.Save(diverged, tinyArch, tinyArch.InitParams(1)))
	nanFile, err := os.ReadFile(diverged)
	require.NoError(t, err)
	dataAt := 8 + int(binary.LittleEndian.Uint64(nanFile))
	binary.LittleEndian.PutUint32(nanFile[dataAt+4:], math.Float32bits(float32(math.NaN())))
	require.NoError(t, os.WriteFile(diverged, nanFile, 0o644))

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
		{"empty -save", []string{"-save", ""}, 2, `-save "": an empty path (an unset variable?)`},
		{"empty -init", []string{"-init", ""}, 2, `-init "": an empty path`},
		{"empty -data", []string{"-data", ""}, 2, `-data "": an empty path`},
		{"empty -metrics", []string{"-metrics", ""}, 2, `-metrics "": an empty path`},
		{"negative -gpu", []string{"-gpu", "-5", "-device", "gpu"}, 2, "-gpu -5: want a device index (0, 1, …)"},
		{"huge arch", []string{"-data", tiny, "-arch", "conv1x1x4096:same,dense65536,dense10"}, 1, `-arch: arch "conv1x1x4096:same,dense65536,dense10": layer 2 "dense65536" on input 4096×4×3: 3221291008 parameters bring the network to 3221299200, more than 2^26`},
		{"huge epochs", []string{"-epochs", "1844674407370955162"}, 2, "-epochs 1844674407370955162: a run has at most 2147483647 steps in all"},
		{"epochs × steps over 2^31", []string{"-data", tiny, "-batch", "1", "-epochs", "2147483647"}, 1, "-epochs 2147483647: 2147483647 epochs of 5 steps are more than 2147483647 steps in all"},
		{"subnormal lr0", []string{"-lr0", "1e-320"}, 2, "-lr0 1e-320: below 1.18e-38, the smallest normal float32 (the engines compute in float32)"},
		{"lr1 beyond float32", []string{"-lr1", "1e39"}, 2, "-lr1 1e+39: above 3.4e+38, the largest float32"},
		{"profile on the cpu", []string{"-device", "cpu", "-profile"}, 2, "-profile: GPU timestamps only; the cpu engine has none (use -device gpu)"},
		{"init path with a newline", []string{"-data", tiny, "-init", "/no/such\nfile.safetensors"}, 1, `such\nfile`},
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

// runTimed is runTrain that fails the test when the command has not returned within 10 s
// (an open of a named pipe that nobody writes blocks forever). stdout is out.
func runTimed(t *testing.T, out io.Writer, args ...string) (int, string) {
	t.Helper()
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, out, &errOut) }()
	select {
	case code := <-done:
		return code, errOut.String()
	case <-time.After(10 * time.Second):
		t.Fatalf("train %v: still running after 10 s", args)
		return 0, ""
	}
}

// assertOneLine checks that stderr is one line holding want, with no stack trace.
func assertOneLine(t *testing.T, stderr, want string) {
	t.Helper()
	assert.Contains(t, stderr, want)
	assert.Len(t, strings.Split(strings.TrimRight(stderr, "\n"), "\n"), 1, "one line: %q", stderr)
	assert.NotContains(t, stderr, "goroutine", "no stack trace")
}

// TestDataFileThatIsAFIFO: a named pipe as a data file is refused at once, not read
// (which blocks until some other process writes it).
func TestDataFileThatIsAFIFO(t *testing.T) {
	dir := dataDir(t, nil)
	fifo := filepath.Join(dir, "t10k-labels-idx1-ubyte")
	require.NoError(t, os.Remove(fifo))
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	t.Cleanup(func() { // lets a blocked open go, should the check fail
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	code, stderr := runTimed(t, io.Discard, "-data", dir, "-device", "cpu", "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: mnist: "+fifo+": a named pipe (FIFO), not a regular file")
}

// TestBothSetsBrokenInAnOddFolder: a broken training set and a broken test set, in a
// folder whose name holds a newline, make one line on stderr naming both.
func TestBothSetsBrokenInAnOddFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mn\nist")
	require.NoError(t, os.Mkdir(dir, 0o755))
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/idx/tiny", name))
		require.NoError(t, err)
		if strings.Contains(name, "labels") {
			b = b[:len(b)-1] // the gzip trailer, or one label, short
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	code, stderr := runTimed(t, io.Discard, "-data", dir, "-device", "cpu")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, `mn\nist/train-labels-idx1-ubyte.gz": the gzip stream ends before its trailer`)
	assert.Contains(t, stderr, `; mnist: "`, "the second set's error, on the same line")
	assert.Contains(t, stderr, `mn\nist/t10k-labels-idx1-ubyte": header promises 2 labels`)
}

// TestSingleLine: whatever reaches run's error line, a newline or a carriage return in it
// is written escaped, so stderr stays one line.
func TestSingleLine(t *testing.T) {
	assert.Equal(t, `checkpoint a\nb: bad\r`, singleLine("checkpoint a\nb: bad\r"))
	assert.Equal(t, "plain: é ok", singleLine("plain: é ok"))
	assert.Equal(t, "x", showPath("x"))
	assert.Equal(t, `"a\nb"`, showPath("a\nb"))
}

// failingWriter accepts the first n bytes, then fails every write as a full disk does.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, syscall.ENOSPC
	}
	w.n -= len(p)
	return len(p), nil
}

// TestLostStdoutIsAnError: when stdout cannot be written, the run exits 1 with one line
// saying so, whether the first line fails (/dev/full: before any training) or only the
// JSON at the end.
func TestLostStdoutIsAnError(t *testing.T) {
	args := []string{"-data", dataDir(t, nil), "-device", "cpu", "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "1", "-json"}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	require.NoError(t, err)
	defer full.Close()
	code, stderr := runTimed(t, full, args...)
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: writing to stdout: write /dev/full: no space left on device")

	var out bytes.Buffer
	code, stderr = runTimed(t, &out, args...)
	require.Equal(t, 0, code, stderr)
	lastLine := strings.LastIndex(strings.TrimSuffix(out.String(), "\n"), "\n") + 1
	code, stderr = runTimed(t, &failingWriter{n: lastLine + 10}, args...) // all but the JSON line
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: writing to stdout: no space left on device")
}

// TestCPURunIgnoresVKCNNGPU: VKCNN_GPU selects a Vulkan device; with -device cpu it is not
// read, so a value that is no index does not stop the run.
func TestCPURunIgnoresVKCNNGPU(t *testing.T) {
	t.Setenv("VKCNN_GPU", "abc")
	code, out, stderr := runTrain(t, "-data", dataDir(t, nil), "-device", "cpu", "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "test acc")
	code, _, stderr = runTrain(t, "-device", "gpu")
	assert.Equal(t, 2, code)
	assertOneLine(t, stderr, `VKCNN_GPU="abc": want a device index`)
}

// TestProfileNeedsTheGPU: -profile with -device auto either profiles on a GPU or says at
// once, in one line, that it needs one; it never falls back to the CPU first.
func TestProfileNeedsTheGPU(t *testing.T) {
	code, out, stderr := runTrain(t, "-data", dataDir(t, nil), "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0", "-profile")
	if code == 0 {
		assert.Contains(t, out, "on gpu:")
		assert.Contains(t, out, "profile: one training step")
		return
	}
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: -profile: needs the GPU engine, and there is no usable GPU (")
	assert.NotContains(t, stderr, "training on the CPU")
	assert.Empty(t, out, "nothing was built or trained")
}

// TestBatchTooLargeForTheArch: a batch whose activations exceed 2^30 values is refused
// before any engine is built (here the -gpu index would fail next, cheaply).
func TestBatchTooLargeForTheArch(t *testing.T) {
	dir := t.TempDir()
	images := binary.BigEndian.AppendUint32(nil, 0x803)
	labels := binary.BigEndian.AppendUint32(nil, 0x801)
	for _, d := range []uint32{400, 28, 28} {
		images = binary.BigEndian.AppendUint32(images, d)
	}
	images = append(images, make([]byte, 400*28*28)...)
	labels = append(binary.BigEndian.AppendUint32(labels, 400), make([]byte, 400)...)
	for name, b := range map[string][]byte{
		"train-images-idx3-ubyte": images, "train-labels-idx1-ubyte": labels,
		"t10k-images-idx3-ubyte": images, "t10k-labels-idx1-ubyte": labels,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	// Per sample: 784 input + 4096×28×28 conv + 4096 pooled + 10 logits = 3216154 values.
	code, _, stderr := runTrain(t, "-data", dir, "-arch", "conv1x1x4096:same,maxpool28,dense10", "-batch", "400", "-device", "gpu", "-gpu", "99", "-epochs", "0")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, `train: -batch 400: a batch of 400 samples of arch "conv1x1x4096:same,maxpool28,dense10" holds 1286461600 activation values (3216154 per sample), more than 2^30`)
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
	code, out, stderr := runTrain(t, "-data", dataDir(t, nil), "-device", "gpu", "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0")
	if code != 0 && strings.Contains(stderr, "-device gpu:") {
		if os.Getenv("VKCNN_REQUIRE_GPU") == "1" {
			t.Fatalf("GPU needed (VKCNN_REQUIRE_GPU=1): %s", stderr)
		}
		t.Skipf("no GPU: %s", stderr)
	}
	// The GPU engine started: then the probe's run must have worked, and on the GPU.
	require.Equal(t, 0, code, "the GPU probe failed for another reason than a missing GPU: %s", stderr)
	require.Contains(t, out, "on gpu:", "the GPU probe ran on another engine")
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
