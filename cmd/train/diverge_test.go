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

// TestNaNStopsBothEngines: with -lr0 1e30, the second convolution's sums meet +Inf and
// −Inf and give NaN at step 1. The CPU engine's ReLU passes the NaN on to the loss; the
// GPU's ReLU used to turn it into 0 (`v > 0 ? v : 0`), and the GPU engine trained on to a
// finite loss of 5e28 where the CPU engine stopped. Both now stop with the same line.
func TestNaNStopsBothEngines(t *testing.T) {
	needData(t)
	needGPU(t)
	for _, device := range []string{"cpu", "gpu"} {
		code, _, stderr := runTrain(t, "-data", realData, "-device", device, "-limit", "640", "-epochs", "2",
			"-arch", "conv5x5x6,relu,maxpool2,conv5x5x12,relu,dense10", "-lr0", "1e30")
		assert.Equal(t, 1, code, device)
		assertOneLine(t, stderr, "train: loss became NaN at step 1 (epoch 1, lr 1.833e+28); try a lower -lr0\n")
	}
}
