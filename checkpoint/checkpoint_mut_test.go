package checkpoint

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Cases that the other tests of the package left open, each found by a deliberate wrong
// change to checkpoint that all of them let through.

// TestHeaderLengthAtTheLimit: a header length of exactly maxHeader passes the length bound
// (the safetensors library accepts it) and is then refused only because this file is too
// short for it.
func TestHeaderLengthAtTheLimit(t *testing.T) {
	file := binary.LittleEndian.AppendUint64(nil, maxHeader)
	file = append(file, `{"a":1}`...)
	path := writeTemp(t, file)
	_, err := Open(path)
	require.EqualError(t, err, "checkpoint "+path+": header length 100000000 does not fit a file of 15 bytes: truncated, or not a safetensors file")
}

// TestRangeEndingOneBeforeItsBegin: [b, b−1] is not a byte range, named as such (not as a
// size that does not match the shape).
func TestRangeEndingOneBeforeItsBegin(t *testing.T) {
	good, err := os.ReadFile(fixture)
	require.NoError(t, err)
	path := writeTemp(t, editHeader(t, good, `[72,80]`, `[72,71]`))
	_, err = loadFile(path, tinyArch(t))
	require.EqualError(t, err, "checkpoint "+path+": tensor conv1.bias: data_offsets [72, 71] are not a byte range")
}

// TestArchIgnoresAPresetNameWithOtherLayers: the metadata's "name" only renames the arch of
// its "arch" when that preset has the same layers; a name that does not match (an edited
// file, another tool) must not replace the layers the file was made for.
func TestArchIgnoresAPresetNameWithOtherLayers(t *testing.T) {
	a := lenet(t, "lenet-6-12")
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, Save(path, a, a.InitParams(3)))
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	renamed := writeTemp(t, editHeader(t, file, `"name":"lenet-6-12"`, `"name":"lenet-16-32"`))
	r, err := Open(renamed)
	require.NoError(t, err)
	defer r.Close()
	b, err := r.Arch(a.Input, a.Classes)
	require.NoError(t, err)
	assert.Equal(t, a.Spec, b.Spec, "the layers of the file's arch")
	assert.Equal(t, a.Layers, b.Layers)
}

// TestLockNamesTheHolderOverALongerStalePid: the lock file of a killed run may hold a
// longer pid than this one; the holder replaces it, so a second run is told this pid, not
// a mix of the two.
func TestLockNamesTheHolderOverALongerStalePid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	stale := strings.Repeat("9", len(fmt.Sprint(os.Getpid()))+3) + "\n"
	require.NoError(t, os.WriteFile(path+".lock", []byte(stale), 0o644))
	first, err := Lock(path)
	require.NoError(t, err)
	defer first.Close()
	_, err = Lock(path)
	require.EqualError(t, err, fmt.Sprintf("in use by another run (pid %d), which holds %s.lock", os.Getpid(), path))
}

// TestLockHoldersNeverOverlap: many lockers of one path, each taking the lock, holding it
// briefly and closing it (which removes the lock file), never hold it at the same time.
// A locker that opened the lock file just before the holder removed it locks a file no
// longer at the path; unless it notices, it and the next locker of the new file both hold
// "the" lock.
func TestLockHoldersNeverOverlap(t *testing.T) {
	if testing.Short() {
		t.Skip("a stress test of a few seconds")
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	var holders, overlaps, taken atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				l, err := Lock(path)
				if err != nil {
					continue // held by another: the expected refusal
				}
				taken.Add(1)
				if holders.Add(1) > 1 {
					overlaps.Add(1)
				}
				for range 50 {
					_, _ = os.Stat(path) // hold it a little
				}
				holders.Add(-1)
				assert.NoError(t, l.Close())
			}
		})
	}
	wg.Wait()
	require.Greater(t, taken.Load(), int64(100), "the lock was taken often enough to race")
	require.Zero(t, overlaps.Load(), "two lockers held the lock at once %d times", overlaps.Load())
}
