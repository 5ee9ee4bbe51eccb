package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is the type of a layer.
type Kind int

// The layer kinds.
const (
	Conv Kind = iota
	ReLU
	Sigmoid
	MaxPool
	AvgPool
	Dropout
	Dense
	// MinPool is MaxPool with the minimum: out = min over the window, the argmin (first
	// minimum, row-major) kept for the backward pass, which routes the gradient to it.
	MinPool
)

var kindNames = [...]string{"conv", "relu", "sigmoid", "maxpool", "avgpool", "dropout", "dense", "minpool"}

func (k Kind) String() string { return kindNames[k] }

// Padding is a convolution's zero padding rule.
type Padding int

// The padding rules: Valid adds none (out = in − k + 1), Same keeps the size (odd kernels
// only, pad (k−1)/2), Full pads k−1 on each side (out = in + k − 1).
const (
	Valid Padding = iota
	Same
	Full
)

var paddingNames = [...]string{"valid", "same", "full"}

func (p Padding) String() string { return paddingNames[p] }

// Layer is one layer of a network with its inferred shapes.
type Layer struct {
	Kind Kind
	// Name is the checkpoint prefix of a layer with parameters ("conv1", "fc2"), else "".
	Name string
	// In and Out are the per-sample shapes entering and leaving the layer.
	In, Out Shape

	// Conv: Filters kernels of KH×KW with padding Pad.
	Filters, KH, KW int
	Pad             Padding
	// MaxPool, MinPool, AvgPool: window and stride.
	Size int
	// Dropout: the probability of dropping a value during training.
	P float32
	// Dense: output features (Units); the input is In flattened.
	Units int
}

// HasParams reports whether the layer has a weight and a bias.
func (l *Layer) HasParams() bool { return l.Kind == Conv || l.Kind == Dense }

// ConvShape is the layer's convolution for a batch of n. The layer must be a Conv.
func (l *Layer) ConvShape(n int) ConvShape {
	ph, pw := padAmount(l.Pad, l.KH), padAmount(l.Pad, l.KW)
	return ConvShape{N: n, C: l.In.C, H: l.In.H, W: l.In.W, OC: l.Filters, KH: l.KH, KW: l.KW, PadH: ph, PadW: pw}
}

// PoolShape is the layer's pool for a batch of n. The layer must be a MaxPool, MinPool or
// AvgPool.
func (l *Layer) PoolShape(n int) PoolShape {
	return PoolShape{N: n, C: l.In.C, H: l.In.H, W: l.In.W, Size: l.Size}
}

// DenseShape is the layer's dense product for a batch of n. The layer must be a Dense.
func (l *Layer) DenseShape(n int) DenseShape {
	return DenseShape{N: n, In: l.In.Len(), Out: l.Units}
}

// WeightShape is the shape of the layer's weight tensor: OIHW for a conv, (out, in) for dense.
func (l *Layer) WeightShape() []int {
	if l.Kind == Conv {
		return []int{l.Filters, l.In.C, l.KH, l.KW}
	}
	return []int{l.Units, l.In.Len()}
}

// FanIn is the number of inputs feeding one output of the layer.
func (l *Layer) FanIn() int {
	if l.Kind == Conv {
		return l.In.C * l.KH * l.KW
	}
	return l.In.Len()
}

func (l *Layer) spec() string {
	switch l.Kind {
	case Conv:
		s := fmt.Sprintf("conv%dx%dx%d", l.KH, l.KW, l.Filters)
		if l.Pad != Valid {
			s += ":" + l.Pad.String()
		}
		return s
	case MaxPool, MinPool, AvgPool:
		return l.Kind.String() + itoa(l.Size)
	case Dropout:
		return "dropout" + strconv.FormatFloat(float64(l.P), 'g', -1, 32)
	case Dense:
		return "dense" + itoa(l.Units)
	}
	return l.Kind.String()
}

func padAmount(p Padding, k int) int {
	switch p {
	case Same:
		return (k - 1) / 2
	case Full:
		return k - 1
	}
	return 0
}

// Limits on a network, so that every arch that builds is one the engines can hold and
// every shape product fits an int without wrapping. Build enforces the first two, naming
// the layer that crosses them; CheckBatch the third, once the batch is known.
const (
	// MaxParams bounds the number of parameter values: 2^26 are 256 MiB of float32, and
	// the engines keep several copies (weights, momentum, gradient, and on the CPU one
	// gradient per 8-sample chunk of a batch).
	MaxParams = 1 << 26
	// MaxSampleValues bounds the values of one sample's forward pass: the input plus every
	// layer's output, 2^22 (16 MiB of float32). The engines keep each with its gradient
	// for the backward pass, for every sample of a batch (the GPU) or of a 64-sample
	// chunk per goroutine (the CPU).
	MaxSampleValues = 1 << 22
	// MaxBatchValues bounds SampleValues × batch: 2^30 values (4 GiB of float32), so that
	// every index into a batch's activations fits a signed 32-bit integer.
	MaxBatchValues = 1 << 30
)

// Arch is a network: its layers with inferred shapes, the input shape and the class count.
type Arch struct {
	// Name is the preset name, or the canonical layer string when built from one.
	Name string
	// Spec is the canonical layer string, e.g. "conv5x5x6,relu,maxpool2,…,dense10".
	Spec    string
	Input   Shape
	Classes int
	Layers  []Layer
}

// MNISTInput is the shape of one MNIST image.
var MNISTInput = Shape{C: 1, H: 28, W: 28}

// Presets maps the preset names of the original comparison to their layer strings.
var Presets = map[string]string{
	"lenet-6-12":         "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,dense10",
	"lenet-12-16":        "conv5x5x12,relu,maxpool2,conv5x5x16,relu,maxpool2,dense10",
	"lenet-16-32":        "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,dense10",
	"conv3-6-12-16":      "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,conv1x1x16,relu,dense10",
	"conv3-16-32-32":     "conv5x5x16,relu,maxpool2,conv5x5x32,relu,maxpool2,conv3x3x32,relu,dense10",
	"lenet-6-12-dropout": "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,dropout0.5,dense10",
}

// DefaultPreset is the network the project exists for.
const DefaultPreset = "lenet-6-12"

// Parse builds an Arch for MNIST-shaped input (1×28×28, 10 classes) from a preset name or a
// layer string. See Build.
func Parse(spec string) (*Arch, error) { return Build(spec, MNISTInput, 10) }

// Build builds an Arch from a preset name or a layer string and infers every shape.
//
// A layer string is a comma-separated list of layers:
//
//	convKHxKWxN[:valid|:same|:full]  N kernels of KH×KW, stride 1 (default valid)
//	relu, sigmoid                    activations
//	maxpoolS, minpoolS, avgpoolS     S×S window, stride S (max, min, mean; a trailing
//	                                 partial window is dropped)
//	dropoutP                         drop with probability P (0 ≤ P < 1), training only
//	denseN                           N outputs from the flattened input
//
// The last layer's output must hold exactly classes values (the logits).
func Build(spec string, in Shape, classes int) (*Arch, error) {
	name := strings.TrimSpace(spec)
	layerString, isPreset := Presets[name]
	if !isPreset {
		if !strings.ContainsAny(name, ",") && !looksLikeLayer(name) {
			return nil, fmt.Errorf("arch %q: unknown preset (known: %s) and not a layer string", spec, presetList())
		}
		layerString = name
	}
	a := &Arch{Input: in, Classes: classes}
	cur := in
	convs, denses := 0, 0
	values, params := in.Len(), 0
	for i, tok := range strings.Split(layerString, ",") {
		tok = strings.TrimSpace(tok)
		l, err := parseLayer(tok)
		if err != nil {
			return nil, fmt.Errorf("arch %q: layer %d %q: %w", spec, i+1, tok, err)
		}
		l.In = cur
		err = l.infer()
		if err == nil {
			values, params, err = l.charge(values, params)
		}
		if err != nil {
			return nil, fmt.Errorf("arch %q: layer %d %q on input %v: %w", spec, i+1, tok, cur, err)
		}
		switch l.Kind {
		case Conv:
			convs++
			l.Name = "conv" + itoa(convs)
		case Dense:
			denses++
			l.Name = "fc" + itoa(denses)
		}
		a.Layers = append(a.Layers, l)
		cur = l.Out
	}
	if cur.Len() != classes {
		return nil, fmt.Errorf("arch %q: the last layer gives %v = %d values, want %d logits (end with dense%d)", spec, cur, cur.Len(), classes, classes)
	}
	specs := make([]string, len(a.Layers))
	for i := range a.Layers {
		specs[i] = a.Layers[i].spec()
	}
	a.Spec = strings.Join(specs, ",")
	a.Name = a.Spec
	if isPreset {
		a.Name = name
	}
	return a, nil
}

func looksLikeLayer(s string) bool {
	for _, k := range kindNames {
		if strings.HasPrefix(s, k) {
			return true
		}
	}
	return false
}

func presetList() string {
	return "lenet-6-12, lenet-12-16, lenet-16-32, conv3-6-12-16, conv3-16-32-32, lenet-6-12-dropout"
}

func parseLayer(tok string) (Layer, error) {
	switch {
	case tok == "relu":
		return Layer{Kind: ReLU}, nil
	case tok == "sigmoid":
		return Layer{Kind: Sigmoid}, nil
	case strings.HasPrefix(tok, "conv"):
		body, padName, hasPad := strings.Cut(tok[4:], ":")
		pad := Valid
		if hasPad {
			switch padName {
			case "valid":
			case "same":
				pad = Same
			case "full":
				pad = Full
			default:
				return Layer{}, fmt.Errorf("padding %q: want valid, same or full", padName)
			}
		}
		parts := strings.Split(body, "x")
		if len(parts) != 3 {
			return Layer{}, fmt.Errorf("want convKHxKWxN, e.g. conv5x5x6")
		}
		var v [3]int
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 4096 {
				return Layer{}, fmt.Errorf("%q is not a size from 1 to 4096", p)
			}
			v[i] = n
		}
		return Layer{Kind: Conv, KH: v[0], KW: v[1], Filters: v[2], Pad: pad}, nil
	case strings.HasPrefix(tok, "maxpool"), strings.HasPrefix(tok, "minpool"), strings.HasPrefix(tok, "avgpool"):
		kind := MaxPool
		switch tok[:3] {
		case "min":
			kind = MinPool
		case "avg":
			kind = AvgPool
		}
		n, err := strconv.Atoi(tok[7:])
		if err != nil || n < 1 || n > 64 {
			return Layer{}, fmt.Errorf("pool size %q is not a size from 1 to 64", tok[7:])
		}
		return Layer{Kind: kind, Size: n}, nil
	case strings.HasPrefix(tok, "dropout"):
		p, err := strconv.ParseFloat(tok[7:], 32)
		if err != nil || !(p >= 0 && p < 1) {
			return Layer{}, fmt.Errorf("dropout probability %q: want a number in [0, 1)", tok[7:])
		}
		return Layer{Kind: Dropout, P: float32(p)}, nil
	case strings.HasPrefix(tok, "dense"):
		n, err := strconv.Atoi(tok[5:])
		if err != nil || n < 1 || n > 1<<16 {
			return Layer{}, fmt.Errorf("dense size %q is not a size from 1 to 65536", tok[5:])
		}
		return Layer{Kind: Dense, Units: n}, nil
	}
	return Layer{}, fmt.Errorf("unknown layer (want convKHxKWxN[:pad], relu, sigmoid, maxpoolS, minpoolS, avgpoolS, dropoutP or denseN)")
}

func (l *Layer) infer() error {
	in := l.In
	switch l.Kind {
	case Conv:
		if l.Pad == Same && (l.KH%2 == 0 || l.KW%2 == 0) {
			return fmt.Errorf("same padding needs an odd kernel, got %dx%d", l.KH, l.KW)
		}
		s := l.ConvShape(1)
		if s.OH() < 1 || s.OW() < 1 {
			return fmt.Errorf("kernel %dx%d with %v padding does not fit input %dx%d", l.KH, l.KW, l.Pad, in.H, in.W)
		}
		l.Out = Shape{C: l.Filters, H: s.OH(), W: s.OW()}
	case MaxPool, MinPool, AvgPool:
		if in.H < l.Size || in.W < l.Size {
			return fmt.Errorf("pool window %d is larger than input %dx%d", l.Size, in.H, in.W)
		}
		l.Out = Shape{C: in.C, H: in.H / l.Size, W: in.W / l.Size}
	case Dense:
		l.Out = Shape{C: l.Units, H: 1, W: 1}
	default:
		l.Out = in
	}
	return nil
}

// charge adds the layer's output values and parameters to the running totals of a
// network, refusing totals over MaxSampleValues or MaxParams. The products saturate
// instead of wrapping, so no kernel or layer size can bring a total back under a limit.
func (l *Layer) charge(values, params int) (int, int, error) {
	out := mulSat(l.Out.C, l.Out.H, l.Out.W)
	if values = addSat(values, out); values > MaxSampleValues {
		return 0, 0, fmt.Errorf("output %v brings one sample's forward pass to %s values, more than 2^22 = %d", l.Out, big(values), MaxSampleValues)
	}
	if !l.HasParams() {
		return values, params, nil
	}
	n := mulSat(l.Units, l.In.C, l.In.H, l.In.W) // dense: Units × flattened input
	if l.Kind == Conv {
		n = mulSat(l.Filters, l.In.C, l.KH, l.KW)
	}
	n = addSat(n, mulSat(l.Out.C)) // one bias per output channel or unit
	if params = addSat(params, n); params > MaxParams {
		return 0, 0, fmt.Errorf("%s parameters bring the network to %s, more than 2^26 = %d", big(n), big(params), MaxParams)
	}
	return values, params, nil
}

// SampleValues is the number of values one sample's forward pass produces: the input
// and every layer's output.
func (a *Arch) SampleValues() int {
	n := a.Input.Len()
	for i := range a.Layers {
		n += a.Layers[i].Out.Len()
	}
	return n
}

// CheckBatch refuses a batch whose activations would exceed MaxBatchValues.
func (a *Arch) CheckBatch(batch int) error {
	per := a.SampleValues()
	if v := mulSat(batch, per); v > MaxBatchValues {
		return fmt.Errorf("a batch of %d samples of arch %q holds %s activation values (%d per sample), more than 2^30 = %d",
			batch, a.Name, big(v), per, MaxBatchValues)
	}
	return nil
}

// MaxActivation is the largest per-sample activation length of any layer's input or output.
func (a *Arch) MaxActivation() int {
	m := a.Input.Len()
	for i := range a.Layers {
		m = max(m, a.Layers[i].Out.Len())
	}
	return m
}

// mulSat is the product of non-negative factors, saturated at math.MaxInt.
func mulSat(factors ...int) int {
	p := 1
	for _, f := range factors {
		if f != 0 && p > math.MaxInt/f {
			return math.MaxInt
		}
		p *= f
	}
	return p
}

// addSat is a + b for non-negative a and b, saturated at math.MaxInt.
func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// big writes n in decimal, or "at least 2^63−1" for a saturated count.
func big(n int) string {
	if n == math.MaxInt {
		return "at least 2^63−1"
	}
	return itoa(n)
}

func itoa(n int) string { return strconv.Itoa(n) }
