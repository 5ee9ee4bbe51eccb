package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goTool is the go command of the toolchain running the tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	_, err := os.Stat(p)
	require.NoError(t, err, "no go command on PATH or in GOROOT")
	return p
}

// noCgo runs the go command with CGO_ENABLED=0 in the module's root.
func noCgo(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(goTool(t), args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "CGO_ENABLED=0 go %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// TestBuildsWithoutCgo: with CGO_ENABLED=0 the command and the CPU-only packages build
// and vet, link no Vulkan, and the binary trains on the CPU; -device gpu is one line
// saying the binary has no Vulkan, and -device auto says so and uses the CPU.
func TestBuildsWithoutCgo(t *testing.T) {
	cpuOnly := []string{".", "./cmd/train", "./mnist", "./model", "./checkpoint", "./cpu", "./train", "./digit", "./engine"}
	bin := filepath.Join(t.TempDir(), "train")
	noCgo(t, "build", "-o", bin, "./cmd/train")
	noCgo(t, append([]string{"vet"}, cpuOnly...)...)
	deps := noCgo(t, append([]string{"list", "-deps"}, cpuOnly...)...)
	for _, dep := range strings.Fields(deps) {
		assert.NotContains(t, dep, "vulkan", "a CGO_ENABLED=0 build links %s", dep)
		assert.NotEqual(t, "runtime/cgo", dep)
	}

	data := dataDir(t, nil)
	cmd := exec.Command(bin, "-data", data, "-arch", tinyNet, "-epochs", "1", "-device", "gpu")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Equal(t, "train: -device gpu: this binary was built without Vulkan (CGO_ENABLED=0)\n", string(out))

	cmd = exec.Command(bin, "-data", data, "-arch", tinyNet, "-epochs", "1", "-json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	assert.Equal(t, "train: no usable GPU (this binary was built without Vulkan (CGO_ENABLED=0)); training on the CPU\n", stderr.String())
	assert.Contains(t, string(stdout), `"engine":"cpu"`)
}
