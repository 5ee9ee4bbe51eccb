package vkcnn_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExternalModulePredicts builds and runs examples/predict, a program in a module of its
// own that reaches this one only through its go.mod (github.com/vkcnn/vkcnn): the API as a
// user outside the repository sees it. It classifies the committed digits with the
// committed model, one line each, every one right.
func TestExternalModulePredicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second module (-short)")
	}
	digits, err := filepath.Glob("testdata/digits/*.png")
	require.NoError(t, err)
	require.NotEmpty(t, digits)
	args := []string{"run", ".", "../../testdata/model/lenet-6-12.safetensors"}
	for _, d := range digits {
		args = append(args, "../../"+d)
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Dir = filepath.Join("examples", "predict")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, len(digits), "%s", out)
	for i, d := range digits {
		// testdata/digits/D-testN.png is a picture of the digit D.
		want := "../../" + d + ": " + filepath.Base(d)[:1] + " ("
		require.Truef(t, strings.HasPrefix(lines[i], want), "line %d: %q, want it to start with %q", i, lines[i], want)
	}
}
