package main

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// maxCurvePoints bounds the points of a drawn curve: a smoothed curve of 300,000 steps
// (5 epochs at batch 1) drawn at 1,000 points looks the same and draws in milliseconds.
const maxCurvePoints = 1000

// plotDPI is the resolution of the PNGs: 8×7 inches at 120 dpi is 960×840 pixels.
const plotDPI = 120

// Colours of the curves: train is blue, test (or validation) orange, as in most ML plots.
var (
	colorTrain = color.NRGBA{R: 31, G: 119, B: 180, A: 255}
	colorTest  = color.NRGBA{R: 255, G: 127, B: 14, A: 255}
	colorRaw   = color.NRGBA{R: 31, G: 119, B: 180, A: 70}
	colorFinal = color.NRGBA{R: 44, G: 160, B: 44, A: 255}
)

// ema is the exponential moving average of y with smoothing α = 2/(span+1), debiased as
// TensorBoard's smoothing is: s_k = (1−α)·s_{k−1} + α·y_k from s_{−1} = 0, divided by
// 1 − (1−α)^(k+1), so the first values are not pulled towards 0.
func ema(y []float32, span float64) []float64 {
	a := 2 / (span + 1)
	out := make([]float64, len(y))
	s, w := 0.0, 0.0
	for k, v := range y {
		s = (1-a)*s + a*float64(v)
		w = (1-a)*w + a
		out[k] = s / w
	}
	return out
}

// thin keeps about n evenly spaced points of xy, always the first and the last.
func thin(xy plotter.XYs, n int) plotter.XYs {
	if len(xy) <= n {
		return xy
	}
	out := make(plotter.XYs, 0, n+1)
	step := float64(len(xy)-1) / float64(n-1)
	for i := 0; i < n; i++ {
		out = append(out, xy[int(math.Round(float64(i)*step))])
	}
	return out
}

// binMeans averages xy in bins of k consecutive points, k the smallest that leaves at
// most n bins, each at its last point's X (the last bin may be shorter); k = 1 keeps xy.
func binMeans(xy plotter.XYs, n int) (plotter.XYs, int) {
	k := (len(xy) + n - 1) / n
	if k <= 1 {
		return xy, 1
	}
	out := make(plotter.XYs, 0, n)
	for lo := 0; lo < len(xy); lo += k {
		hi := min(lo+k, len(xy))
		sum := 0.0
		for _, p := range xy[lo:hi] {
			sum += p.Y
		}
		out = append(out, plotter.XY{X: xy[hi-1].X, Y: sum / float64(hi-lo)})
	}
	return out, k
}

// curves is what -plot draws: a run's per-step losses and per-epoch results.
type curves struct {
	title         string
	stepsPerEpoch int
	stepLoss      []float32 // every step's mean batch loss, in order
	epochs        []float64 // 1, 2, …
	trainLoss     []float64 // per epoch, the mean over the epoch's samples
	testLoss      []float64
	trainAcc      []float64 // per epoch, 0..1
	testAcc       []float64
	testName      string    // "test", or "validation" when the evaluated set is held out
	finalTestAcc  []float64 // with -val: the test set's accuracy, once, after the last epoch
}

// lossPlot draws the training loss against the epoch (a step k of an epoch of S steps is
// at x = k/S, so the end of epoch e is at x = e): every step's loss faintly (the mean of
// each k steps when there are more than 2,000, clipped at 1.1× the highest smoothed or test
// loss), its EMA over a twentieth of an epoch (at least 5 steps) boldly, and the test loss
// after each epoch as points.
func (c *curves) lossPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "cross-entropy loss (nats)"
	p.Add(plotter.NewGrid())
	raw := make(plotter.XYs, len(c.stepLoss))
	smooth := make(plotter.XYs, len(c.stepLoss))
	for k, s := range ema(c.stepLoss, max(5, float64(c.stepsPerEpoch)/20)) {
		x := float64(k+1) / float64(c.stepsPerEpoch)
		raw[k] = plotter.XY{X: x, Y: float64(c.stepLoss[k])}
		smooth[k] = plotter.XY{X: x, Y: s}
	}
	if len(raw) > 0 {
		binned, k := binMeans(raw, 2*maxCurvePoints)
		l, err := plotter.NewLine(binned)
		if err != nil {
			return nil, err
		}
		l.Color = colorRaw
		l.Width = vg.Points(0.5)
		p.Add(l)
		name := "train, each step"
		if k > 1 {
			name = fmt.Sprintf("train, mean of each %d steps", k)
		}
		p.Legend.Add(name, l)
		s, err := plotter.NewLine(thin(smooth, maxCurvePoints))
		if err != nil {
			return nil, err
		}
		s.Color = colorTrain
		s.Width = vg.Points(2)
		p.Add(s)
		p.Legend.Add("train, smoothed (EMA)", s)
	}
	if err := addPoints(p, c.epochs, c.testLoss, colorTest, c.testName+", after each epoch", 1); err != nil {
		return nil, err
	}
	// The axis ends above the smoothed curve and the test losses, not at the highest single
	// step (at batch 1 a step's loss reaches 10 nats and would flatten everything else).
	top := 0.0
	for _, xy := range smooth {
		top = math.Max(top, xy.Y)
	}
	for _, l := range c.testLoss {
		top = math.Max(top, l)
	}
	p.Y.Min, p.Y.Max = 0, 1.1*top
	p.Legend.Top = true
	return p, nil
}

// accPlot draws train and test accuracy (in %) after each epoch.
func (c *curves) accPlot() (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "accuracy (%)"
	p.Add(plotter.NewGrid())
	if err := addPoints(p, c.epochs, c.trainAcc, colorTrain, "train (running, during the epoch)", 100); err != nil {
		return nil, err
	}
	if err := addPoints(p, c.epochs, c.testAcc, colorTest, c.testName, 100); err != nil {
		return nil, err
	}
	if len(c.finalTestAcc) > 0 {
		last := c.epochs[len(c.epochs)-1:]
		if err := addPoints(p, last, c.finalTestAcc, colorFinal, "test (once, after training)", 100); err != nil {
			return nil, err
		}
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(5)
	p.Legend.YOffs = vg.Points(5)
	return p, nil
}

// addPoints adds y·scale against x as a line with points, named in the legend; nothing
// when there are no points.
func addPoints(p *plot.Plot, x, y []float64, c color.Color, name string, scale float64) error {
	if len(y) == 0 {
		return nil
	}
	xy := make(plotter.XYs, len(y))
	for i := range y {
		xy[i] = plotter.XY{X: x[i], Y: y[i] * scale}
	}
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, s.Color = c, c
	l.Width = vg.Points(1.5)
	s.Shape = draw.CircleGlyph{}
	s.Radius = vg.Points(3)
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// png draws the loss above the accuracy, sharing the epoch axis, and encodes it as PNG.
func (c *curves) png() ([]byte, error) {
	top, err := c.lossPlot()
	if err != nil {
		return nil, err
	}
	bottom, err := c.accPlot()
	if err != nil {
		return nil, err
	}
	xmax := math.Max(1, float64(len(c.epochs)))
	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Min, p.X.Max = 0, xmax
		p.X.Tick.Marker = epochTicks{}
	}
	return stack([]*plot.Plot{top, bottom}, 8*vg.Inch, 7*vg.Inch)
}

// stack draws plots one above the other on one PNG of w×h.
func stack(plots []*plot.Plot, w, h vg.Length) ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	t := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6),
		PadLeft: vg.Points(6), PadRight: vg.Points(12), PadY: vg.Points(12)}
	canvases := plot.Align(rows, t, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// epochTicks marks whole epochs (at most about 15 labels).
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	every := math.Max(1, math.Ceil((hi-lo)/15))
	var ts []plot.Tick
	for x := math.Ceil(lo); x <= hi; x++ {
		label := ""
		if math.Mod(x, every) == 0 {
			label = fmt.Sprintf("%g", x)
		}
		ts = append(ts, plot.Tick{Value: x, Label: label})
	}
	return ts
}

// checkPNGPath refuses, before training, a -plot path whose writes would fail: not ending
// in .png, or refused by checkAtomicPath.
func checkPNGPath(path string) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return errors.New("want a .png file name")
	}
	return checkAtomicPath(path)
}

// checkAtomicPath refuses a path that writeAtomic would fail on: see checkOutputFile, and
// a folder where its temporary file cannot be made (it is made and removed here).
func checkAtomicPath(path string) error {
	if err := checkOutputFile(path); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return pathlessError(err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// checkOutputFile refuses an existing path that is not a regular file (a folder, a device,
// a FIFO) and a path whose folder does not exist.
func checkOutputFile(path string) error {
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			if fi.IsDir() {
				return errors.New("is a folder")
			}
			return fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
		}
		return nil
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("folder %s: %w", showPath(dir), pathlessError(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder", showPath(dir))
	}
	return nil
}

// pathlessError is err without the path an *os.PathError repeats (the message names it).
func pathlessError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeAtomic writes b to path (mode 0644) through a temporary file beside it, renamed over
// path, so a reader never sees a half-written file; the temporary file is removed on any
// failure.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return pathlessError(err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return pathlessError(err)
	}
	return nil
}
