package vkcnn

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/digit"
	"github.com/vkcnn/vkcnn/model"
)

// Classes is the number of classes, the digits 0 to 9.
const Classes = 10

// Model is a trained network, ready to classify images. It is safe for concurrent use.
type Model struct {
	pred *cpu.Predictor
}

// Prediction is a network's answer for one image.
type Prediction struct {
	// Digit is the class with the largest output (the first one on a tie).
	Digit int
	// Probs holds the softmax probability of each digit; they sum to 1.
	Probs [Classes]float32
}

// Load reads the checkpoint (.safetensors) at path, as the train command's -save writes
// it: the arch comes from its metadata. Every error names the file and the problem.
func Load(path string) (*Model, error) {
	r, err := checkpoint.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	a, err := r.Arch(model.MNISTInput, Classes)
	if errors.Is(err, checkpoint.ErrNoArch) {
		return nil, fmt.Errorf("%w (read it with package checkpoint and give it to NewModel)", err)
	}
	if err != nil {
		return nil, err
	}
	p, err := r.Load(a)
	if err != nil {
		return nil, err
	}
	return NewModel(a, p)
}

// NewModel makes a model of the arch a with the parameters p (copied), for example the
// result of a training run. The arch must take MNIST's 1×28×28 images and give 10 outputs,
// and every parameter must be finite.
func NewModel(a *model.Arch, p *model.Params) (*Model, error) {
	if a == nil {
		return nil, errors.New("vkcnn: no arch")
	}
	if a.Input != model.MNISTInput || a.Classes != Classes {
		return nil, fmt.Errorf("vkcnn: arch %s takes %s images to %d classes, not MNIST's %s to %d", a.Name, a.Input, a.Classes, model.MNISTInput, Classes)
	}
	pr, err := cpu.NewPredictor(a, p)
	if err != nil {
		return nil, err
	}
	for _, t := range p.Tensors {
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("vkcnn: parameter %s[%d] is %v (a diverged training run?)", t.Name, i, v)
			}
		}
	}
	return &Model{pred: pr}, nil
}

// Arch is the network's preset name or layer string.
func (m *Model) Arch() string { return m.pred.Arch().Name }

// Predict classifies one picture of a digit. An image without pixels or without ink is an
// error (digit.ErrEmpty, digit.ErrBlank).
func (m *Model) Predict(img image.Image) (Prediction, error) {
	ps, err := m.PredictBatch([]image.Image{img})
	if err != nil {
		return Prediction{}, err
	}
	return ps[0], nil
}

// PredictBatch classifies many pictures at once (in parallel on the CPU). The first image
// that cannot be prepared is an error that gives its index; nothing is classified then.
func (m *Model) PredictBatch(imgs []image.Image) ([]Prediction, error) {
	x := make([]float32, 0, len(imgs)*digit.Size*digit.Size)
	for i, img := range imgs {
		v, err := digit.Prepare(img)
		if err != nil {
			return nil, fmt.Errorf("vkcnn: image %d: %w", i, err)
		}
		x = append(x, v...)
	}
	return m.PredictPrepared(x)
}

// PredictPrepared classifies images already in MNIST's form: 784 values in 0..1 per image
// (28×28, row-major, ink 1 on 0), image after image, as package digit or the MNIST files
// give them. A value that is not a number or lies outside 0..1 is an error naming the image
// and the pixel: the network was trained on 0..1 and answers anything else with confident
// nonsense (8-bit values 0..255, a common slip) or NaN probabilities.
func (m *Model) PredictPrepared(x []float32) ([]Prediction, error) {
	if err := checkPixels(x); err != nil {
		return nil, err
	}
	logits, err := m.pred.Logits(x)
	if err != nil {
		return nil, fmt.Errorf("vkcnn: %w", err)
	}
	ps := make([]Prediction, len(logits)/Classes)
	for i := range ps {
		ps[i] = predictionOf(logits[i*Classes : (i+1)*Classes])
	}
	return ps, nil
}

// checkPixels returns an error for the first value of x (images of 784 values) that is
// NaN or outside 0..1.
func checkPixels(x []float32) error {
	side := model.MNISTInput.W
	n := model.MNISTInput.Len()
	for i, v := range x {
		if v >= 0 && v <= 1 { // false for NaN
			continue
		}
		hint := ""
		if v > 1 && v <= 255 {
			hint = " (8-bit values: divide by 255)"
		}
		p := i % n
		return fmt.Errorf("vkcnn: image %d, pixel %d (row %d, column %d): %g is outside 0..1, the range the network was trained on%s",
			i/n, p, p/side, p%side, v, hint)
	}
	return nil
}

// predictionOf is the argmax and the softmax of one image's logits z, computed in float64
// as e^{z_k − max z} / Σ_j e^{z_j − max z} so that no exponential overflows.
func predictionOf(z []float32) Prediction {
	var p Prediction
	for k, v := range z {
		if v > z[p.Digit] {
			p.Digit = k
		}
	}
	top := float64(z[p.Digit])
	var sum float64
	var e [Classes]float64
	for k, v := range z {
		e[k] = math.Exp(float64(v) - top)
		sum += e[k]
	}
	for k := range e {
		p.Probs[k] = float32(e[k] / sum)
	}
	return p
}
