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
		{[]string{"-init", ckpt, "-metrics", ckpt}, "-metrics " + ckpt + ": the same file as -init " + ckpt + "; one would overwrite the other"},
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

// TestOutputsSpareTheData: -save, -metrics or -plot naming a file of the -data folder (as
// written, through a link, or a .gz name not there yet) is refused at flag time and the
// data is untouched. Before, -save DATA/t10k-labels-idx1-ubyte replaced the test labels
// with a checkpoint after the first epoch, exit 0, and the next run failed on them.
func TestOutputsSpareTheData(t *testing.T) {
	data := dataDir(t, nil)
	labels := filepath.Join(data, "t10k-labels-idx1-ubyte")
	orig, err := os.ReadFile(labels)
	require.NoError(t, err)
	link := filepath.Join(t.TempDir(), "labels.png")
	require.NoError(t, os.Symlink(labels, link))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-save", labels}, "-save " + labels + ": the same file as -data's " + labels},
		{[]string{"-metrics", labels}, "-metrics " + labels + ": the same file as -data's " + labels},
		{[]string{"-plot", link}, "-plot " + link + ": the same file as -data's " + labels},
		{[]string{"-save", labels + ".gz"}, "-save " + labels + ".gz: the same file as -data's " + labels + ".gz"},
	} {
		code, _, errOut := runTrain(t, append([]string{"-data", data, "-device", "cpu", "-arch", tinyNet, "-epochs", "1"}, c.args...)...)
		assert.Equal(t, 2, code, "%v", c.args)
		assertOneLine(t, errOut, "train: "+c.want+"; one would overwrite the other")
		got, err := os.ReadFile(labels)
		require.NoError(t, err)
		require.Equal(t, orig, got, "%v: the data is untouched", c.args)
	}
	code, _, errOut := runTrain(t, "-data", data, "-device", "cpu", "-arch", tinyNet, "-epochs", "1", "-save", filepath.Join(data, "m.safetensors"))
	assert.Equal(t, 0, code, "another file in the data folder is fine: %s", errOut)
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
