package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestExplodingRunStopsUnsaved: on MNIST, -lr0 100 makes the loss explode without a NaN
// (an epoch's mean in the hundreds, accuracy 10%), and -lr1 3e38 drives a bias to -Inf by
// the last epochs; both used to exit 0 and save. Now each stops with one line at the
// first epoch over the divergence limit, and writes no checkpoint.
func TestExplodingRunStopsUnsaved(t *testing.T) {
	needData(t)
	for _, args := range [][]string{{"-lr0", "100", "-epochs", "2"}, {"-lr1", "3e38", "-epochs", "4"}} {
		path := filepath.Join(t.TempDir(), "m.safetensors")
		code, _, stderr := runTrain(t, append([]string{"-data", realData, "-device", "cpu", "-limit", "2000", "-save", path}, args...)...)
		assert.Equal(t, 1, code, "%v", args)
		assertOneLine(t, stderr, "train: diverged: epoch 1's mean train loss ")
		assert.Contains(t, stderr, "(10× the smallest of its first steps' losses, and 3·ln(classes)); try a lower -lr0")
		assert.NoFileExists(t, path)
	}
}
