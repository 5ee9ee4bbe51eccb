package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"

	"github.com/vkcnn/vkcnn/train"
)

// TestCurvesMetricsPlotAndProgress trains 2 epochs of 10 steps (640 samples, batch 64) with
// -metrics, -metrics-every 3 and -plot, stdout not a terminal: the metrics file is a run
// line, per epoch 4 step lines (steps 3, 6, 9 and the epoch's last) and an epoch line, all
// JSON with their fields; the plot is a PNG of 960×840; stdout has 9 progress lines per epoch
// (10% … 90%) before the epoch's line.
func TestCurvesMetricsPlotAndProgress(t *testing.T) {
	needData(t)
	dir := t.TempDir()
	metrics, plot := filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "p.png")
	code, out, stderr := runTrain(t, "-data", realData, "-device", "cpu", "-limit", "640", "-epochs", "2",
		"-metrics", metrics, "-metrics-every", "3", "-plot", plot)
	require.Equal(t, 0, code, stderr)

	b, err := os.ReadFile(metrics)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 1+2*(4+1), string(b))
	var kinds []string
	var steps []int
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		kinds = append(kinds, m["kind"].(string))
		switch m["kind"] {
		case "run":
			assert.Equal(t, "lenet-6-12", m["arch"])
			assert.Equal(t, "cpu", m["engine"])
			assert.EqualValues(t, 10, m["steps_per_epoch"])
			assert.EqualValues(t, 640, m["train_samples"])
		case "step":
			steps = append(steps, int(m["step"].(float64)))
			assert.Greater(t, m["loss"], 0.0, l)
			assert.Greater(t, m["lr"], 0.0, l)
		case "epoch":
			for _, k := range []string{"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "last_lr"} {
				assert.Contains(t, m, k, l)
			}
			acc := m["test_acc"].(float64)
			assert.True(t, acc > 0 && acc <= 1, "an accuracy in (0, 1]: %s", l)
		}
	}
	assert.Equal(t, []string{"run", "step", "step", "step", "step", "epoch", "step", "step", "step", "step", "epoch"}, kinds)
	assert.Equal(t, []int{3, 6, 9, 10, 13, 16, 19, 20}, steps)

	f, err := os.Open(plot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "-plot writes a PNG")
	assert.Equal(t, 960, img.Bounds().Dx())
	assert.Equal(t, 840, img.Bounds().Dy())
	left, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file left")

	for _, ep := range []string{"epoch 1/2:", "epoch 2/2:"} {
		assert.Equal(t, 9, strings.Count(out, "\n"+ep), "progress lines of %s in\n%s", ep, out)
	}
	assert.Contains(t, out, "epoch 1/2:  50%  320/640 samples")
}

// TestProgressWithoutTerminal: without a terminal, an epoch of 1000 samples reported
// sample by sample prints exactly 9 lines (10% … 90%), and one reported in two big jumps
// prints 2, never one per call.
func TestProgressWithoutTerminal(t *testing.T) {
	var out bytes.Buffer
	r := newReporter(&out)
	r.EpochStart(1, 3, 1000)
	for i := 1; i <= 1000; i++ {
		r.Progress(i)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 9, out.String())
	assert.True(t, strings.HasPrefix(lines[0], "epoch 1/3:  10%  100/1000 samples"), lines[0])
	assert.True(t, strings.HasPrefix(lines[8], "epoch 1/3:  90%  900/1000 samples"), lines[8])

	out.Reset()
	r.EpochStart(2, 3, 1000)
	r.Progress(450)
	r.Progress(1000)
	assert.Equal(t, 2, strings.Count(out.String(), "\n"), out.String())
}

// TestBadCurveFlagsStopBeforeTraining: a -metrics or -plot that could not be written, and
// -metrics-every without a file, are one line and exit 2 before the data is read (the data
// folder here does not exist, which would be exit 1).
func TestBadCurveFlagsStopBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o555))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-metrics", dir}, "train: -metrics " + dir + ": is a folder"},
		{[]string{"-metrics", filepath.Join(dir, "no", "m.jsonl")}, "train: -metrics " + filepath.Join(dir, "no", "m.jsonl") + ": folder " + filepath.Join(dir, "no") + ": no such file or directory"},
		{[]string{"-metrics", fifo}, "train: -metrics " + fifo + ": not a regular file (p---------)"},
		{[]string{"-plot", filepath.Join(dir, "p.jpg")}, "train: -plot " + filepath.Join(dir, "p.jpg") + ": want a .png file name"},
		{[]string{"-plot", filepath.Join(dir, "no", "p.png")}, "train: -plot " + filepath.Join(dir, "no", "p.png") + ": folder " + filepath.Join(dir, "no") + ": no such file or directory"},
		{[]string{"-plot", filepath.Join(dir, "d.png")}, "train: -plot " + filepath.Join(dir, "d.png") + ": is a folder"},
		{[]string{"-metrics-every", "5"}, "train: -metrics-every 5: needs -metrics FILE to write the step lines to"},
		{[]string{"-metrics", filepath.Join(dir, "m"), "-metrics-every", "-1"}, "train: -metrics-every -1: must be 1 or more (0: epoch lines only)"},
		{[]string{"-metrics", filepath.Join(dir, "x.png"), "-plot", filepath.Join(dir, "x.png")}, "train: -metrics and -plot: both are " + filepath.Join(dir, "x.png")},
	} {
		if c.args[0] == "-plot" && strings.HasSuffix(c.args[1], "d.png") {
			require.NoError(t, os.MkdirAll(c.args[1], 0o755))
		}
		args := append([]string{"-data", filepath.Join(dir, "nodata"), "-device", "cpu"}, c.args...)
		code, out, stderr := runTrain(t, args...)
		assert.Equal(t, 2, code, "%v: %s", c.args, stderr)
		assert.Equal(t, c.want+"\n", stderr, "%v", c.args)
		assert.Empty(t, out)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		code, _, stderr := runTrain(t, "-data", filepath.Join(dir, "nodata"), "-plot", filepath.Join(ro, "p.png"))
		assert.Equal(t, 2, code)
		assert.Equal(t, "train: -plot "+filepath.Join(ro, "p.png")+": permission denied\n", stderr)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"fifo", "ro", "d.png"}, names, "the checks leave no file behind")
}

// TestEMA: the debiased moving average keeps a constant input constant from the first
// value on, and moves a step's way by α = 2/(span+1) of the remaining distance.
func TestEMA(t *testing.T) {
	for _, v := range ema([]float32{2, 2, 2, 2}, 5) {
		assert.InDelta(t, 2, v, 1e-12)
	}
	e := ema([]float32{0, 1}, 3) // α = 0.5: s = 0, then 0.5·0 + 0.5·1 = 0.5, over 1 − 0.25
	assert.InDelta(t, 0, e[0], 1e-12)
	assert.InDelta(t, 0.5/0.75, e[1], 1e-12)
}

// TestThin keeps about n points, evenly spaced, the first and the last always.
func TestThin(t *testing.T) {
	xy := make(plotter.XYs, 101)
	for i := range xy {
		xy[i].X = float64(i)
	}
	got := thin(xy, 11)
	require.Len(t, got, 11)
	for i, p := range got {
		assert.Equal(t, float64(10*i), p.X)
	}
	assert.Len(t, thin(xy[:5], 11), 5, "fewer points than n: all of them")
}

// TestBinMeans averages k consecutive points into one at the last one's X, k the smallest
// that leaves at most n bins.
func TestBinMeans(t *testing.T) {
	xy := plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 3}, {X: 3, Y: 5}, {X: 4, Y: 7}, {X: 5, Y: 10}}
	got, k := binMeans(xy, 2)
	assert.Equal(t, 3, k)
	assert.Equal(t, plotter.XYs{{X: 3, Y: 3}, {X: 5, Y: 8.5}}, got)
	got, k = binMeans(xy, 5)
	assert.Equal(t, 1, k)
	assert.Equal(t, xy, got)
}

// TestAtChanceNote: an epoch that trained at chance (loss within 0.1 of ln 10, accuracy ≤ 15%) gets one
// note after its line, once per run; a learning epoch, one at ln 10 with a learning
// accuracy, or one whose loss is far from ln 10 gets none.
func TestAtChanceNote(t *testing.T) {
	var out bytes.Buffer
	r := newReporter(&out)
	for _, s := range []train.EpochStats{
		{Epoch: 1, TrainLoss: 0.2, TrainAcc: 0.94},
		{Epoch: 2, TrainLoss: 2.31, TrainAcc: 0.40},
		{Epoch: 3, TrainLoss: 2.45, TrainAcc: 0.10},
		{Epoch: 4, TrainLoss: 2.2850, TrainAcc: 0.12},
	} {
		r.EpochEnd(s)
	}
	assert.Equal(t, 1, strings.Count(out.String(), "note: "), out.String())
	assert.Contains(t, out.String(), "\nnote: epoch 4 trained at chance (loss 2.2850 ≈ ln 10, accuracy 12.00%): the network is not learning; ")
	r.EpochEnd(train.EpochStats{Epoch: 5, TrainLoss: 2.3026, TrainAcc: 0.1})
	assert.Equal(t, 1, strings.Count(out.String(), "note: "), "once per run")
}
