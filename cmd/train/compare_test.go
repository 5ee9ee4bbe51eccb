package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompareTiny runs the whole comparison small (2 presets, 1 seed, 1 epoch on 500
// images, a 2-epoch repeated training): compare.md has the table's header and one row per
// preset with every cell filled (params, the study's number or "—", accuracies, seconds,
// the engine), the repeated-training table one row per epoch, and dropout.png is a PNG.
func TestCompareTiny(t *testing.T) {
	needData(t)
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	code, stdout, stderr := runTrain(t, "compare", "-data", realData, "-device", "cpu", "-limit", "500", "-epochs", "1",
		"-seeds", "1", "-presets", "lenet-6-12,conv3-6-12-16", "-repeat-epochs", "2", "-out", out)
	require.Equal(t, 0, code, stderr)
	t.Logf("tiny compare: %s", time.Since(start).Round(time.Millisecond))
	assert.Contains(t, stdout, "[6/6] lenet-6-12-dropout, 2 epochs at lr 0.01, seed 1")

	b, err := os.ReadFile(filepath.Join(out, "compare.md"))
	require.NoError(t, err)
	md := string(b)
	assert.Contains(t, md, "Command: `bin/train compare -data "+realData)
	assert.Contains(t, md, "Hardware: cpu engine on CPU")
	assert.NotContains(t, md, "in progress")
	lines := strings.Split(md, "\n")
	header := "| preset | params | study | ours, study's recipe | s/run | ours, default recipe | s/run | engine | note |"
	i := indexOf(lines, header)
	require.GreaterOrEqual(t, i, 0, md)
	acc := `\d{1,3}\.\d\d%`
	row := regexp.MustCompile(`^\| (\S+) \| (\d+) \| (≈98\.2%|—) \| ` + acc + ` \| \d+\.\d \| ` + acc + ` \| \d+\.\d \| cpu \| ([^|]*) \|$`)
	m := row.FindStringSubmatch(lines[i+2])
	require.NotNil(t, m, "row: %q", lines[i+2])
	assert.Equal(t, []string{"lenet-6-12", "3898", "≈98.2%"}, m[1:4])
	assert.Contains(t, m[4], "not the study's", "a -limit run is not held against the study")
	m = row.FindStringSubmatch(lines[i+3])
	require.NotNil(t, m, "row: %q", lines[i+3])
	assert.Equal(t, []string{"conv3-6-12-16", "—", ""}, []string{m[1], m[3], strings.TrimSpace(m[4])})
	assert.False(t, strings.HasPrefix(lines[i+4], "|"), "two presets, two rows")

	j := indexOf(lines, "| epoch | lenet-6-12 | lenet-6-12-dropout |")
	require.GreaterOrEqual(t, j, 0, md)
	for e, want := range []string{"1", "2"} {
		assert.Regexp(t, `^\| `+want+` \| `+acc+` \| `+acc+` \|$`, lines[j+2+e])
	}
	assert.False(t, strings.HasPrefix(lines[j+4], "|"), "two epochs, two rows")

	runs, err := os.ReadFile(filepath.Join(out, "compare-runs.jsonl"))
	require.NoError(t, err)
	rl := strings.Split(strings.TrimSpace(string(runs)), "\n")
	require.Len(t, rl, 6, "2 presets × 2 recipes + 2 repeated trainings")
	var last struct {
		result
		Recipe string `json:"recipe"`
	}
	require.NoError(t, json.Unmarshal([]byte(rl[5]), &last))
	assert.Equal(t, "lenet-6-12-dropout", last.Arch)
	assert.Equal(t, "repeat", last.Recipe)
	assert.Len(t, last.PerEpoch, 2)

	f, err := os.Open(filepath.Join(out, "dropout.png"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 960, img.Bounds().Dx())
	left, err := filepath.Glob(filepath.Join(out, ".*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, left)
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

// TestCompareBadFlags: a bad flag of compare is one line and exit 2 before any training.
func TestCompareBadFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-seeds", "0"}, "-seeds 0: must be at least 1"},
		{[]string{"-epochs", "0"}, "-epochs 0: must be at least 1"},
		{[]string{"-presets", "lenet-6-12,nonet"}, "-presets: "},
		{[]string{"-presets", ","}, "-presets: none given"},
		{[]string{"-device", "tpu"}, `-device "tpu": want auto, cpu or gpu`},
		{[]string{"-repeat-lr", "0"}, "-repeat-lr 0: must be a positive number"},
		{[]string{"-out", file}, "-out " + file + ": not a directory"},
		{[]string{"-out", dir, "-x"}, "flag provided but not defined: -x"},
	} {
		args := append([]string{"compare", "-data", filepath.Join(dir, "nodata"), "-out", dir}, c.args...)
		code, out, stderr := runTrain(t, args...)
		assert.Equal(t, 2, code, "%v: %s", c.args, stderr)
		assert.True(t, strings.HasPrefix(stderr, "train compare: "+c.want), "%v: %q", c.args, stderr)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "%v: one line: %q", c.args, stderr)
		assert.Empty(t, out)
	}
}

// TestCompareNote: a row's note against the study's number (lenet-6-12, 98.2%): below by
// more than one sample standard deviation is named in bold; within it, or above, says so;
// one seed has no spread; a -limit or -epochs run is not the study's setting; a preset
// without a study number has no note.
func TestCompareNote(t *testing.T) {
	c := &compareConfig{epochs: studyEpochs}
	for _, tc := range []struct {
		accs []float64
		want string
	}{
		{[]float64{0.975, 0.976, 0.977}, "**below the study by 0.60 points, more than σ = 0.10**; not explained by this run"},
		{[]float64{0.981, 0.982, 0.983}, "within the seeds' spread of the study (+0.00 points, σ = 0.10)"},
		{[]float64{0.9805, 0.9815, 0.9825}, "within the seeds' spread of the study (-0.05 points, σ = 0.10)"},
		{[]float64{0.985, 0.986, 0.987}, "above the study by 0.40 points (more than σ = 0.10)"},
		{[]float64{0.97}, "-1.20 points from the study; one seed gives no spread to judge by"},
	} {
		assert.Equal(t, tc.want, c.note("lenet-6-12", tc.accs), "%v", tc.accs)
	}
	assert.Equal(t, "", c.note("lenet-12-16", []float64{0.9, 0.91}))
	limited := &compareConfig{epochs: studyEpochs, limit: 500}
	assert.Equal(t, "-20.20 points from the study, in a setting that is not the study's (-limit or -epochs)", limited.note("lenet-6-12", []float64{0.78, 0.78}))
	short := &compareConfig{epochs: 1}
	assert.Contains(t, short.note("lenet-6-12", []float64{0.9, 0.91}), "not the study's")
}

// TestMeanStd: the mean and the sample standard deviation (n − 1).
func TestMeanStd(t *testing.T) {
	m, s := meanStd([]float64{1, 2, 3, 4})
	assert.Equal(t, 2.5, m)
	assert.InDelta(t, 1.2909944487358056, s, 1e-15)
	m, s = meanStd([]float64{0.5})
	assert.Equal(t, 0.5, m)
	assert.Equal(t, 0.0, s)
	assert.Equal(t, "98.00 ± 1.00%", pct([]float64{0.97, 0.98, 0.99}))
	assert.Equal(t, "97.00%", pct([]float64{0.97}))
}
