package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDivergedRunLeavesItsCurves: a run that diverges within its first epoch leaves the
// -metrics step lines and the -plot PNG of the steps it ran (the curve that shows how it
// diverged); it used to leave no step line and no PNG at all.
func TestDivergedRunLeavesItsCurves(t *testing.T) {
	needData(t)
	dir := t.TempDir()
	metrics, plot := filepath.Join(dir, "m.jsonl"), filepath.Join(dir, "p.png")
	code, _, stderr := runTrain(t, "-data", realData, "-device", "cpu", "-limit", "1600", "-batch", "16", "-epochs", "2",
		"-lr0", "100", "-metrics", metrics, "-metrics-every", "10", "-plot", plot)
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: diverged: epoch 1's mean train loss over steps 1–50 is ")
	b, err := os.ReadFile(metrics)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	require.Len(t, lines, 6, "the run line and 5 step lines of 10 steps")
	assert.Contains(t, lines[5], `{"kind":"step","epoch":1,"step":50,"steps":10,`)
	pb, err := os.ReadFile(plot)
	require.NoError(t, err, "the plot of the steps run")
	_, err = png.Decode(bytes.NewReader(pb))
	assert.NoError(t, err)
}
