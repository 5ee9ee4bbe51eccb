package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCurvesRefuseTheCheckpointFiles: -metrics or -plot naming -init's or -save's
// checkpoint, as written, through another spelling, a link to the file or a link to its
// folder, is refused at flag time (exit 2, one line) and the checkpoint is untouched.
// Before, -init m.safetensors -metrics m.safetensors replaced the trained weights with
// JSON lines, exit 0.
func TestCurvesRefuseTheCheckpointFiles(t *testing.T) {
	data := dataDir(t, nil)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "m.png") // -plot wants a .png name; a checkpoint may have any
	code, _, errOut := runTrain(t, "-data", data, "-device", "cpu", "-arch", tinyNet, "-epochs", "1", "-save", ckpt)
	require.Equal(t, 0, code, errOut)
	orig, err := os.ReadFile(ckpt)
	require.NoError(t, err)
	require.NoError(t, os.Symlink(ckpt, filepath.Join(dir, "link.png")))
	viaFolder := filepath.Join(filepath.Dir(dir), filepath.Base(dir), ".", "m.png")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-init", ckpt, "-metrics", ckpt}, "-metrics " + ckpt + ": the same file as -init " + ckpt},
		{[]string{"-init", ckpt, "-plot", ckpt}, "-plot " + ckpt + ": the same file as -init " + ckpt},
		{[]string{"-save", ckpt, "-metrics", ckpt}, "-metrics " + ckpt + ": the same file as -save " + ckpt},
		{[]string{"-save", ckpt, "-plot", viaFolder}, "-plot " + viaFolder + ": the same file as -save " + ckpt},
		{[]string{"-init", ckpt, "-plot", filepath.Join(dir, "link.png")}, "-plot " + filepath.Join(dir, "link.png") + ": the same file as -init " + ckpt},
	} {
		code, _, errOut := runTrain(t, append([]string{"-data", data, "-device", "cpu", "-arch", tinyNet, "-epochs", "1"}, c.args...)...)
		assert.Equal(t, 2, code, "%v", c.args)
		assertOneLine(t, errOut, "train: "+c.want)
		got, err := os.ReadFile(ckpt)
		require.NoError(t, err)
		require.Equal(t, orig, got, "%v: the checkpoint is untouched", c.args)
	}
}

// TestSamePath: spellings, links to the file and to its folder, and files that do not
// exist yet.
func TestSamePath(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	require.NoError(t, os.Symlink(f, filepath.Join(dir, "link")))
	require.NoError(t, os.Symlink(dir, filepath.Join(dir, "sub")))
	require.NoError(t, os.Link(f, filepath.Join(dir, "hard")))
	for _, b := range []string{f, dir + "//./f", filepath.Join(dir, "link"), filepath.Join(dir, "sub", "f"), filepath.Join(dir, "hard")} {
		assert.True(t, samePath(f, b), b)
	}
	assert.True(t, samePath(filepath.Join(dir, "new"), filepath.Join(dir, "sub", "new")), "a new file through a folder link")
	assert.False(t, samePath(f, filepath.Join(dir, "new")))
	assert.False(t, samePath(filepath.Join(dir, "new"), filepath.Join(dir, "new2")))
}
