package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/rng"
)

// resumeNet fits the 8×8 images of synthData.
const resumeNet = "conv3x3x4,relu,maxpool2,dense10"

// init makes the test binary, run as the command (TestMain, VKCNN_TEST_TRAIN_ARGS), signal
// itself after its VKCNN_TEST_SIGNAL_AFTER_SAVE-th save: SIGINT, then it waits until the
// run has seen it, so that the run stops right after that save; with
// VKCNN_TEST_SIGNAL_TWICE=1 it sends a second SIGINT and waits for the process to end.
func init() {
	n, err := strconv.Atoi(os.Getenv("VKCNN_TEST_SIGNAL_AFTER_SAVE"))
	if err != nil {
		return
	}
	saves := 0
	afterSave = func(stop <-chan struct{}) {
		if saves++; saves != n {
			return
		}
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		select {
		case <-stop:
		case <-time.After(20 * time.Second):
			panic("SIGINT not seen")
		}
		if os.Getenv("VKCNN_TEST_SIGNAL_TWICE") == "1" {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			time.Sleep(20 * time.Second)
			panic("the second SIGINT did not end the process")
		}
	}
}

// synthData writes a data folder of n training and 40 test images of 8×8 random pixels
// with random labels (raw IDX files).
func synthData(t *testing.T, n int) string {
	dir := t.TempDir()
	src := rng.New(42)
	write := func(name string, magic uint32, count int, dims ...uint32) {
		b := binary.BigEndian.AppendUint32(nil, magic)
		b = binary.BigEndian.AppendUint32(b, uint32(count))
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		size := count
		for _, d := range dims {
			size *= int(d)
		}
		for range size {
			if magic == 0x801 {
				b = append(b, byte(src.Intn(10)))
			} else {
				b = append(b, byte(src.Intn(256)))
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	write("train-images-idx3-ubyte", 0x803, n, 8, 8)
	write("train-labels-idx1-ubyte", 0x801, n)
	write("t10k-images-idx3-ubyte", 0x803, 40, 8, 8)
	write("t10k-labels-idx1-ubyte", 0x801, 40)
	return dir
}

// child runs the test binary as the command with args and extra environment, and returns
// its exit status and stderr.
func child(t *testing.T, env []string, args ...string) (int, string) {
	js, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "VKCNN_TEST_TRAIN_ARGS="+string(js)), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); !ok {
		require.NoError(t, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// fingerprints returns the per-epoch fingerprints of a -json run's last line.
func fingerprints(t *testing.T, out string) (final string, perEpoch []string) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r struct {
		Fingerprint string `json:"fingerprint"`
		PerEpoch    []struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"per_epoch"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &r))
	for _, e := range r.PerEpoch {
		perEpoch = append(perEpoch, e.Fingerprint)
	}
	return r.Fingerprint, perEpoch
}

// TestSignalThenResumeIsByteIdentical: a 5-epoch run stopped by SIGINT after epoch 2 (in
// a child process) exits 130 with one line naming the checkpoint and the -resume command;
// that command finishes the run with a checkpoint byte for byte the uninterrupted run's,
// on both engines, with the same fingerprints; nothing but the checkpoint is left in its
// folder. Before -resume, -init restarted the schedule with zero momentum and epoch 1's
// order, and ended elsewhere.
func TestSignalThenResumeIsByteIdentical(t *testing.T) {
	data := synthData(t, 150) // batch 4: 38 steps an epoch, the last of 2 samples
	for _, dev := range []string{"cpu", "gpu"} {
		t.Run(dev, func(t *testing.T) {
			if dev == "gpu" {
				needGPU(t)
			}
			dir := t.TempDir()
			full, part := filepath.Join(dir, "full.safetensors"), filepath.Join(dir, "part.safetensors")
			run := []string{"-data", data, "-device", dev, "-arch", resumeNet, "-epochs", "5", "-batch", "4", "-lr0", "0.1", "-lr1", "0.01", "-seed", "3", "-json"}
			code, out, stderr := runTrain(t, append(run, "-save", full)...)
			require.Equal(t, 0, code, stderr)
			wantFinal, wantEpochs := fingerprints(t, out)
			require.Len(t, wantEpochs, 5)

			code, stderr = child(t, []string{"VKCNN_TEST_SIGNAL_AFTER_SAVE=2"}, append(run, "-save", part)...)
			assert.Equal(t, 130, code, stderr)
			assert.Equal(t, "train: stopped by SIGINT after epoch 2; saved "+part+"; continue with: train -resume "+part+" -data "+data+" -device "+dev+"\n", stderr)

			code, out, stderr = runTrain(t, "-resume", part, "-data", data, "-device", dev, "-json")
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, out, "resuming "+part+": 2 of 5 epochs done, going on with epoch 3\n")
			gotFinal, gotEpochs := fingerprints(t, out)
			assert.Equal(t, wantFinal, gotFinal)
			assert.Equal(t, wantEpochs[2:], gotEpochs, "epochs 3 to 5")
			want, err := os.ReadFile(full)
			require.NoError(t, err)
			got, err := os.ReadFile(part)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "the resumed run's checkpoint is not the uninterrupted run's")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 2, "no temporary or lock file left: %v", entries)

			code, _, stderr = runTrain(t, "-resume", part, "-data", data, "-device", dev)
			assert.Equal(t, 1, code)
			assert.Equal(t, "train: -resume "+part+": the run is complete (5 of 5 epochs); -init "+part+" starts a new run from its weights\n", stderr)
			code, _, stderr = runTrain(t, "-init", part, "-data", data, "-device", dev, "-epochs", "0")
			assert.Equal(t, 0, code, "-init loads a run's checkpoint, momentum and all: %s", stderr)
		})
	}
}

// TestSecondSignalStopsAtOnce: a second SIGINT while the first is being handled ends the
// process at once, 130, with one line, and leaves the checkpoint whole and no temporary
// or lock file.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	data := synthData(t, 40)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	code, stderr := child(t, []string{"VKCNN_TEST_SIGNAL_AFTER_SAVE=1", "VKCNN_TEST_SIGNAL_TWICE=1"},
		"-data", data, "-device", "cpu", "-arch", resumeNet, "-epochs", "3", "-save", path)
	assert.Equal(t, 130, code, stderr)
	assert.Equal(t, "train: stopped by SIGINT; -save "+path+" holds the last complete save, if any (nothing half-written)\n", stderr)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "%v", entries)
	code, _, stderr = runTrain(t, "-resume", path, "-data", data, "-device", "cpu")
	assert.Equal(t, 0, code, "the run saved after epoch 1 resumes: %s", stderr)
}

// TestResumeRefusesAnotherRun: a flag that contradicts the checkpoint's run, another
// training set, -init with -resume, and a weights-only file are one line each, exit 1 or
// 2; the flags that match, or are left out, are taken from the file.
func TestResumeRefusesAnotherRun(t *testing.T) {
	data := synthData(t, 60)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	code, stderr := child(t, []string{"VKCNN_TEST_SIGNAL_AFTER_SAVE=1"},
		"-data", data, "-device", "cpu", "-arch", resumeNet, "-epochs", "3", "-batch", "8", "-limit", "50", "-save", path)
	require.Equal(t, 130, code, stderr)
	weightsOnly := filepath.Join(dir, "w.safetensors")
	code, _, stderr = runTrain(t, "-data", data, "-device", "cpu", "-arch", resumeNet, "-epochs", "1", "-save", weightsOnly)
	require.Equal(t, 0, code, stderr)
	// A finished run's file holds a state too: strip it to weights only as PyTorch would write them.
	stripped := filepath.Join(dir, "torch.safetensors")
	require.NoError(t, os.WriteFile(stripped, stripState(t, weightsOnly), 0o644))

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-batch", "16"}, 1, "-batch 16: the run in " + path + " has -batch 8, and -resume continues that run (leave -batch out, or start a new run with -init)"},
		{[]string{"-lr0", "0.1"}, 1, "-lr0 0.1: the run in " + path + " has -lr0 0.05, and -resume continues that run (leave -lr0 out, or start a new run with -init)"},
		{[]string{"-seed", "2"}, 1, "-seed 2: the run in " + path + " has -seed 1, and -resume continues that run (leave -seed out, or start a new run with -init)"},
		{[]string{"-limit", "40"}, 1, "-limit 40: the run in " + path + " has -limit 50, and -resume continues that run (leave -limit out, or start a new run with -init)"},
		{[]string{"-no-shuffle"}, 1, "-no-shuffle true: the run in " + path + " has -no-shuffle false, and -resume continues that run (leave -no-shuffle out, or start a new run with -init)"},
		{[]string{"-arch", "conv3x3x2,relu,maxpool2,dense10"}, 1, "-resume: checkpoint " + path + ": made for arch \"conv3x3x4,relu,maxpool2,dense10\", not \"conv3x3x2,relu,maxpool2,dense10\""},
		{[]string{"-init", weightsOnly}, 2, "-init and -resume: -resume continues a run from its checkpoint, -init starts a new one from weights; give one"},
	} {
		args := append([]string{"-resume", path, "-data", data, "-device", "cpu"}, c.args...)
		code, _, stderr := runTrain(t, args...)
		assert.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		assertOneLine(t, stderr, c.want)
	}
	other := synthData(t, 45)
	code, _, stderr = runTrain(t, "-resume", path, "-data", other, "-device", "cpu")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "-limit 50: the training set in "+other+" has only 45 samples")
	noLimit := filepath.Join(dir, "all.safetensors")
	code, stderr = child(t, []string{"VKCNN_TEST_SIGNAL_AFTER_SAVE=1"}, "-data", data, "-device", "cpu", "-arch", resumeNet, "-epochs", "2", "-save", noLimit)
	require.Equal(t, 130, code, stderr)
	code, _, stderr = runTrain(t, "-resume", noLimit, "-data", other, "-device", "cpu")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "-resume "+noLimit+": the run trained on 60 samples, -data "+other+" gives 45 (with -limit 0, -val 0): not the same training set")
	code, _, stderr = runTrain(t, "-resume", stripped, "-data", data, "-device", "cpu")
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "-resume "+stripped+": holds weights only, no run state")
	code, _, stderr = runTrain(t, "-resume", path, "-data", data, "-device", "cpu", "-batch", "8", "-epochs", "3")
	assert.Equal(t, 0, code, "flags equal to the file's are fine: %s", stderr)
}

// stripState is a checkpoint's bytes with the run.* metadata removed.
func stripState(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(b)
	h := regexp.MustCompile(`,"run\.[a-z_0-9]+":"[^"]*"`).ReplaceAllString(string(b[8:8+n]), "")
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), b[8+n:]...)
}
