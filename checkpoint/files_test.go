package checkpoint

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// openWithin runs Open(path) and fails the test if it has not returned within d; a FIFO
// nobody writes to would block a plain open forever, so on timeout the test opens it for
// writing itself to let the blocked call go.
func openWithin(t *testing.T, path string, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		r, err := Open(path)
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		if w, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			w.Close()
		}
		t.Fatalf("Open(%s) still blocked after %v", path, d)
		return nil
	}
}

// TestOpenRefusesNonRegular: a FIFO, a device and a folder are refused in one line,
// without blocking on the FIFO and without reading /dev/zero's endless zeros.
func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	link := filepath.Join(dir, "link.safetensors")
	require.NoError(t, os.Symlink("fifo.safetensors", link))
	for path, want := range map[string]string{
		fifo:        "is a named pipe (FIFO), not a regular file",
		link:        "is a named pipe (FIFO), not a regular file",
		"/dev/zero": "is a character device, not a regular file",
		"/dev/null": "is a character device, not a regular file",
		dir:         "is a directory",
	} {
		err := openWithin(t, path, 5*time.Second)
		require.EqualError(t, err, "checkpoint "+path+": "+want)
	}
}

// TestLoadAllocatesWhatTheArchNeeds: a file far larger than its header says (a checkpoint
// followed by 64 MiB of zeros, sparse on disk) is refused from its header and size alone,
// without reading or allocating its data.
func TestLoadAllocatesWhatTheArchNeeds(t *testing.T) {
	good, err := os.ReadFile(fixture)
	require.NoError(t, err)
	path := writeTemp(t, good)
	const size = 64 << 20
	require.NoError(t, os.Truncate(path, size))
	a := tinyArch(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = loadFile(path, a)
	runtime.ReadMemStats(&after)
	require.EqualError(t, err, "checkpoint "+path+": 67107632 bytes of data after the last tensor (the tensors take 840 bytes, the file holds 67108472)")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated to refuse a %d-byte file", size)
}

// TestReadThroughOneOpenFile: a checkpoint renamed over the path after Open (another run's
// save) does not change what the open Reader reads: arch and parameters both come from
// the file that was opened.
func TestReadThroughOneOpenFile(t *testing.T) {
	dir := t.TempDir()
	path, _ := oldCheckpoint(t, dir)
	a := tinyArch(t)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()

	other := lenet(t, "lenet-12-16")
	next := filepath.Join(dir, "next.safetensors")
	require.NoError(t, Save(next, other, other.InitParams(1)))
	require.NoError(t, os.Rename(next, path))

	b, err := r.Arch(a.Input, a.Classes)
	require.NoError(t, err)
	require.Equal(t, a, b)
	p, err := r.Load(a)
	require.NoError(t, err)
	require.Equal(t, bits(tinyParams(a)), bits(p))
}
