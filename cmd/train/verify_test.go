package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyEveryOnTheGPU: -verify-every 7 re-runs every 7th GPU step on the CPU engine,
// passes, prints what it checked and its cost, and leaves the weights those of a run
// without it (same fingerprint).
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
	assert.NotContains(t, out, `"shader_overrides"`)

	code, _, stderr = runTrain(t, "-data", data, "-device", "cpu", "-verify-every", "7")
	assert.Equal(t, 2, code)
	assertOneLine(t, stderr, "train: -verify-every 7: re-runs GPU steps on the cpu engine; with -device cpu there is nothing to check")
}

// TestVerifyEveryCatchesABrokenShader: dense_backward_weights.comp with a deliberate bug
// (the weight gradient leaves out the batch's last sample), compiled by glslc as
// shaders.mk compiles it and loaded through VKCNN_SHADER_DIR, trains without an error of
// its own; -verify-every 7 stops the run at its first checked step with one line naming
// the step, the tensor and the difference. The same shader compiled without the bug, loaded
// the same way, passes and gives the embedded shader's weights: what is caught is the bug,
// not the loading. Either run names the shader it loaded, on stderr and in -json.
func TestVerifyEveryCatchesABrokenShader(t *testing.T) {
	needGPU(t)
	const name = "dense_backward_weights"
	data := synthData(t, 150) // batch 4: 38 steps an epoch
	run := []string{"-data", data, "-device", "gpu", "-arch", resumeNet, "-epochs", "2", "-batch", "4", "-json", "-verify-every", "7"}
	code, plain, stderr := runTrain(t, run...)
	require.Equal(t, 0, code, stderr)

	good := t.TempDir()
	compileShader(t, name, good, func(src string) string { return src })
	t.Setenv("VKCNN_SHADER_DIR", good)
	code, out, stderr := runTrain(t, run...)
	require.Equal(t, 0, code, stderr)
	file := filepath.Join(good, name+".spv")
	assert.Equal(t, "train: VKCNN_SHADER_DIR: the gpu engine runs "+name+" from "+file+", not the built-in shader\n", stderr)
	want, _ := fingerprints(t, plain)
	got, _ := fingerprints(t, out)
	assert.Equal(t, want, got, "the shader compiled from the same source trains the same weights")
	assert.Contains(t, out, `"shader_overrides":{"`+name+`":"`+file+`"}`)
	assert.Contains(t, out, `"verified_steps":10`)

	broken := t.TempDir()
	compileShader(t, name, broken, func(src string) string {
		// the weights' loop over the batch (not the bias's, which does not read inData)
		loop := "for (uint n = 0; n < p.N; n++) {\n            acc += dOut[n * p.Out + o] * inData"
		require.Equal(t, 1, strings.Count(src, loop), "the loop to break is in the shader")
		return strings.Replace(src, loop, strings.Replace(loop, "n < p.N", "n + 1 < p.N", 1), 1)
	})
	t.Setenv("VKCNN_SHADER_DIR", broken)
	code, _, stderr = runTrain(t, run...)
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	require.Len(t, lines, 2, stderr)
	assert.Equal(t, "train: VKCNN_SHADER_DIR: the gpu engine runs "+name+" from "+filepath.Join(broken, name+".spv")+", not the built-in shader", lines[0])
	assert.Regexp(t, `^train: verify: step 7: update of fc1\.weight differs by \S+ \(relative, over the tensor\) > 0\.02 allowed between gpu and cpu; most at \[\d+\]: \S+ against \S+; the gpu engine computed a wrong result$`, lines[1])
}

// compileShader compiles shaders/NAME.comp, changed by edit, into dir/NAME.spv with glslc
// and the flags of shaders.mk. A missing glslc fails the test: CI installs it.
func compileShader(t *testing.T, name, dir string, edit func(src string) string) {
	t.Helper()
	glslc, err := exec.LookPath("glslc")
	require.NoError(t, err, "glslc is needed to compile a test shader (apt-get install glslc)")
	mk, err := os.ReadFile("../../shaders/shaders.mk")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^GLSLC_FLAGS \?= (.*)$`).FindSubmatch(mk)
	require.NotNil(t, m, "GLSLC_FLAGS in shaders.mk")
	flags := strings.Fields(string(m[1]))
	for i, f := range flags { // -I shaders is relative to the repository root
		if f == "-I" && i+1 < len(flags) {
			flags[i+1] = filepath.Join("../..", flags[i+1])
		}
	}
	src, err := os.ReadFile(filepath.Join("../../shaders", name+".comp"))
	require.NoError(t, err)
	comp := filepath.Join(dir, name+".comp")
	require.NoError(t, os.WriteFile(comp, []byte(edit(string(src))), 0o644))
	args := append(flags, "-o", filepath.Join(dir, name+".spv"), comp)
	out, err := exec.Command(glslc, args...).CombinedOutput()
	require.NoError(t, err, "glslc %s: %s", strings.Join(args, " "), out)
	require.NoError(t, os.Remove(comp)) // the folder holds the .spv alone
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

// TestShaderDirNeedsTheGPU: with VKCNN_SHADER_DIR set, -device auto does not fall back to
// the CPU engine, which would train without the shaders the user asked for; it stops with
// one line naming the variable (here the folder does not exist, and this machine may
// have no GPU: either is a reason the GPU engine cannot run).
func TestShaderDirNeedsTheGPU(t *testing.T) {
	data := synthData(t, 40)
	t.Setenv(shaderDirEnv, filepath.Join(t.TempDir(), "missing"))
	code, out, stderr := runTrain(t, "-data", data, "-arch", resumeNet, "-device", "auto", "-epochs", "1")
	assert.Equal(t, 1, code, out)
	assertOneLine(t, stderr, "train: -device auto with VKCNN_SHADER_DIR=")
	assert.Contains(t, stderr, "; -device gpu also takes a CPU Vulkan device")
	assert.NotContains(t, out, "epoch 1", "nothing was trained")
}
