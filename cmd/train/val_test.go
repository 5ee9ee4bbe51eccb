package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/mnist"
)

// TestHoldOutTakesTheLastSamples: -val N evaluates the last N samples of the training file
// and trains on the others; without -val the test set is evaluated.
func TestHoldOutTakesTheLastSamples(t *testing.T) {
	d := &mnist.Dataset{N: 10, H: 1, W: 2}
	for i := range 10 {
		d.Labels = append(d.Labels, uint8(i))
		d.Images = append(d.Images, float32(i), float32(i)+0.5)
	}
	test := &mnist.Dataset{N: 1, H: 1, W: 2, Labels: []uint8{9}, Images: []float32{1, 2}}
	tr, ev, err := (&config{val: 3}).holdOut(d, test)
	require.NoError(t, err)
	assert.Equal(t, []uint8{0, 1, 2, 3, 4, 5, 6}, tr.Labels)
	assert.Equal(t, 7, tr.N)
	assert.Equal(t, []uint8{7, 8, 9}, ev.Labels)
	assert.Equal(t, []float32{7, 7.5, 8, 8.5, 9, 9.5}, ev.Images)
	assert.Equal(t, 3, ev.N)

	tr, ev, err = (&config{}).holdOut(d, test)
	require.NoError(t, err)
	assert.Same(t, d, tr)
	assert.Same(t, test, ev)

	_, _, err = (&config{val: 10, data: "d"}).holdOut(d, test)
	assert.EqualError(t, err, "-val 10: the training set in d has only 10 samples, and training needs at least one")
}

// TestValEvaluatesEachEpochAndTestsOnce: with -val the epoch lines report the validation
// set ("val loss"), the test set is evaluated once after training (its own line, the -json
// test_acc, the last -metrics line), and -metrics names the evaluated set.
func TestValEvaluatesEachEpochAndTestsOnce(t *testing.T) {
	needData(t)
	metrics := filepath.Join(t.TempDir(), "m.jsonl")
	code, out, stderr := runTrain(t, "-data", realData, "-device", "cpu", "-limit", "640", "-val", "1000", "-epochs", "2",
		"-json", "-metrics", metrics)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "640 train / 1000 val / 10000 test samples")
	assert.Equal(t, 2, strings.Count(out, "  val loss "), out)
	assert.NotContains(t, out, "  test loss ")
	assert.Equal(t, 1, strings.Count(out, "test (once, after training): "), out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res result
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res))
	assert.Equal(t, 1000, res.ValSamples)
	assert.Equal(t, 10000, res.TestSamples)
	// After the epochs: the test line, then the test set's report (confusion matrix), then the JSON.
	testLine := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "test (once, after training): ") })
	lastEpoch := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "epoch 2: ") })
	assert.Greater(t, testLine, lastEpoch, "the test line comes after the last epoch")
	assert.True(t, strings.HasPrefix(lines[testLine+1], "lenet-6-12 on 10000 test images"), "the report follows the test line: %q", lines[testLine+1])
	require.NotNil(t, res.Report)
	assert.Equal(t, 10000, res.Report.N)
	assert.InDelta(t, res.TestAcc, res.Report.Accuracy, 1e-12, "the report measures what the test line does")

	b, err := os.ReadFile(metrics)
	require.NoError(t, err)
	ml := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, ml, 4, string(b))
	var run, ep, last map[string]any
	require.NoError(t, json.Unmarshal([]byte(ml[0]), &run))
	require.NoError(t, json.Unmarshal([]byte(ml[1]), &ep))
	require.NoError(t, json.Unmarshal([]byte(ml[3]), &last))
	assert.EqualValues(t, 1000, run["test_samples"], "the run line counts the evaluated set")
	assert.Equal(t, "val", ep["eval_set"])
	assert.Equal(t, "test", last["kind"])
	assert.EqualValues(t, 10000, last["n"])
	assert.Equal(t, res.TestAcc, last["test_acc"], "the JSON's test_acc is the one test evaluation")
	assert.NotEqual(t, res.PerEpoch[1].TestAcc, res.TestAcc, "epochs measured the validation set, not the test set")
}

// TestBadVal: a negative -val is a flag error; one that leaves nothing to train, or too
// little for -limit, is one line naming it.
func TestBadVal(t *testing.T) {
	code, _, stderr := runTrain(t, "-val", "-1")
	assert.Equal(t, 2, code)
	assert.Equal(t, "train: -val -1: must be 0 (none) or more\n", stderr)
	needData(t)
	code, _, stderr = runTrain(t, "-data", realData, "-device", "cpu", "-val", "60000")
	assert.Equal(t, 1, code)
	assert.Equal(t, "train: -val 60000: the training set in "+realData+" has only 60000 samples, and training needs at least one\n", stderr)
	code, _, stderr = runTrain(t, "-data", realData, "-device", "cpu", "-val", "10000", "-limit", "55000")
	assert.Equal(t, 1, code)
	assert.Equal(t, "train: -limit 55000: the training set in "+realData+" has only 50000 samples once -val 10000 holds out its last 10000\n", stderr)
}
