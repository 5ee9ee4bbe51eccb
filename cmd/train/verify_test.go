package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// TestVerifyEveryOnTheGPU: -verify-every 7 re-runs every 7th GPU step on the CPU engine,
// passes, prints what it checked and its cost, and leaves the weights those of a run
// without it (same fingerprint); with the GPU's results broken (the test hook), the run
// stops at the first checked step with one line naming it, the tensor and the difference.
func TestVerifyEveryOnTheGPU(t *testing.T) {
	needGPU(t)
	data := synthData(t, 150) // batch 4: 38 steps an epoch
	run := []string{"-data", data, "-device", "gpu", "-arch", resumeNet, "-epochs", "2", "-batch", "4", "-json"}
	code, plain, stderr := runTrain(t, run...)
	require.Equal(t, 0, code, stderr)
	code, out, stderr := runTrain(t, append(run, "-verify-every", "7")...)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `\nverify: 10 steps \(every 7-th\) re-run on the cpu engine agreed within tolerance; \S+s, \S+% of the training time\n`, out)
	want, _ := fingerprints(t, plain)
	got, _ := fingerprints(t, out)
	assert.Equal(t, want, got, "checking changes nothing")
	assert.Contains(t, out, `"verified_steps":10`)

	verifyCorrupt = func(p *model.Params) { p.Tensors[2].Data[3] += 0.01 }
	defer func() { verifyCorrupt = nil }()
	code, _, stderr = runTrain(t, append(run, "-verify-every", "7")...)
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: verify: step 6: update of fc1.weight differs by ")
	assert.Contains(t, stderr, "between gpu and cpu; most at [3]: ")
	assert.Contains(t, stderr, "; the gpu engine computed a wrong result")

	code, _, stderr = runTrain(t, "-data", data, "-device", "cpu", "-verify-every", "7")
	assert.Equal(t, 2, code)
	assertOneLine(t, stderr, "train: -verify-every 7: re-runs GPU steps on the cpu engine; with -device cpu there is nothing to check")
}

// TestEpochLinesCarryTheFingerprint: every epoch line and the JSON carry the weights'
// fingerprint; two runs with one seed print the same ones, another seed others.
func TestEpochLinesCarryTheFingerprint(t *testing.T) {
	data := synthData(t, 60)
	run := func(seed string) (lines []string, final string) {
		code, out, stderr := runTrain(t, "-data", data, "-device", "cpu", "-arch", resumeNet, "-epochs", "3", "-seed", seed, "-json")
		require.Equal(t, 0, code, stderr)
		for _, m := range regexp.MustCompile(`(?m)^epoch \d+: .*  weights ([0-9a-f]{16})$`).FindAllStringSubmatch(out, -1) {
			lines = append(lines, m[1])
		}
		final, perEpoch := fingerprints(t, out)
		assert.Equal(t, lines, perEpoch, "the lines and the JSON agree")
		return lines, final
	}
	a, fa := run("1")
	b, fb := run("1")
	c, _ := run("2")
	require.Len(t, a, 3)
	assert.Equal(t, a, b)
	assert.Equal(t, a[2], fa)
	assert.Equal(t, fa, fb)
	assert.NotEqual(t, a[2], c[2])
	assert.Len(t, strings.Join(a, ""), 48)
}
