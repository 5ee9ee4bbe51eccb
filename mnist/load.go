package mnist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
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
// must have the same image size. When both sets are bad, the error names both problems,
// on one line, separated by "; ".
func Load(dir string) (train, test *Dataset, err error) {
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("mnist: %s: no such directory; %s", showPath(dir), fetchHint)
		}
		return nil, nil, fileError(dir, err)
	} else if !st.IsDir() {
		return nil, nil, fmt.Errorf("mnist: %s: not a directory", showPath(dir))
	}
	var paths [4]string
	for i, base := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		if paths[i], err = find(dir, base); err != nil {
			return nil, nil, err
		}
	}
	// The image sizes are in the headers: compare them before reading gigabytes of pixels.
	if h, w, ok := imageSize(paths[0]); ok {
		if th, tw, ok := imageSize(paths[2]); ok && (h != th || w != tw) {
			return nil, nil, sizeMismatch(paths, h, w, th, tw)
		}
	}
	var wg sync.WaitGroup
	var testErr error
	wg.Go(func() { test, testErr = LoadFiles(paths[2], paths[3]) })
	train, err = LoadFiles(paths[0], paths[1])
	wg.Wait()
	switch {
	case err != nil && testErr != nil:
		return nil, nil, fmt.Errorf("%w; %w", err, testErr)
	case err != nil:
		return nil, nil, err
	case testErr != nil:
		return nil, nil, testErr
	}
	if train.H != test.H || train.W != test.W { // the files changed since imageSize read them
		return nil, nil, sizeMismatch(paths, train.H, train.W, test.H, test.W)
	}
	return train, test, nil
}

// sizeMismatch is Load's error for training images of h×w and test images of th×tw.
func sizeMismatch(paths [4]string, h, w, th, tw int) error {
	return fmt.Errorf("mnist: %s: training images are %d×%d but test images (%s) are %d×%d",
		showPath(paths[0]), h, w, showPath(filepath.Base(paths[2])), th, tw)
}

// imageSize reads the image height and width from the header of the IDX image file at
// path, without its body; ok is false when the header cannot be read (reading the whole
// file then says why).
func imageSize(path string) (h, w int, ok bool) {
	dims, err := readFile(path, func(r io.Reader, name string) ([]int, error) {
		src, err := openIDX(r, name, ImagesMagic)
		if err != nil {
			return nil, err
		}
		return src.dims, nil
	})
	if err != nil {
		return 0, 0, false
	}
	return dims[1], dims[2], true
}

// find returns dir/base.gz if it exists, else dir/base. When neither does but one is a
// symbolic link to nothing, the error names that link and its target.
func find(dir, base string) (string, error) {
	var dangling error
	for _, p := range []string{filepath.Join(dir, base+".gz"), filepath.Join(dir, base)} {
		_, err := os.Stat(p)
		switch {
		case err == nil:
			return p, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", fileError(p, err)
		}
		if target, err := os.Readlink(p); err == nil && dangling == nil {
			dangling = fmt.Errorf("mnist: %s: a symbolic link to %s, which does not exist", showPath(p), showPath(target))
		}
	}
	if dangling != nil {
		return "", dangling
	}
	return "", fmt.Errorf("mnist: %s: neither %s.gz nor %s exists; %s", showPath(dir), base, base, fetchHint)
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
		return nil, fmt.Errorf("mnist: %s: %d labels for the %d images of %s", showPath(labelsPath), len(labels), d.N, showPath(filepath.Base(imagesPath)))
	}
	d.Labels = labels
	return d, nil
}

// readFile reads a regular file with read. Anything else is refused before it is opened:
// opening a named pipe blocks until a writer comes, and a device such as /dev/zero never
// ends. The open is non-blocking, so that a named pipe put in the file's place between
// the check and the open is refused too, from the open file, instead of blocking.
func readFile[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return zero, fmt.Errorf("mnist: %s: no such file; %s", showPath(path), fetchHint)
		}
		return zero, fileError(path, err)
	}
	if err := regular(path, st); err != nil {
		return zero, err
	}
	afterStat(path)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return zero, fileError(path, err)
	}
	defer f.Close()
	// The path may have been replaced between Stat and Open.
	if st, err := f.Stat(); err != nil {
		return zero, fileError(path, err)
	} else if err := regular(path, st); err != nil {
		return zero, err
	}
	return read(f, showPath(path))
}

// afterStat lets a test replace a file between readFile's check and its open.
var afterStat = func(path string) {}

// regular refuses anything but a regular file, naming what it is.
func regular(path string, st fs.FileInfo) error {
	m := st.Mode()
	what := "not a regular file"
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "a directory, not a file"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a regular file"
	case m&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case m&fs.ModeDevice != 0:
		what = "a device, not a regular file"
	}
	return fmt.Errorf("mnist: %s: %s", showPath(path), what)
}

// fileError is an error of the file system about path, on one line: the path (quoted when
// it holds odd characters) and the cause, without Go's repetition of the path.
func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("mnist: %s: %w", showPath(path), err)
}

// showPath is path as an error message shows it: as it is, or Go-quoted when it holds a
// character that would break the one-line message or hide in it (a newline, a control
// character, invalid UTF-8, a quote or a backslash) or is empty.
func showPath(path string) string {
	if q := strconv.Quote(path); path == "" || q[1:len(q)-1] != path {
		return q
	}
	return path
}
