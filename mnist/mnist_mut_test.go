package mnist

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Cases that the other tests of the package left open, each found by a deliberate wrong
// change to mnist that all of them let through.

// TestExactlyMaxPixelsIsAllowed: a header of exactly 2^30 pixels (2^20 images of 32×32)
// passes the pixel bound ("more than" is refused); this one then fails for its missing
// data, which costs nothing since the raw file's size shows how little there is.
func TestExactlyMaxPixelsIsAllowed(t *testing.T) {
	_, err := ReadImages(bytes.NewReader(idx(ImagesMagic, []int{1 << 20, 32, 32}, []byte{1, 2, 3})), "f")
	require.EqualError(t, err, "mnist: f: header promises 1048576 images of 32×32, the data ends after 0 whole images (3 of 1073741824 bytes; file truncated)")
}

// TestLoadTrainTestWidthsDiffer: sets whose heights agree but whose widths do not are
// refused (the other test changes both at once).
func TestLoadTrainTestWidthsDiffer(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 2, 6, 2), labelsFile(1, 5))
	_, _, err := Load(dir)
	require.EqualError(t, err, "mnist: "+filepath.Join(dir, TrainImagesFile)+": training images are 2×5 but test images (t10k-images-idx3-ubyte) are 2×6")
}

// TestLoadMoreLabelsThanImages: extra labels are as wrong as missing ones.
func TestLoadMoreLabelsThanImages(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4, 1), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
	_, _, err := Load(dir)
	require.EqualError(t, err, "mnist: "+filepath.Join(dir, TrainLabelsFile)+": 4 labels for the 3 images of train-images-idx3-ubyte")
}

// TestOnlyTheTwoByteMagicIsGzip: a file starting with 0x1f but not 1f 8b is not taken for
// gzip; it is an IDX file with a wrong magic number.
func TestOnlyTheTwoByteMagicIsGzip(t *testing.T) {
	_, err := ReadImages(bytes.NewReader(idx(0x1f000803, []int{1, 1, 1}, []byte{0})), "f")
	require.EqualError(t, err, "mnist: f: want magic 0x00000803, got 0x1f000803")
}
