package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// −Inf and give NaN at the second step. The CPU engine's ReLU passes the NaN on to the loss; the
// GPU's ReLU used to turn it into 0 (`v > 0 ? v : 0`), and the GPU engine trained on to a
// finite loss of 5e28 where the CPU engine stopped. Both now stop with the same line.
func TestNaNStopsBothEngines(t *testing.T) {
	needData(t)
	needGPU(t)
	for _, device := range []string{"cpu", "gpu"} {
		code, _, stderr := runTrain(t, "-data", realData, "-device", device, "-limit", "640", "-epochs", "2",
			"-arch", "conv5x5x6,relu,maxpool2,conv5x5x12,relu,dense10", "-lr0", "1e30")
		assert.Equal(t, 1, code, device)
		assertOneLine(t, stderr, "train: loss became NaN at step 2 (epoch 1, lr 1.833e+28); try a lower -lr0\n")
	}
}

// TestExplosionStopsWithinTheEpoch: -lr0 100 on a 100-step epoch stops within it, at the
// first in-epoch check, whose window (50 steps) is over the limit already, on both engines
// (the CPU's checks come every 5 steps, the GPU's at whole chunks of its 6 steps: after 54
// steps, which shows that it is asked for whole chunks), with the line naming the steps,
// and nothing saved. It used to run the whole epoch first.
func TestExplosionStopsWithinTheEpoch(t *testing.T) {
	needData(t)
	for _, c := range []struct {
		device string
		last   int
	}{{"cpu", 50}, {"gpu", 54}} {
		t.Run(c.device, func(t *testing.T) {
			if c.device == "gpu" {
				needGPU(t)
			}
			path := filepath.Join(t.TempDir(), "m.safetensors")
			code, _, stderr := runTrain(t, "-data", realData, "-device", c.device, "-limit", "1600", "-batch", "16", "-epochs", "2", "-lr0", "100", "-save", path)
			assert.Equal(t, 1, code)
			assertOneLine(t, stderr, "train: diverged: epoch 1's mean train loss over steps ")
			assert.Contains(t, stderr, "(10× the smallest of its first steps' losses, and 3·ln(classes)); try a lower -lr0")
			m := regexp.MustCompile(`over steps (\d+)–(\d+) is`).FindStringSubmatch(stderr)
			require.NotNil(t, m, stderr)
			first, _ := strconv.Atoi(m[1])
			last, _ := strconv.Atoi(m[2])
			assert.Equal(t, 49, last-first, "a window of 50 steps")
			assert.Equal(t, c.last, last, "the first check, long before the epoch's 100 steps end")
			assert.NoFileExists(t, path)
		})
	}
}
