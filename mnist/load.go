package mnist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// The MNIST file names, without the optional .gz.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// fetchHint ends every error about a missing MNIST file or directory.
const fetchHint = `run "make data" to fetch MNIST`

// Load reads the MNIST training and test sets from dir: the four files named above, each
// either gzip-compressed with a .gz suffix (preferred when both exist) or raw. Both sets
// must have the same image size.
func Load(dir string) (train, test *Dataset, err error) {
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("mnist: %s: no such directory; %s", dir, fetchHint)
		}
		return nil, nil, fmt.Errorf("mnist: %w", err)
	} else if !st.IsDir() {
		return nil, nil, fmt.Errorf("mnist: %s: not a directory", dir)
	}
	var paths [4]string
	for i, base := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		if paths[i], err = find(dir, base); err != nil {
			return nil, nil, err
		}
	}
	var wg sync.WaitGroup
	var testErr error
	wg.Go(func() { test, testErr = LoadFiles(paths[2], paths[3]) })
	train, err = LoadFiles(paths[0], paths[1])
	wg.Wait()
	if err = errors.Join(err, testErr); err != nil {
		return nil, nil, err
	}
	if train.H != test.H || train.W != test.W {
		return nil, nil, fmt.Errorf("mnist: %s: training images are %d×%d but test images (%s) are %d×%d",
			paths[0], train.H, train.W, filepath.Base(paths[2]), test.H, test.W)
	}
	return train, test, nil
}

// find returns dir/base.gz if it exists, else dir/base.
func find(dir, base string) (string, error) {
	for _, p := range []string{filepath.Join(dir, base+".gz"), filepath.Join(dir, base)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnist: %w", err)
		}
	}
	return "", fmt.Errorf("mnist: %s: neither %s.gz nor %s exists; %s", dir, base, base, fetchHint)
}

// LoadFiles reads one set from an IDX image file and an IDX label file (each raw or gzip)
// and checks that they hold the same number of samples.
func LoadFiles(imagesPath, labelsPath string) (*Dataset, error) {
	d, err := readFile(imagesPath, ReadImages)
	if err != nil {
		return nil, err
	}
	labels, err := readFile(labelsPath, ReadLabels)
	if err != nil {
		return nil, err
	}
	if len(labels) != d.N {
		return nil, fmt.Errorf("mnist: %s: %d labels for the %d images of %s", labelsPath, len(labels), d.N, filepath.Base(imagesPath))
	}
	d.Labels = labels
	return d, nil
}

func readFile[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		if errors.Is(err, fs.ErrNotExist) {
			return zero, fmt.Errorf("mnist: %s: no such file; %s", path, fetchHint)
		}
		return zero, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	return read(f, path)
}
