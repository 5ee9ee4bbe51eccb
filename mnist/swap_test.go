package mnist

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFileSwappedForAFIFOAfterTheCheck: a data file replaced by a named pipe between
// readFile's check and its open (another process can do that at any time) is refused
// from the open file, at once; a blocking open would wait for a writer forever.
func TestFileSwappedForAFIFOAfterTheCheck(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
	path := filepath.Join(dir, TestLabelsFile)
	t.Cleanup(func() { afterStat = func(string) {} })
	afterStat = func(p string) {
		if p == path {
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o600))
		}
	}
	t.Cleanup(func() { // lets a blocked open go, should the open block
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	require.EqualError(t, loadWithin(t, dir), "mnist: "+path+": a named pipe (FIFO), not a regular file")
}

// TestDanglingLinkIsNamed: a data file that is a symbolic link to nothing is named with
// its target, not reported as a file that does not exist; beside the raw file, the .gz
// link to nothing is passed over as before.
func TestDanglingLinkIsNamed(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
	link := filepath.Join(dir, TrainLabelsFile+".gz")
	require.NoError(t, os.Symlink("/no/such/labels.gz", link))
	require.NoError(t, loadWithin(t, dir), "the raw file is there")

	require.NoError(t, os.Remove(filepath.Join(dir, TrainLabelsFile)))
	require.EqualError(t, loadWithin(t, dir), "mnist: "+link+": a symbolic link to /no/such/labels.gz, which does not exist")
}

// TestEmptyDirectoryNameIsShown: -data "" names the empty path as "", not as nothing
// between two colons.
func TestEmptyDirectoryNameIsShown(t *testing.T) {
	_, _, err := Load("")
	require.EqualError(t, err, `mnist: "": no such directory; run "make data" to fetch MNIST`)
	require.Equal(t, `""`, showPath(""))
}

// TestSizeMismatchBeforeTheBodies: training and test images of different sizes are
// refused from the headers, before the bodies are read: a 100 KB gzip of 100,000 blank
// 28×28 images beside 29×28 test images cost 850 MB and seconds, only to fail on the
// sizes.
func TestSizeMismatchBeforeTheBodies(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, nil, labelsFile(make([]byte, 100_000)...), imagesFile(2, 29, 28, 2), labelsFile(1, 5))
	train := filepath.Join(dir, TrainImagesFile+".gz")
	require.NoError(t, os.Remove(filepath.Join(dir, TrainImagesFile)))
	require.NoError(t, os.WriteFile(train, gz(idx(ImagesMagic, []int{100_000, 28, 28}, make([]byte, 100_000*28*28))), 0o644))
	var err error
	used := allocated(func() { _, _, err = Load(dir) })
	require.EqualError(t, err, "mnist: "+train+": training images are 28×28 but test images (t10k-images-idx3-ubyte) are 29×28")
	require.Less(t, used, uint64(8<<20), "%d bytes allocated", used)
}
