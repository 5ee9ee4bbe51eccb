package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/mnist"
	"github.com/vkcnn/vkcnn/model"
)

// TestEvalMatchesTheEngine: eval's accuracy and loss on the real test set are the CPU
// engine's Evaluate (an independent forward pass) with the same parameters; the confusion
// matrix's rows sum to each digit's count, its trace to the correct count; the printed
// report and the JSON agree; -errors writes a PNG grid of the worst digits.
func TestEvalMatchesTheEngine(t *testing.T) {
	needData(t)
	grid := filepath.Join(t.TempDir(), "worst.png")
	code, stdout, stderr := runTrain(t, "eval", "-model", smallModel, "-data", realData, "-json", "-errors", grid)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var rep evalReport
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &rep))

	test, err := mnist.LoadFiles(realData+"/t10k-images-idx3-ubyte.gz", realData+"/t10k-labels-idx1-ubyte.gz")
	require.NoError(t, err)
	r, err := checkpoint.Open(smallModel)
	require.NoError(t, err)
	defer r.Close()
	a, err := r.Arch(model.MNISTInput, 10)
	require.NoError(t, err)
	p, err := r.Load(a)
	require.NoError(t, err)
	set := (*engine.Dataset)(test)
	e, err := cpu.New(engine.Config{Arch: a, Batch: 64, Train: set, Test: set})
	require.NoError(t, err)
	require.NoError(t, e.SetParams(p))
	want, err := e.Evaluate()
	require.NoError(t, err)

	assert.Equal(t, want.N, rep.N)
	assert.Equal(t, want.Correct, rep.Correct)
	assert.InDelta(t, want.Loss, rep.Loss, 1e-5*want.Loss)
	assert.InDelta(t, float64(want.Correct)/float64(want.N), rep.Accuracy, 1e-12)
	var counts [10]int
	for _, l := range test.Labels {
		counts[l]++
	}
	trace, total := 0, 0
	for d := 0; d < 10; d++ {
		row := 0
		for q := 0; q < 10; q++ {
			row += rep.Confusion[d][q]
		}
		assert.Equal(t, counts[d], row, "row %d of the confusion matrix", d)
		assert.Equal(t, counts[d], rep.ClassN[d])
		assert.InDelta(t, float64(rep.Confusion[d][d])/float64(counts[d]), rep.ClassAccuracy[d], 1e-12)
		trace += rep.Confusion[d][d]
		total += row
	}
	assert.Equal(t, rep.Correct, trace)
	assert.Equal(t, rep.N, total)

	assert.Contains(t, lines[0], "lenet-6-12 on 10000 test images of "+realData+": accuracy ")
	assert.Equal(t, "true\\pred     0     1     2     3     4     5     6     7     8     9   accuracy", lines[2])
	assert.True(t, strings.HasPrefix(lines[3], "        0 "), lines[3])
	assert.Contains(t, stdout, fmt.Sprintf("the 64 worst-classified test digits (of %d misclassified): %s", rep.N-rep.Correct, grid))

	f, err := os.Open(grid)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	cw, ch := 28*cellScale+2*cellPad, 28*cellScale+2*captionH+2*cellPad
	assert.Equal(t, gridCols*cw, img.Bounds().Dx())
	assert.Equal(t, gridRows*ch, img.Bounds().Dy())
}

// TestEvalOtherTestSet: -data takes any test set of 28×28 digits (here 12 MNIST test
// images as raw IDX files, one given a wrong label), and the grid holds just the
// misclassified one.
func TestEvalOtherTestSet(t *testing.T) {
	needData(t)
	test, err := mnist.LoadFiles(realData+"/t10k-images-idx3-ubyte.gz", realData+"/t10k-labels-idx1-ubyte.gz")
	require.NoError(t, err)
	const n = 12
	images := binary.BigEndian.AppendUint32(nil, mnist.ImagesMagic)
	images = binary.BigEndian.AppendUint32(images, n)
	images = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(images, 28), 28)
	for _, v := range test.Images[:n*784] {
		images = append(images, byte(math.Round(255*float64(v))))
	}
	labels := binary.BigEndian.AppendUint32(nil, mnist.LabelsMagic)
	labels = binary.BigEndian.AppendUint32(labels, n)
	labels = append(labels, test.Labels[:n]...)
	labels[8+5] = (labels[8+5] + 1) % 10 // image 5 now has a label the model will not give
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, mnist.TestImagesFile), images, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, mnist.TestLabelsFile), labels, 0o644))
	grid := filepath.Join(dir, "worst.png")
	code, stdout, stderr := runTrain(t, "eval", "-model", smallModel, "-data", dir, "-errors", grid)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "lenet-6-12 on 12 test images of "+dir+": accuracy 91.67% (11/12)")
	assert.Contains(t, stdout, "the 1 worst-classified test digits (of 1 misclassified): "+grid)
	f, err := os.Open(grid)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 28*cellScale+2*cellPad, img.Bounds().Dx(), "one cell wide")
}

// TestSortWorst: misclassified digits come lowest probability of the true digit first,
// ties by index.
func TestSortWorst(t *testing.T) {
	s := []sample{{Index: 5, PTrue: 0.3}, {Index: 2, PTrue: 0.01}, {Index: 9, PTrue: 0.3}, {Index: 1, PTrue: 0.2}}
	sortWorst(s)
	var order []int
	for _, x := range s {
		order = append(order, x.Index)
	}
	assert.Equal(t, []int{2, 1, 5, 9}, order)
}

// TestEvalUsage: every bad command line, model, data folder or -errors file is one line on
// stderr and a non-zero exit.
func TestEvalUsage(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, []byte("x"), 0o644))
	emptyDir := t.TempDir()
	tiny := dataDir(t, nil)
	cases := []struct {
		name string
		args []string
		code int
		want string
		data bool
	}{
		{"no model", []string{"eval"}, 2, "train: eval: -model FILE is required", false},
		{"stray argument", []string{"eval", "-model", smallModel, "extra"}, 2, `train: eval: unexpected argument "extra"`, false},
		{"unknown flag", []string{"eval", "-bogus"}, 2, "train: flag provided but not defined: -bogus", false},
		{"model missing", []string{"eval", "-model", "/no/such.safetensors"}, 1, "train: -model /no/such.safetensors: ", false},
		{"data missing", []string{"eval", "-model", smallModel, "-data", "/no/such/folder"}, 1, `train: -data /no/such/folder: no such folder (run "make data" to fetch MNIST)`, false},
		{"data a file", []string{"eval", "-model", smallModel, "-data", notADir}, 1, "train: -data " + notADir + ": not a folder", false},
		{"data without the test set", []string{"eval", "-model", smallModel, "-data", emptyDir}, 1, "train: -data " + emptyDir + ": neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte exists", false},
		{"images of another size", []string{"eval", "-model", smallModel, "-data", tiny}, 1, "train: -data " + tiny + ": test images are 4×3, the model takes 28×28", false},
		{"errors into a missing folder", []string{"eval", "-model", smallModel, "-data", realData, "-errors", "/no/such/folder/x.png"}, 1, "train: -errors /no/such/folder/x.png: no such file or directory", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.data {
				needData(t)
			}
			code, _, stderr := runTrain(t, c.args...)
			assert.Equal(t, c.code, code)
			oneLine(t, stderr, c.want)
		})
	}
	code, _, stderr := runTrain(t, "eval", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "usage: train eval -model FILE [-data DIR] [-json] [-errors FILE.png]")
}
