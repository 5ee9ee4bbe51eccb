package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loadWithin runs Load(dir) and fails the test if it does not return within a few seconds
// (a blocked open of a named pipe would never return).
func loadWithin(t *testing.T, dir string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, _, err := Load(dir)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Load(%s) still blocked after 5 s", dir)
		return nil
	}
}

// TestLoadRefusesWhatIsNotARegularFile: a named pipe, a device that never ends and a
// directory in the place of a data file are each refused at once, in one line naming the
// file and what it is.
func TestLoadRefusesWhatIsNotARegularFile(t *testing.T) {
	for _, tc := range []struct {
		what string
		make func(path string) error
		want string
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }, "a named pipe (FIFO), not a regular file"},
		{"/dev/zero", func(p string) error { return os.Symlink("/dev/zero", p) }, "a device, not a regular file"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, "a directory, not a file"},
	} {
		t.Run(strings.Trim(tc.what, "/"), func(t *testing.T) {
			dir := t.TempDir()
			writeSet(t, dir, true, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
			path := filepath.Join(dir, TrainImagesFile+".gz")
			require.NoError(t, os.Remove(path))
			require.NoError(t, tc.make(path))
			if tc.what == "fifo" {
				// If Load does block in open, a writer lets it go when the test ends.
				t.Cleanup(func() {
					if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
						f.Close()
					}
				})
			}
			require.EqualError(t, loadWithin(t, dir), "mnist: "+path+": "+tc.want)
		})
	}
}

// TestLoadOddPathIsOneLine: a folder name with a newline is quoted, so the message stays
// one line, and each failing set is named in it.
func TestLoadOddPathIsOneLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mn\nist")
	require.NoError(t, os.Mkdir(dir, 0o755))
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 10), imagesFile(2, 2, 5, 2), labelsFile(1))
	err := loadWithin(t, dir)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "\n")
	require.Contains(t, err.Error(), `mn\nist/train-labels-idx1-ubyte": label 2 is 10`)
	require.Contains(t, err.Error(), `mn\nist/t10k-labels-idx1-ubyte": 1 labels for the 2 images`)

	_, _, err = Load(filepath.Join(dir, "nope"))
	require.EqualError(t, err, "mnist: "+showPath(filepath.Join(dir, "nope"))+`: no such directory; run "make data" to fetch MNIST`)
	require.NotContains(t, err.Error(), "\n")
}

func TestShowPath(t *testing.T) {
	require.Equal(t, "data/mnist", showPath("data/mnist"))
	require.Equal(t, "my data/é", showPath("my data/é"), "spaces and printable Unicode as they are")
	require.Equal(t, `"a\nb"`, showPath("a\nb"))
	require.Equal(t, `"a\rb"`, showPath("a\rb"))
	require.Equal(t, `"\xff"`, showPath("\xff"))
}
