package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/gif" // the formats predict reads
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/vkcnn/vkcnn"
	"github.com/vkcnn/vkcnn/digit"
)

// maxPixels bounds the images predict decodes, read from the header before the image: a
// 12-megapixel photo is 1/4 of it, and a small file that claims more (a decompression
// bomb) is refused without allocating for it.
const maxPixels = 50_000_000

// usageError is a bad command line: exit status 2.
type usageError struct{ error }

// subFlags is a subcommand's flag set, quiet on errors (run reports them on one line).
func subFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseSub parses a subcommand's flags; -h prints usage and the flags to stderr.
func parseSub(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "usage: train "+usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return err
		}
		return usageError{errors.New(firstLine(err.Error()))}
	}
	return nil
}

// exitCode reports err on one line of stderr and returns the exit status: 0 for none or
// -h, 2 for a usage error, 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintln(stderr, "train:", singleLine(err.Error()))
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// errSomeFailed is predict's error when some images could not be classified: each was
// already reported on its own line.
var errSomeFailed = errors.New("")

// runPredict is `train predict -model FILE [-json] IMAGE...`: one line per image on
// stdout, `PATH: DIGIT (PROB%)` or, with -json, {"path","digit","probs"}. An image that
// cannot be read or holds no digit is one line on stderr; the others are still classified,
// and the exit status is then 1.
func runPredict(args []string, stdout, stderr io.Writer) int {
	out := &checkedWriter{w: stdout}
	err := predict(args, out, stderr)
	if err == nil {
		err = out.failed()
	}
	if err == errSomeFailed {
		return 1
	}
	return exitCode(err, stderr)
}

func predict(args []string, stdout, stderr io.Writer) error {
	fs := subFlags("predict")
	modelPath := fs.String("model", "", "checkpoint (.safetensors) to classify with")
	asJSON := fs.Bool("json", false, "one JSON object per image: path, digit, probs")
	if err := parseSub(fs, args, "predict -model FILE [-json] IMAGE...  (PNG, JPEG, GIF)", stderr); err != nil {
		return err
	}
	if *modelPath == "" {
		return usageError{errors.New("predict: -model FILE is required")}
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageError{errors.New("predict: no images given (usage: train predict -model FILE [-json] IMAGE...)")}
	}
	m, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	x, errs := prepareFiles(paths)
	ps, err := m.PredictPrepared(x)
	if err != nil {
		return err
	}
	failed := false
	j := 0
	for i, path := range paths {
		if errs[i] != nil {
			fmt.Fprintln(stderr, "train:", singleLine(errs[i].Error()))
			failed = true
			continue
		}
		p := ps[j]
		j++
		if *asJSON {
			b, _ := json.Marshal(struct {
				Path  string      `json:"path"`
				Digit int         `json:"digit"`
				Probs [10]float32 `json:"probs"`
			}{path, p.Digit, p.Probs})
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			fmt.Fprintf(stdout, "%s: %d (%.1f%%)\n", showPath(path), p.Digit, 100*p.Probs[p.Digit])
		}
	}
	if err := stdoutFailed(stdout); err != nil {
		return err
	}
	if failed {
		return errSomeFailed
	}
	return nil
}

// loadModel reads -model's checkpoint; every error names the flag and the file.
func loadModel(path string) (*vkcnn.Model, error) {
	m, err := vkcnn.Load(path)
	if err != nil {
		return nil, fmt.Errorf("-model %s: %w", showPath(path), err)
	}
	return m, nil
}

// prepareFiles reads and prepares every image (digit.Prepare) on GOMAXPROCS goroutines.
// It returns the prepared images of those that worked, in order, 784 values each, and
// per path nil or the error that names it.
func prepareFiles(paths []string) ([]float32, []error) {
	xs := make([][]float32, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(paths)); w++ {
		wg.Go(func() {
			for i := range next {
				xs[i], errs[i] = prepareFile(paths[i])
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	var x []float32
	for i := range xs {
		if errs[i] == nil {
			x = append(x, xs[i]...)
		}
	}
	return x, errs
}

// prepareFile reads one image file and prepares it; the error names the file.
func prepareFile(path string) ([]float32, error) {
	img, err := readImage(path)
	if err == nil {
		var x []float32
		if x, err = digit.Prepare(img); err == nil {
			return x, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", showPath(path), err)
}

// readImage decodes a PNG, JPEG or GIF file (the first frame of a GIF). It refuses
// anything but a regular file before opening it, an empty file, and an image of more
// than maxPixels pixels before decoding it.
func readImage(path string) (image.Image, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", describeMode(st.Mode()))
	}
	if st.Size() == 0 {
		return nil, errors.New("empty file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, notAnImage(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, digit.ErrEmpty
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("%d×%d pixels, more than the %d this command reads", cfg.Width, cfg.Height, maxPixels)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, err // the image package names the format: "png: invalid format: …"
	}
	return img, nil
}

// notAnImage explains a failed image.DecodeConfig.
func notAnImage(err error) error {
	if errors.Is(err, image.ErrFormat) {
		return errors.New("not an image this command reads (PNG, JPEG or GIF)")
	}
	return fmt.Errorf("unreadable image: %w", err)
}

// unwrapPath is an os error without the path it repeats (the message names it already).
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// describeMode names a non-regular file's kind.
func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}
