package mnist

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeSet writes the four MNIST files into dir, gzip-compressed when gzipped is true.
func writeSet(t *testing.T, dir string, gzipped bool, trainImages, trainLabels, testImages, testLabels []byte) {
	t.Helper()
	for base, data := range map[string][]byte{
		TrainImagesFile: trainImages, TrainLabelsFile: trainLabels,
		TestImagesFile: testImages, TestLabelsFile: testLabels,
	} {
		name := base
		if gzipped {
			name, data = base+".gz", gz(data)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
}

func TestLoadMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	train, test, err := Load(dir)
	require.EqualError(t, err, "mnist: "+dir+`: no such directory; run "make data" to fetch MNIST`)
	require.Nil(t, train)
	require.Nil(t, test)
}

func TestLoadMissingFile(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, true, imagesFile(2, 3, 4, 0), labelsFile(1, 2), imagesFile(1, 3, 4, 0), labelsFile(3))
	require.NoError(t, os.Remove(filepath.Join(dir, TestLabelsFile+".gz")))
	_, _, err := Load(dir)
	require.EqualError(t, err, "mnist: "+dir+`: neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte exists; run "make data" to fetch MNIST`)
}

func TestLoadNotADir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
	_, _, err := Load(path)
	require.EqualError(t, err, "mnist: "+path+": not a directory")
}

func TestLoadRawAndGzip(t *testing.T) {
	for _, gzipped := range []bool{false, true} {
		dir := t.TempDir()
		writeSet(t, dir, gzipped, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
		train, test, err := Load(dir)
		require.NoError(t, err, "gzipped=%v", gzipped)
		require.Equal(t, &Dataset{Images: scaled(pattern(30, 1)), Labels: []uint8{3, 1, 4}, N: 3, H: 2, W: 5}, train)
		require.Equal(t, &Dataset{Images: scaled(pattern(20, 2)), Labels: []uint8{1, 5}, N: 2, H: 2, W: 5}, test)
	}
}

// TestLoadPrefersGzip: with both name.gz and name present, the .gz is read (here the raw
// files are garbage, so reading them would fail).
func TestLoadPrefersGzip(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, true, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
	writeSet(t, dir, false, nil, nil, nil, nil)
	train, test, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, []uint8{3, 1, 4}, train.Labels)
	require.Equal(t, []uint8{1, 5}, test.Labels)
}

func TestLoadFewerLabelsThanImages(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, true, imagesFile(3, 2, 5, 1), labelsFile(3, 1), imagesFile(2, 2, 5, 2), labelsFile(1, 5))
	_, _, err := Load(dir)
	require.EqualError(t, err, "mnist: "+filepath.Join(dir, TrainLabelsFile+".gz")+": 2 labels for the 3 images of train-images-idx3-ubyte.gz")
}

func TestLoadTrainTestSizesDiffer(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 4), imagesFile(2, 5, 2, 2), labelsFile(1, 5))
	_, _, err := Load(dir)
	require.EqualError(t, err, "mnist: "+filepath.Join(dir, TrainImagesFile)+": training images are 2×5 but test images (t10k-images-idx3-ubyte) are 5×2")
}

// TestLoadBothSetsBad: an error in each set is reported for each, on one line.
func TestLoadBothSetsBad(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, false, imagesFile(3, 2, 5, 1), labelsFile(3, 1, 10), imagesFile(2, 2, 5, 2), labelsFile(1))
	_, _, err := Load(dir)
	require.EqualError(t, err, "mnist: "+filepath.Join(dir, TrainLabelsFile)+": label 2 is 10, want 0..9; "+
		"mnist: "+filepath.Join(dir, TestLabelsFile)+": 1 labels for the 2 images of t10k-images-idx3-ubyte")
}

func TestLoadFilesMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x-images")
	_, err := LoadFiles(path, path)
	require.EqualError(t, err, "mnist: "+path+`: no such file; run "make data" to fetch MNIST`)
}

// TestLoadReal loads the real MNIST from data/mnist ("make data").
func TestLoadReal(t *testing.T) {
	train, test, err := Load(realDataDir(t))
	require.NoError(t, err)
	require.Equal(t, [3]int{60000, 28, 28}, [3]int{train.N, train.H, train.W})
	require.Equal(t, [3]int{10000, 28, 28}, [3]int{test.N, test.H, test.W})
	require.Len(t, train.Images, 60000*28*28)
	require.Len(t, test.Labels, 10000)
	require.Equal(t, []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, train.Labels[:10])
	require.Equal(t, []uint8{7, 2, 1, 0, 4}, test.Labels[:5])
	// The class counts of the MNIST training set.
	var counts [Classes]int
	for _, l := range train.Labels {
		counts[l]++
	}
	require.Equal(t, [Classes]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, counts)
	// Pixel values span exactly 0..1; the border pixel of the first image is blank.
	lo, hi := train.Images[0], train.Images[0]
	for _, v := range train.Images {
		lo, hi = min(lo, v), max(hi, v)
	}
	require.Equal(t, [2]float32{0, 1}, [2]float32{lo, hi})
}
