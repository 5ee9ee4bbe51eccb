package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/model"
)

// tinyNet fits the 4×3 images of testdata/idx/tiny.
const tinyNet = "conv1x1x2,maxpool2,dense10"

// digits28 writes a small MNIST-shaped data set (raw IDX files, 16 training and 8 test
// images of 28×28, a fixed pattern) into a temporary folder, for the presets.
func digits28(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, n int, images bool) {
		b := binary.BigEndian.AppendUint32(nil, 0x801)
		if images {
			b = binary.BigEndian.AppendUint32(nil, 0x803)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(n))
		size := 1
		if images {
			b = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(b, 28), 28)
			size = 28 * 28
		}
		for i := range n * size {
			if images {
				b = append(b, byte(i*31+i/size*7))
			} else {
				b = append(b, byte(i%10))
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	write("train-images-idx3-ubyte", 16, true)
	write("train-labels-idx1-ubyte", 16, false)
	write("t10k-images-idx3-ubyte", 8, true)
	write("t10k-labels-idx1-ubyte", 8, false)
	return dir
}

// oneLine checks that stderr is a single line holding want, with no stack trace.
func oneLine(t *testing.T, stderr, want string) {
	t.Helper()
	assert.Contains(t, stderr, want)
	assert.Len(t, strings.Split(strings.TrimRight(stderr, "\n"), "\n"), 1, "one line: %q", stderr)
	assert.NotContains(t, stderr, "goroutine")
}

// runWithin runs the command and fails the test if it has not finished within d (an open
// of a FIFO nobody writes to blocks forever); on timeout it opens the FIFO for writing
// itself to let the blocked run go.
func runWithin(t *testing.T, d time.Duration, fifo string, args ...string) (int, string, string) {
	t.Helper()
	type res struct {
		code     int
		out, err string
	}
	done := make(chan res, 1)
	go func() {
		code, out, err := runTrain(t, args...)
		done <- res{code, out, err}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(d):
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Close()
		}
		t.Fatalf("train %v still running after %v", args, d)
		return 0, "", ""
	}
}

// TestSavePreCheck: a -save target the first save would fail on is refused at flag time
// (exit 2), in one line, before any output.
func TestSavePreCheck(t *testing.T) {
	tiny := dataDir(t, nil)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	long := filepath.Join(dir, strings.Repeat("n", 240))
	cases := map[string]string{
		fifo:        "-save " + fifo + ": is a named pipe (FIFO), not a regular file",
		"/dev/null": "-save /dev/null: is a character device, not a regular file",
		long:        "-save " + long + ": cannot create its temporary file ." + strings.Repeat("n", 240) + "-NNNNNNNNNN.tmp in " + dir + ": file name too long",
	}
	immutable := filepath.Join(dir, "immutable.safetensors")
	require.NoError(t, os.WriteFile(immutable, nil, 0o644))
	if out, err := exec.Command("chattr", "+i", immutable).CombinedOutput(); err == nil {
		t.Cleanup(func() { exec.Command("chattr", "-i", immutable).Run() })
		cases[immutable] = "-save " + immutable + ": is immutable (chattr +i), so a save cannot replace it"
	} else {
		t.Logf("not checked: an immutable file (chattr +i: %v %s)", err, out)
	}
	for path, want := range cases {
		code, out, stderr := runWithin(t, 10*time.Second, fifo, "-data", tiny, "-arch", tinyNet, "-device", "cpu", "-epochs", "1", "-save", path)
		assert.Equal(t, 2, code, path)
		assert.Empty(t, out, path)
		oneLine(t, stderr, "train: "+want)
	}
}

// TestSaveInUseByAnotherRun: a second run saving to a file another run holds stops before
// training, naming the holder; once released, the file can be saved again, and a run
// leaves no lock file behind.
func TestSaveInUseByAnotherRun(t *testing.T) {
	tiny := dataDir(t, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.safetensors")
	args := []string{"-data", tiny, "-arch", tinyNet, "-device", "cpu", "-epochs", "1", "-save", path}
	other, err := checkpoint.Lock(path)
	require.NoError(t, err)
	code, out, stderr := runTrain(t, args...)
	assert.Equal(t, 1, code)
	assert.Empty(t, out, "stopped before training")
	oneLine(t, stderr, fmt.Sprintf("train: -save %s: in use by another run (pid %d), which holds %s.lock", path, os.Getpid(), path))
	assert.NoFileExists(t, path)
	require.NoError(t, other.Close())

	code, out, stderr = runTrain(t, args...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "epoch 1:")
	assert.FileExists(t, path)
	assert.NoFileExists(t, path+".lock", "the run removed its lock file")
}

// TestSaveThroughLink: -save through a symbolic link writes the link's target and keeps
// the link.
func TestSaveThroughLink(t *testing.T) {
	tiny := dataDir(t, nil)
	dir := t.TempDir()
	target := filepath.Join(dir, "target.safetensors")
	link := filepath.Join(dir, "latest.safetensors")
	require.NoError(t, os.Symlink("target.safetensors", link))
	code, _, stderr := runTrain(t, "-data", tiny, "-arch", tinyNet, "-device", "cpu", "-epochs", "1", "-save", link)
	require.Equal(t, 0, code, stderr)
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink.String(), st.Mode().Type().String(), "still a link")
	r, err := checkpoint.Open(target)
	require.NoError(t, err)
	defer r.Close()
	a, err := r.Arch(model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	assert.Equal(t, tinyNet, a.Spec)
}

// TestInitNotARegularFile: -init of a FIFO, a device or a folder is one line, at once.
func TestInitNotARegularFile(t *testing.T) {
	tiny := dataDir(t, nil)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for path, want := range map[string]string{
		fifo:        "checkpoint " + fifo + ": is a named pipe (FIFO), not a regular file",
		"/dev/zero": "checkpoint /dev/zero: is a character device, not a regular file",
		dir:         "checkpoint " + dir + ": is a directory",
	} {
		code, _, stderr := runWithin(t, 10*time.Second, fifo, "-data", tiny, "-arch", tinyNet, "-device", "cpu", "-epochs", "0", "-init", path)
		assert.Equal(t, 1, code, path)
		oneLine(t, stderr, "train: "+want)
	}
}

const torchStateDict = "../../testdata/checkpoint/torch-lenet-6-12.safetensors"

// TestInitTorchStateDictNeedsArch: a PyTorch state_dict has no arch to start from; the
// line says to give one.
func TestInitTorchStateDictNeedsArch(t *testing.T) {
	code, _, stderr := runTrain(t, "-data", dataDir(t, nil), "-device", "cpu", "-epochs", "0", "-init", torchStateDict)
	assert.Equal(t, 1, code)
	oneLine(t, stderr, "train: -init "+torchStateDict+": no arch in its metadata (a PyTorch state_dict?): give it with -arch to load the tensors by name")
}

// TestInitTorchStateDict: with -arch, a PyTorch state_dict of that network evaluates.
func TestInitTorchStateDict(t *testing.T) {
	code, out, stderr := runTrain(t, "-data", digits28(t), "-device", "cpu", "-epochs", "0", "-arch", "lenet-6-12", "-init", torchStateDict)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vkcnn: lenet-6-12 (3898 params)")
	assert.Contains(t, out, "test acc")
}

// TestInitKeepsPresetName: a checkpoint of a preset loaded without -arch is that preset
// by name in the banner, the JSON and the checkpoint it saves, not its layer string.
func TestInitKeepsPresetName(t *testing.T) {
	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	dir := t.TempDir()
	init, saved := filepath.Join(dir, "init.safetensors"), filepath.Join(dir, "saved.safetensors")
	require.NoError(t, checkpoint.Save(init, a, a.InitParams(4)))
	code, out, stderr := runTrain(t, "-data", digits28(t), "-device", "cpu", "-epochs", "1", "-init", init, "-save", saved, "-json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vkcnn: lenet-6-12 (3898 params)")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res))
	assert.Equal(t, "lenet-6-12", res["arch"])
	assert.Equal(t, a.Spec, res["spec"])
	r, err := checkpoint.Open(saved)
	require.NoError(t, err)
	defer r.Close()
	b, err := r.Arch(a.Input, a.Classes)
	require.NoError(t, err)
	assert.Equal(t, "lenet-6-12", b.Name)
}

// TestSaveLockHeldForTheRun: the lock lockSave takes is held until its release, whatever
// the saves do in between, and released then.
func TestSaveLockHeldForTheRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.safetensors")
	c := &config{save: path}
	_, save, unlock, err := c.lockSave()
	require.NoError(t, err)
	a, err := model.Build(tinyNet, model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	require.NoError(t, save(path, a, a.InitParams(1), nil))
	_, err = checkpoint.Lock(path)
	require.ErrorContains(t, err, "in use by another run", "held after a save")
	unlock()
	other, err := checkpoint.Lock(path)
	require.NoError(t, err, "released")
	require.NoError(t, other.Close())

	c.save = ""
	_, save, unlock, err = c.lockSave()
	require.NoError(t, err)
	require.Nil(t, save)
	unlock()
}

// TestCheckpointPathWithNewline: a checkpoint path holding a newline is quoted, so the
// message stays one line.
func TestCheckpointPathWithNewline(t *testing.T) {
	tiny := dataDir(t, nil)
	odd := filepath.Join(t.TempDir(), "two\nlines.safetensors")
	code, _, stderr := runTrain(t, "-data", tiny, "-arch", tinyNet, "-device", "cpu", "-epochs", "0", "-init", odd)
	assert.Equal(t, 1, code)
	oneLine(t, stderr, "train: checkpoint "+strconv.Quote(odd)+": no such file or directory")

	require.NoError(t, os.Mkdir(odd, 0o755))
	code, _, stderr = runTrain(t, "-data", tiny, "-arch", tinyNet, "-device", "cpu", "-save", odd)
	assert.Equal(t, 2, code)
	oneLine(t, stderr, "train: -save "+strconv.Quote(odd)+": is a directory")

	held := filepath.Join(filepath.Dir(odd), "held\n.safetensors")
	lock, err := checkpoint.Lock(held)
	require.NoError(t, err)
	defer lock.Close()
	code, _, stderr = runTrain(t, "-data", tiny, "-arch", tinyNet, "-device", "cpu", "-save", held)
	assert.Equal(t, 1, code)
	oneLine(t, stderr, "train: -save "+strconv.Quote(held)+": in use by another run")
}
