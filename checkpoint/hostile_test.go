package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAbandonDuringSave: a signal handler's Abandon, at any step of a Save running on
// another goroutine, leaves the old checkpoint byte-identical, no temporary file and no
// lock file, and every later Save fails without writing.
func TestAbandonDuringSave(t *testing.T) {
	a := tinyArch(t)
	t.Cleanup(func() { failAt = func(string) error { return nil } })
	for _, step := range []string{"chmod", "write", "sync", "close", "rename"} {
		dir := t.TempDir()
		path, old := oldCheckpoint(t, dir)
		tg, err := Lock(path)
		require.NoError(t, err)
		reached, resume := make(chan struct{}), make(chan struct{})
		failAt = func(s string) error {
			if s == step {
				close(reached)
				<-resume
			}
			return nil
		}
		saved := make(chan error)
		go func() { saved <- tg.Save(a, a.InitParams(3)) }()
		<-reached
		tg.Abandon()
		close(resume)
		require.Error(t, <-saved, step)
		failAt = func(string) error { return nil }

		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, old, got, "abandoned at %s: the old checkpoint stays", step)
		requireOnly(t, dir, "m.safetensors")
		require.EqualError(t, tg.Save(a, a.InitParams(4)), "checkpoint "+path+": abandoned (the run is stopping), not written")
		requireOnly(t, dir, "m.safetensors")
		require.NoError(t, tg.Close(), "Close after Abandon is harmless")
	}
}

// TestAbandonBetweenSaves: after a completed Save, Abandon keeps the new checkpoint and
// removes only the lock file.
func TestAbandonBetweenSaves(t *testing.T) {
	a := tinyArch(t)
	dir := t.TempDir()
	path, old := oldCheckpoint(t, dir)
	tg, err := Lock(path)
	require.NoError(t, err)
	require.NoError(t, tg.Save(a, a.InitParams(5)))
	requireOnly(t, dir, "m.safetensors", "m.safetensors.lock")
	tg.Abandon()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotEqual(t, old, got)
	requireOnly(t, dir, "m.safetensors")
}

// TestLockRemovesStaleTemporaryFiles: the temporary files a killed run left in the middle
// of a save (SIGKILL cannot be caught) are removed by the next run that locks the file;
// anything else with a similar name stays.
func TestLockRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path, _ := oldCheckpoint(t, dir)
	keep := []string{
		".m.safetensors-123456789.tmp",   // nine digits
		".m.safetensors-12345678901.tmp", // eleven
		".m.safetensors-12345abcde.tmp",
		".n.safetensors-0123456789.tmp", // another checkpoint's
		"m.safetensors-0123456789.tmp",
		".m.safetensors-0123456789.tmp~",
	}
	for _, name := range append([]string{".m.safetensors-0123456789.tmp", ".m.safetensors-4294967295.tmp"}, keep...) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("half a checkpoint"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".m.safetensors-1111111111.tmp"), 0o755))
	keep = append(keep, ".m.safetensors-1111111111.tmp") // not a file a save makes

	tg, err := Lock(path)
	require.NoError(t, err)
	requireOnly(t, dir, append([]string{"m.safetensors", "m.safetensors.lock"}, keep...)...)
	require.NoError(t, tg.Close())
}
