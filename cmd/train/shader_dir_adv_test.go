package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shaderCopy copies the built-in shaders/NAME.spv to dir/file, changed by edit.
func shaderCopy(t *testing.T, name, dir, file string, edit func([]byte)) string {
	t.Helper()
	code, err := os.ReadFile(filepath.Join("../../shaders", name+".spv"))
	require.NoError(t, err)
	edit(code)
	path := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(path, code, 0o644))
	return path
}

// TestShaderDirIgnoredOnTheCPU: VKCNN_SHADER_DIR left exported while training with -device
// cpu does not stop the run, but one line says that the shaders are not run, so that nobody
// believes a CPU run tested them.
func TestShaderDirIgnoredOnTheCPU(t *testing.T) {
	dir := t.TempDir()
	shaderCopy(t, "sgd_update", dir, "sgd_update.spv", func([]byte) {})
	t.Setenv("VKCNN_SHADER_DIR", dir)
	code, out, stderr := runTrain(t, "-data", dataDir(t, nil), "-device", "cpu", "-arch", "conv1x1x2,maxpool2,dense10", "-epochs", "0")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "test acc")
	assert.Equal(t, "train: VKCNN_SHADER_DIR="+dir+" is ignored: -device cpu runs no shaders\n", stderr)
}

// TestShaderDirFileTheNetworkDoesNotRun: a shader file the network never loads (a ReLU fused
// into the convolution before it runs no relu_forward) is named on stderr, not ignored in
// silence; a module the driver refuses is an error naming the file, not only the shader.
func TestShaderDirFileTheNetworkDoesNotRun(t *testing.T) {
	needGPU(t)
	run := []string{"-data", dataDir(t, nil), "-device", "gpu", "-arch", "conv1x1x2,relu,maxpool2,dense10", "-epochs", "0"}
	dir := t.TempDir()
	relu := shaderCopy(t, "relu_forward", dir, "relu_forward.spv", func([]byte) {})
	t.Setenv("VKCNN_SHADER_DIR", dir)
	code, out, stderr := runTrain(t, run...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "train: VKCNN_SHADER_DIR: "+relu+" is not used: the gpu engine runs no such shader for conv1x1x2,relu,maxpool2,dense10\n", stderr)

	// A word of the module's body flipped: the header and the interface are those of the
	// built-in shader, and the driver refuses it (lavapipe: VK_ERROR_UNKNOWN). Invalid
	// SPIR-V is undefined behaviour for a Vulkan driver, and this runs in the test's own
	// process: only on lavapipe, whose answer is known.
	if !strings.Contains(out, "llvmpipe") {
		t.Log("the driver's refusal of a corrupt module is checked on lavapipe only")
		return
	}
	bad := t.TempDir()
	sgd := shaderCopy(t, "sgd_update", bad, "sgd_update.spv", func(b []byte) { copy(b[40:44], []byte{0xff, 0xff, 0xff, 0xff}) })
	t.Setenv("VKCNN_SHADER_DIR", bad)
	code, _, stderr = runTrain(t, run...)
	if code == 0 { // a driver may accept it; then it must at least say that it runs it
		assert.Contains(t, stderr, "runs sgd_update from "+sgd)
		return
	}
	assert.Equal(t, 1, code)
	assertOneLine(t, stderr, "train: -device gpu: gpu: VKCNN_SHADER_DIR: "+sgd+": vulkan: shader sgd_update: ")
}
