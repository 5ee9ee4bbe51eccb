package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/vkcnn/vkcnn"
	"github.com/vkcnn/vkcnn/digit"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/mnist"
	"github.com/vkcnn/vkcnn/model"
)

// evalReport is what eval measures on a test set. Confusion[t][p] counts the images of true
// digit t classified as p (rows true, columns predicted); ClassAccuracy[t] is
// Confusion[t][t] / ClassN[t] (0 for a digit without images).
type evalReport struct {
	Model         string                            `json:"model"`
	Arch          string                            `json:"arch"`
	Data          string                            `json:"data"`
	N             int                               `json:"n"`
	Correct       int                               `json:"correct"`
	Accuracy      float64                           `json:"accuracy"`
	Loss          float64                           `json:"loss"`
	Confusion     [vkcnn.Classes][vkcnn.Classes]int `json:"confusion"`
	ClassN        [vkcnn.Classes]int                `json:"class_n"`
	ClassAccuracy [vkcnn.Classes]float64            `json:"class_accuracy"`
	worst         []sample                          // misclassified, worst first
	images        *mnist.Dataset                    // the test set
}

// sample is one test image's result: its index, true and predicted digit, and the
// probability the model gave the true one.
type sample struct {
	Index, True, Pred int
	PTrue, PPred      float32
}

// runEval is `train eval -model FILE [-data DIR] [-json] [-errors FILE.png]`: the
// accuracy, mean cross-entropy, confusion matrix and per-digit accuracy of a checkpoint on
// the test set; -errors draws its worst-classified test digits.
func runEval(args []string, stdout, stderr io.Writer) int {
	out := &checkedWriter{w: stdout}
	err := evaluate(args, out, stderr)
	if err == nil {
		err = out.failed()
	}
	return exitCode(err, stderr)
}

func evaluate(args []string, stdout, stderr io.Writer) error {
	fs := subFlags("eval")
	modelPath := fs.String("model", "", "checkpoint (.safetensors) to evaluate")
	data := fs.String("data", "data/mnist", "folder with t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (gzip or raw)")
	asJSON := fs.Bool("json", false, "end stdout with one JSON line of the results")
	errorsPNG := fs.String("errors", "", "write a PNG grid of the worst-classified test digits here")
	if err := parseSub(fs, args, "eval -model FILE [-data DIR] [-json] [-errors FILE.png]", stderr); err != nil {
		return err
	}
	switch {
	case *modelPath == "":
		return usageError{errors.New("eval: -model FILE is required")}
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("eval: unexpected argument %q (flags only; see -h)", fs.Arg(0))}
	}
	m, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	test, err := loadTestSet(*data)
	if err != nil {
		return err
	}
	if test.H != digit.Size || test.W != digit.Size {
		return fmt.Errorf("-data %s: test images are %d×%d, the model takes %d×%d", showPath(*data), test.H, test.W, digit.Size, digit.Size)
	}
	rep, err := measure(m, test)
	if err != nil {
		return err
	}
	rep.Model, rep.Data = *modelPath, *data
	rep.print(stdout)
	if *errorsPNG != "" {
		if err := writeErrorGrid(*errorsPNG, rep); err != nil {
			return fmt.Errorf("-errors %s: %w", showPath(*errorsPNG), unwrapPath(err))
		}
		fmt.Fprintf(stdout, "the %d worst-classified test digits (of %d misclassified): %s\n", min(len(rep.worst), gridCells), len(rep.worst), *errorsPNG)
	}
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	}
	return nil
}

// loadTestSet reads the test set of dir: each file gzip (FILE.gz, preferred) or raw.
func loadTestSet(dir string) (*mnist.Dataset, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("-data %s: no such folder (run \"make data\" to fetch MNIST)", showPath(dir))
	case err != nil:
		return nil, fmt.Errorf("-data %s: %w", showPath(dir), unwrapPath(err))
	case !st.IsDir():
		return nil, fmt.Errorf("-data %s: not a folder", showPath(dir))
	}
	var paths [2]string
	for i, base := range []string{mnist.TestImagesFile, mnist.TestLabelsFile} {
		for _, p := range []string{filepath.Join(dir, base+".gz"), filepath.Join(dir, base)} {
			if _, err := os.Stat(p); err == nil {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			return nil, fmt.Errorf("-data %s: neither %s.gz nor %s exists (run \"make data\" to fetch MNIST)", showPath(dir), base, base)
		}
	}
	return mnist.LoadFiles(paths[0], paths[1])
}

// measure classifies every test image and tallies the report: accuracy, the mean
// cross-entropy −log p(true digit) (p floored at the smallest float32, so that a zero
// probability gives a large finite loss), the confusion matrix, and the misclassified
// images sorted by the probability of their true digit, lowest first.
func measure(m *vkcnn.Model, test *mnist.Dataset) (*evalReport, error) {
	ps, err := m.PredictPrepared(test.Images)
	if err != nil {
		return nil, err
	}
	rep := &evalReport{Arch: m.Arch(), N: test.N, images: test}
	var loss float64
	for i, p := range ps {
		t := int(test.Labels[i])
		if t >= vkcnn.Classes {
			return nil, fmt.Errorf("test label %d of image %d is not a digit", t, i)
		}
		rep.Confusion[t][p.Digit]++
		rep.ClassN[t]++
		loss -= math.Log(math.Max(float64(p.Probs[t]), math.SmallestNonzeroFloat32))
		if p.Digit == t {
			rep.Correct++
		} else {
			rep.worst = append(rep.worst, sample{Index: i, True: t, Pred: p.Digit, PTrue: p.Probs[t], PPred: p.Probs[p.Digit]})
		}
	}
	sortWorst(rep.worst)
	if rep.N > 0 {
		rep.Accuracy = float64(rep.Correct) / float64(rep.N)
		rep.Loss = loss / float64(rep.N)
	}
	for t := range rep.ClassN {
		if rep.ClassN[t] > 0 {
			rep.ClassAccuracy[t] = float64(rep.Confusion[t][t]) / float64(rep.ClassN[t])
		}
	}
	return rep, nil
}

// print writes the report as text: the summary line, then the confusion matrix with each
// row's accuracy at its end.
func (r *evalReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s on %d test images of %s: accuracy %.2f%% (%d/%d), loss %.4f\n",
		r.Arch, r.N, showPath(r.Data), 100*r.Accuracy, r.Correct, r.N, r.Loss)
	fmt.Fprintln(w, "confusion matrix: rows true digit, columns predicted; per-digit accuracy at the right")
	var b strings.Builder
	b.WriteString("true\\pred")
	for p := 0; p < vkcnn.Classes; p++ {
		fmt.Fprintf(&b, " %5d", p)
	}
	b.WriteString("   accuracy\n")
	for t := 0; t < vkcnn.Classes; t++ {
		fmt.Fprintf(&b, "%9d", t)
		for p := 0; p < vkcnn.Classes; p++ {
			fmt.Fprintf(&b, " %5d", r.Confusion[t][p])
		}
		fmt.Fprintf(&b, "   %6.2f%% (%d/%d)\n", 100*r.ClassAccuracy[t], r.Confusion[t][t], r.ClassN[t])
	}
	io.WriteString(w, b.String())
}

// trainedReport is the evaluation report of the engine's trained parameters on the test
// set, printed after training as `train eval` prints a checkpoint's.
func trainedReport(eng engine.Engine, arch *model.Arch, test *mnist.Dataset, data string) (*evalReport, error) {
	p, err := eng.Params()
	if err != nil {
		return nil, fmt.Errorf("reading the trained parameters: %w", err)
	}
	m, err := vkcnn.NewModel(arch, p)
	if err != nil {
		return nil, err
	}
	rep, err := measure(m, test)
	if err != nil {
		return nil, err
	}
	rep.Data = data
	return rep, nil
}
